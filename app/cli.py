"""The `patentbridge` command: serve, migrate, keys, import, reindex, demo."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from app.api import server
from app.core.config import get_settings
from app.core.db import create_db_engine, make_session_factory, session_scope
from app.core.errors import PatentBridgeError
from app.core.i18n import Language, render, tr, use_language
from app.jobs import demo as demo_job
from app.jobs import migrate as migrate_job
from app.models import OrganisationKind, Role
from app.services import audit, keys, organisations
from app.services.imports import service as imports
from matching.embedder import load_embedder

cli = typer.Typer(no_args_is_help=True, help="PatentBridge: open-licence patents for SMEs.")
keys_cli = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")
cli.add_typer(keys_cli, name="keys")
royalty_cli = typer.Typer(
    no_args_is_help=True, help="Import and list the statistics tables behind royalty guidance."
)
cli.add_typer(royalty_cli, name="royalty")

_DEFAULT_KIND = {
    Role.TTO: OrganisationKind.UNIVERSITY,
    Role.SME: OrganisationKind.ENTERPRISE,
    Role.OPERATOR: OrganisationKind.PLATFORM,
}


def _factory() -> sessionmaker[Session]:
    return make_session_factory(create_db_engine(get_settings().database_url))


def _fail(exc: PatentBridgeError, code: int = 2, language: Language | None = None) -> typer.Exit:
    for problem in exc.problems:
        where = ".".join(str(p) for p in problem.loc)
        msg = render(problem.msg, language)
        typer.secho(f"error: {where + ': ' if where else ''}{msg}", fg="red", err=True)
    return typer.Exit(code)


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Run the HTTP API."""
    # The application logs one JSON access line per request itself (app/api/observe.py).
    server.run(
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        # The supervisor kills a worker that misses a 5 s health ping; loading the model on a
        # busy machine takes longer, and killed workers were seen restarting in a loop.
        timeout_worker_healthcheck=60,
    )


@cli.command()
def migrate() -> None:
    """Apply database migrations up to the newest."""
    url = get_settings().database_url
    migrate_job.upgrade(url)
    typer.echo("database is at the newest migration")


@keys_cli.command("create")
def keys_create(
    org: Annotated[str, typer.Option(help="organisation name; created if new")],
    role: Annotated[Role, typer.Option(help="tto, sme or operator")],
    kind: Annotated[
        OrganisationKind | None, typer.Option(help="kind of a new organisation")
    ] = None,
    province: Annotated[str | None, typer.Option(help="province of a new organisation")] = None,
    label: str = "",
) -> None:
    """Create an API key and print it; it is shown this once only."""
    try:
        with session_scope(_factory()) as session:
            organisation = organisations.ensure(
                session=session, name=org, kind=kind or _DEFAULT_KIND[role], province=province
            )
            issued = keys.create(session=session, organisation=organisation, role=role, label=label)
            audit.record(
                session=session,
                key=None,
                organisation_id=organisation.id,
                action="key.create",
                entity_type="api_key",
                entity_id=issued.key.id,
                detail={"prefix": issued.key.prefix, "role": role.value},
            )
    except (PatentBridgeError, ValueError) as exc:
        error = exc if isinstance(exc, PatentBridgeError) else PatentBridgeError(str(exc))
        raise _fail(error) from exc
    typer.echo(issued.plaintext)
    typer.echo(
        f"role {role.value}, organisation {org}; store it now: it cannot be shown again", err=True
    )


@keys_cli.command("list")
def keys_list() -> None:
    """List keys (prefix, role, organisation, state); secrets are never shown."""
    with session_scope(_factory()) as session:
        for key in keys.list_all(session=session):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(
                f"{key.prefix}\t{key.role.value}\t{key.organisation.name}\t{state}\t{key.label}"
            )


