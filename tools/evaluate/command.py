"""`patentbridge evaluate`, run from a source checkout: the evaluation and its Markdown."""

from __future__ import annotations

from pathlib import Path

import typer

from app.core.config import get_settings
from matching.embedder import load_embedder
from matching.text import Tokenizer
from tools import evaluate as evaluate_job


def evaluate(
    *,
    tasks: str | None,
    model: str | None,
    data_dir: Path | None,
    limit: int | None,
    output: Path | None,
) -> None:
    """Run the chosen tasks and print their Markdown; a PatentBridgeError is the caller's."""
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
    except (ImportError, OSError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    markdown = evaluate_job.render_markdown(report)
    typer.echo(markdown)
    if output is not None:
        output.write_text(markdown, encoding="utf-8")
        typer.echo(f"written to {output}", err=True)
