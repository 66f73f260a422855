"""`patentbridge import`: listings from a CSV, XLSX or JSONL file, with a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail, session_factory
from app.core.config import get_settings
from app.core.db import session_scope
from app.core.errors import PatentBridgeError
from app.core.i18n import Language, render, tr, use_language
from app.services import audit, organisations
from app.services.imports import service as imports
from matching.embedder import load_embedder


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    org: Annotated[str, typer.Option(help="the TTO's organisation, holder of the listings")],
    dry_run: bool = False,
    all_or_nothing: bool = False,
    lang: Annotated[
        str, typer.Option("--lang", help="language of the report: zh (default) or en")
    ] = "zh",
) -> None:
    """Import listings from a CSV, XLSX or JSONL file; exit 1 if any row was rejected."""
    if lang not in ("zh", "en"):
        typer.secho(f"error: --lang must be zh or en, not {lang!r}", fg="red", err=True)
        raise typer.Exit(2)
    language: Language = "en" if lang == "en" else "zh"
    with use_language(language):
        _import_file(file, org, dry_run=dry_run, all_or_nothing=all_or_nothing, language=language)


def _import_file(
    file: Path, org: str, *, dry_run: bool, all_or_nothing: bool, language: Language
) -> None:
    settings = get_settings()
    try:
        with session_scope(session_factory()) as session:
            organisation = organisations.get_by_name(session=session, name=org)
            report = imports.import_listings(
                session=session,
                organisation=organisation,
                content=file.read_bytes(),
                filename=file.name,
                dry_run=dry_run,
                all_or_nothing=all_or_nothing,
                limits=imports.limits_from(settings),
                embedder=load_embedder(settings.embedding_model),
            ).report
            if not report.committed:
                session.rollback()
            else:
                # No key on the command line: the row names the organisation only.
                audit.record_import(
                    session=session,
                    key=None,
                    organisation_id=organisation.id,
                    filename=file.name,
                    report=report,
                )
    except PatentBridgeError as exc:
        raise fail(exc, language=language) from exc
    typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    for note in report.notes:
        typer.echo(render(note), err=True)
    for rejected in report.rejected:
        typer.echo(
            render(tr("第 {row} 行：", "row {row}: ", row=rejected.row) + rejected.msg), err=True
        )
    summary = tr(
        "{rows} 行：新建 {created}，更新 {updated}，未变 {unchanged}，问题 {problems}；{verb}",
        "{rows} rows: {created} created, {updated} updated, {unchanged} unchanged, "
        "{problems} problems; {verb}",
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        problems=len(report.rejected),
        verb=tr("已提交", "committed") if report.committed else tr("未提交", "NOT committed"),
    )
    typer.echo(render(summary), err=True)
    if report.rejected:
        raise typer.Exit(1)
