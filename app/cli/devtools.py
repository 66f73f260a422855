"""`bench` and `evaluate`: development tools that live in `tools/` of a source checkout.

`tools/` is not part of the installed wheel, and `app` never imports it at module level
(the layers run tools -> app). These commands load it at run time from beside the `app`
package directory and, when it is absent (an installed wheel), exit saying so.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from app.cli.common import fail
from app.core.errors import PatentBridgeError

# app/cli/devtools.py -> the directory that holds `app/` (and, in a checkout, `tools/`).
CHECKOUT = Path(__file__).resolve().parents[2]


def development_tool(module: str, *, checkout: Path | None = None) -> ModuleType:
    """Import `module` (e.g. `tools.bench.command`) from the checkout, or exit saying why not."""
    checkout = checkout or CHECKOUT
    tools_dir = checkout / "tools"
    if not (tools_dir / "__init__.py").is_file():
        typer.secho(
            f"error: bench and evaluate are development tools, run from a source checkout of "
            f"PatentBridge (tools/ beside app/); there is no {tools_dir} in this installation",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    # An installed console script does not have the checkout on its path; the editable
    # install maps only the packages of the wheel.
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    loaded = importlib.import_module(module)
    where = Path(loaded.__file__ or "").resolve()
    if not where.is_relative_to(tools_dir.resolve()):
        typer.secho(f"error: {module} was imported from {where}, not {tools_dir}", err=True)
        raise typer.Exit(2)
    return loaded


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
    command = development_tool("tools.evaluate.command")
    try:
        command.evaluate(tasks=tasks, model=model, data_dir=data_dir, limit=limit, output=output)
    except PatentBridgeError as exc:
        raise fail(exc) from exc


def bench(
    sizes: Annotated[str, typer.Option(help="catalogue sizes, comma-separated")] = "10000,100000",
    import_rows: Annotated[
        int, typer.Option(min=1, help="real SBIR awards embedded and imported")
    ] = 100,
    requests: Annotated[int, typer.Option(min=1, help="timed requests per scenario")] = 200,
    real_vectors: Annotated[
        int,
        typer.Option(
            min=1,
            help="rows with a real vector of their own text: the imported rows' title + "
            "abstract, the others' title (cached in var/)",
        ),
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
    command = development_tool("tools.bench.command")
    command.bench(
        sizes=sizes,
        import_rows=import_rows,
        requests=requests,
        real_vectors=real_vectors,
        database_url=database_url,
        output=output,
        target=target,
    )
