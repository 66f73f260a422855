"""`patentbridge royalty`: import and list the statistics tables behind royalty guidance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail, session_factory
from app.core.db import session_scope
from app.core.errors import PatentBridgeError

app = typer.Typer(
    no_args_is_help=True, help="Import and list the statistics tables behind royalty guidance."
)


@app.command("import")
def royalty_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    year: Annotated[int, typer.Option(help="the statistics year of the table")],
    source: Annotated[str, typer.Option(help="the table's title, as published")],
    reference: Annotated[str, typer.Option(help="its URL or document number")],
    kind: Annotated[
        str | None,
        typer.Option(help="cnipa_licence_stats or nbs_industry_profit (default: from headers)"),
    ] = None,
    dry_run: bool = False,
) -> None:
    """Import a CNIPA licence-statistics or NBS profit table; exit 1 if any row is rejected."""
    from dataclasses import asdict

    from app.models import RoyaltyTableKind
    from app.services.royalty import table_import as royalty_job

    try:
        table_kind = RoyaltyTableKind(kind) if kind else None
    except ValueError as exc:
        typer.secho(f"error: unknown --kind {kind!r}", fg="red", err=True)
        raise typer.Exit(2) from exc
    try:
        with session_scope(session_factory()) as session:
            report = royalty_job.import_table(
                session=session,
                content=file.read_bytes(),
                filename=file.name,
                year=year,
                source_title=source,
                source_reference=reference,
                kind=table_kind,
                dry_run=dry_run,
            )
            if not report.committed:
                session.rollback()
    except PatentBridgeError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps(asdict(report), ensure_ascii=False, indent=2, default=str))
    if report.problems:
        typer.echo(f"{len(report.problems)} problems; nothing imported", err=True)
        raise typer.Exit(1)
    state = (
        "unchanged (already imported)"
        if report.unchanged
        else ("imported" if report.committed else "valid (dry run; nothing written)")
    )
    typer.echo(f"{report.rows} rows of {report.kind.value} {report.year}: {state}", err=True)


@app.command("list")
def royalty_list() -> None:
    """List the imported tables, newest year first."""
    from app.services.royalty import table_import as royalty_job

    with session_scope(session_factory()) as session:
        for table in royalty_job.list_tables(session=session):
            typer.echo(
                f"{table.id}\t{table.kind.value}\t{table.year}\t{table.row_count} rows\t"
                f"{table.imported_at:%Y-%m-%d}\t{table.source_title}\t{table.source_reference}"
            )
