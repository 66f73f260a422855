"""`patentbridge bench`, run from a source checkout: the serving or the re-index benchmark."""

from __future__ import annotations

from pathlib import Path

import typer

from app.core.config import get_settings
from tools import bench as bench_job
from tools.bench import reindex as bench_reindex


def bench(
    *,
    sizes: str,
    import_rows: int,
    requests: int,
    real_vectors: int,
    database_url: str | None,
    output: Path | None,
    target: str,
) -> None:
    """Run the benchmark `target` names, print its report and write it as JSON if asked."""
    if target == "reindex":
        _bench_reindex(sizes, database_url, output)
        return
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
