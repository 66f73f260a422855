"""What an evaluation run measured (tables of methods by metrics), and its Markdown rendering."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """One method's scores, in the order of its task's `metrics`."""

    method: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Table:
    """Methods by metrics on one set of queries."""

    title: str
    notes: str
    metrics: tuple[str, ...]
    queries: int
    rows: tuple[Row, ...]

    def value(self, method: str, metric: str) -> float:
        """Return one cell of the table."""
        row = next(row for row in self.rows if row.method == method)
        return row.values[self.metrics.index(metric)]


@dataclass(frozen=True)
class TaskResult:
    """The tables of one task and what the task cost."""

    task: str
    tables: tuple[Table, ...]
    embed_seconds: float
    seconds: float


@dataclass(frozen=True)
class Report:
    """Everything one evaluation run measured."""

    model_id: str
    data_dir: Path
    limit: int | None
    results: tuple[TaskResult, ...]
    seconds: float
    cpu_seconds: float  # of this process, all threads: beside `seconds`, it shows contention


def render_markdown(report: Report) -> str:
    """Return the report as Markdown: one table per task, the best value of a column in bold."""
    scope = "all queries" if report.limit is None else f"at most {report.limit:,} queries a task"
    lines = [
        f"## Evaluation: `{report.model_id}`",
        "",
        f"Data: `{report.data_dir}` ({scope}). Total time {duration(report.seconds)} "
        f"(CPU time {duration(report.cpu_seconds)}).",
    ]
    for result in report.results:
        for table in result.tables:
            lines += ["", f"### {table.title}", "", table.notes, "", *_markdown_table(table)]
        lines += [
            "",
            f"Time ({result.task}): {duration(result.seconds)}, of which embedding "
            f"{duration(result.embed_seconds)}.",
        ]
    return "\n".join(lines) + "\n"


def _markdown_table(table: Table) -> list[str]:
    lines = [
        "| method | " + " | ".join(table.metrics) + " |",
        "|---|" + "---:|" * len(table.metrics),
    ]
    shown = [[f"{value:.3f}" for value in row.values] for row in table.rows]
    best = [max(column, key=float) for column in zip(*shown, strict=True)]
    for row, cells in zip(table.rows, shown, strict=True):
        if len(table.rows) > 1:
            cells = [f"**{c}**" if c == top else c for c, top in zip(cells, best, strict=True)]
        lines.append(f"| {row.method} | " + " | ".join(cells) + " |")
    return lines


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