@keys_cli.command("revoke")
def keys_revoke(prefix: str) -> None:
    """Revoke the key whose prefix (the part after `pb_`) is PREFIX."""
    try:
        with session_scope(_factory()) as session:
            revoked = keys.revoke(session=session, prefix=prefix)
            audit.record(
                session=session,
                key=None,
                organisation_id=revoked.organisation_id,
                action="key.revoke",
                entity_type="api_key",
                entity_id=revoked.id,
                detail={"prefix": prefix},
            )
    except PatentBridgeError as exc:
        raise _fail(exc) from exc
    typer.echo(f"revoked {prefix}")


@cli.command("import")
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
        with session_scope(_factory()) as session:
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
        raise _fail(exc, language=language) from exc
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


@cli.command()
def evaluate(
    tasks: Annotated[
        str | None, typer.Option(help="comma-separated: uspppm, csl, fields, stsb (default: all)")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="embedding model (default: EMBEDDING_MODEL)")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="benchmark data (default: ../shared/data/eval)"),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="at most this many queries a task (seeded)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(dir_okay=False, help="also write the Markdown here")
    ] = None,
) -> None:
    """Measure BM25, dense and hybrid retrieval on the shared benchmarks; print Markdown."""
    from matching.text import Tokenizer
    from tools import evaluate as evaluate_job

    settings = get_settings()
    try:
        selected = evaluate_job.parse_tasks(tasks or ",".join(evaluate_job.TASKS))
        embedder = load_embedder(model or settings.embedding_model)
        report = evaluate_job.run_evaluation(
            selected,
            embedder=embedder,
            tokenizer=Tokenizer(settings.jieba_user_dict),
            data_dir=data_dir or evaluate_job.DEFAULT_DATA_DIR,
            limit=limit,
            progress=True,
        )
    except PatentBridgeError as exc:
        raise _fail(exc) from exc
    except (ImportError, OSError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    markdown = evaluate_job.render_markdown(report)
    typer.echo(markdown)
    if output is not None:
        output.write_text(markdown, encoding="utf-8")
        typer.echo(f"written to {output}", err=True)


@cli.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Migrate, load the demo data, print API keys, then serve."""
    settings = get_settings()
    migrate_job.upgrade(settings.database_url)
    with session_scope(_factory()) as session:
        summary = demo_job.load_demo(
            session=session, embedder=load_embedder(settings.embedding_model)
        )
        holders = {
            Role.TTO: organisations.get_by_name(session=session, name=summary.first_university),
            Role.SME: organisations.get_by_name(session=session, name=summary.first_enterprise),
            Role.OPERATOR: organisations.ensure(
                session=session, name="PatentBridge operations", kind=OrganisationKind.PLATFORM
            ),
        }
        issued = {
            role: keys.create(session=session, organisation=org, role=role, label="demo")
            for role, org in holders.items()
        }
    typer.echo(
        f"demo data: {summary.organisations} organisations, {summary.listings_created} listings "
        f"created ({summary.listings_unchanged} already there), {summary.demands_created} demands"
    )
    typer.echo(f"TTO key ({summary.first_university}):  {issued[Role.TTO].plaintext}")
    typer.echo(f"SME key ({summary.first_enterprise}):  {issued[Role.SME].plaintext}")
    typer.echo(f"operator key:  {issued[Role.OPERATOR].plaintext}")
    typer.echo(
        f"try:  curl -H 'X-API-Key: {issued[Role.SME].plaintext}' "
        f"'http://{host}:{port}/v1/listings?limit=3'"
    )
    if serve_after:
        server.run(host=host, port=port)


@cli.command()
def bench(
    sizes: Annotated[str, typer.Option(help="catalogue sizes, comma-separated")] = "10000,100000",
    import_rows: Annotated[
        int, typer.Option(min=1, help="real SBIR awards embedded and imported")
    ] = 100,
    requests: Annotated[int, typer.Option(min=1, help="timed requests per scenario")] = 200,
    real_vectors: Annotated[
        int,
        typer.Option(min=1, help="rows with their own text's real vector (cached in var/)"),
    ] = 2_000,
    database_url: Annotated[
        str | None, typer.Option(help="an empty database to fill (default: a temporary SQLite)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(dir_okay=False, help="also write the results as JSON here")
    ] = None,
    target: Annotated[
        str, typer.Option(help="serving (import, latency, recall) or reindex (the nightly job)")
    ] = "serving",
) -> None:
    """Measure import throughput, HTTP latency at scale, memory per listing and HNSW recall.

    `--target reindex` measures the nightly re-index instead (tools/bench/reindex.py) at the
    largest of `--sizes`.
    """
    if target == "reindex":
        _bench_reindex(sizes, database_url, output)
        return
    from tools import bench as bench_job

    try:
        options = bench_job.BenchOptions(
            sizes=bench_job.parse_sizes(sizes),
            import_rows=import_rows,
            requests=requests,
            real_vectors=real_vectors,
            database_url=database_url,
            embedding_model=get_settings().embedding_model,
        )
        report = bench_job.run(options)
    except bench_job.BenchError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(bench_job.format_report(report))
    if output is not None:
        output.write_text(report.to_json(), encoding="utf-8")
        typer.echo(f"written to {output}", err=True)


def _bench_reindex(sizes: str, database_url: str | None, output: Path | None) -> None:
    from tools import bench as bench_job
    from tools.bench import reindex as bench_reindex

    try:
        rows = max(bench_job.parse_sizes(sizes))
    except bench_job.BenchError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    options = bench_reindex.ReindexBenchOptions(
        rows=rows,
        text_rows=min(20_000, rows),
        real_vectors=min(1_000, rows),
        database_url=database_url,
        embedding_model=get_settings().embedding_model,
        flat_index_max=get_settings().flat_index_max,
    )
    report = bench_reindex.run(options)
    typer.echo(bench_reindex.format_report(report))
    if output is not None:
        output.write_text(report.to_json(), encoding="utf-8")
        typer.echo(f"written to {output}", err=True)


@cli.command()
def reindex(
    version: Annotated[
        int | None, typer.Argument(help="with --rollback: the index version to return to")
    ] = None,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="point the live index back at a kept snapshot")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="build a new snapshot even if nothing changed")
    ] = False,
) -> None:
    """Re-index: expire, embed what changed, build, switch; or --rollback [VERSION].

    Exit codes: 0 done, 1 failed, 2 refused, 75 another re-index is running.
    """
    from app.search.reindex import command as reindex_command
    from app.services.alerts.service import record_after_reindex

    outcome = reindex_command.execute(
        get_settings(),
        rollback=rollback,
        version=version,
        force=force,
        progress=True,
        after_switch=record_after_reindex,
    )
    typer.echo(outcome.line, err=outcome.code != reindex_command.EXIT_OK)
    raise typer.Exit(outcome.code)


@royalty_cli.command("import")
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
        with session_scope(_factory()) as session:
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
        raise _fail(exc) from exc
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


@royalty_cli.command("list")
def royalty_list() -> None:
    """List the imported tables, newest year first."""
    from app.services.royalty import table_import as royalty_job

    with session_scope(_factory()) as session:
        for table in royalty_job.list_tables(session=session):
            typer.echo(
                f"{table.id}\t{table.kind.value}\t{table.year}\t{table.row_count} rows\t"
                f"{table.imported_at:%Y-%m-%d}\t{table.source_title}\t{table.source_reference}"
            )


@cli.command()
def alerts(
    since: Annotated[
        datetime | None,
        typer.Option(help="examine changes after this time (default: since the last run)"),
    ] = None,
) -> None:
    """Record new matches for demand and listing alerts (cron; a re-index also does this).

    Exit codes: 0 done, 1 failed.
    """
    from app.services.alerts import job as alerts_job

    when = since if since is None or since.tzinfo else since.replace(tzinfo=UTC)
    try:
        run = alerts_job.run(get_settings(), since=when)
    except Exception as exc:
        typer.secho(f"alerts failed: {type(exc).__name__}: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(alerts_job.summary(run))


def main() -> None:
    """Run the command line."""
    cli()
