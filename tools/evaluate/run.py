"""Running an evaluation: which tasks, checking their files, and timing each task in turn."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path

from app.core.errors import InvalidInput, Problem
from matching.embedder import Embedder
from matching.text import Tokenizer
from tools.evaluate.datasets import DEFAULT_DATA_DIR, load_csl, load_stsb, load_uspppm
from tools.evaluate.report import Report, TaskResult, duration
from tools.evaluate.tasks import evaluate_csl, evaluate_fields, evaluate_stsb, evaluate_uspppm
from tools.evaluate.tools import Embeddings, Output, Tools

# Named for the package, not this module: the whole job logs under one name.
log = logging.getLogger("tools.evaluate")

TASKS: tuple[str, ...] = ("uspppm", "csl", "fields", "stsb")


FIELDS_SAMPLE = 500


_FILES: dict[str, tuple[str, ...]] = {
    "uspppm": ("uspppm/train.csv",),
    "csl": tuple(
        f"csl_zh/{kind}_{split}.tsv"
        for split in ("dev", "test")
        for kind in ("ts", "kg", "cls_dcp")
    ),
    "stsb": ("stsb_zh/STS-B.test.data",),
}
_FILES["fields"] = _FILES["csl"]


def parse_tasks(text: str) -> tuple[str, ...]:
    """Return the task names of a comma-separated list, in canonical order."""
    names = {name.strip().lower() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(TASKS))
    if unknown or not names:
        raise InvalidInput(
            f"unknown tasks {unknown}; choose from {', '.join(TASKS)}", loc=("tasks",)
        )
    return tuple(task for task in TASKS if task in names)


def run_evaluation(
    tasks: Sequence[str] = TASKS,
    *,
    embedder: Embedder,
    tokenizer: Tokenizer,
    data_dir: Path = DEFAULT_DATA_DIR,
    limit: int | None = None,
    seed: int = 0,
    fields_sample: int = FIELDS_SAMPLE,
    progress: bool = False,
) -> Report:
    """Run the chosen tasks on the data under `data_dir` and return their tables.

    Every file is checked before anything is embedded, so a long run does not fail late.
    """
    selected = parse_tasks(",".join(tasks))
    missing = sorted({n for t in selected for n in _FILES[t] if not (data_dir / n).is_file()})
    if missing:
        raise InvalidInput.of(
            [Problem(f"{data_dir / n} not found", ("data_dir",)) for n in missing]
        )
    out = Output(progress)
    tools = Tools(Embeddings(embedder, out), tokenizer, out)
    start, cpu_start = time.perf_counter(), time.process_time()
    papers = load_csl(data_dir / "csl_zh") if {"csl", "fields"} & set(selected) else []
    results: list[TaskResult] = []
    for task in selected:
        # Each task draws its own sample, the same whichever other tasks run.
        rng = random.Random(seed)
        out.log(f"{task}: started")
        task_start, embed_start = time.perf_counter(), tools.embeddings.seconds
        if task == "uspppm":
            found = evaluate_uspppm(load_uspppm(data_dir / "uspppm/train.csv"), tools, limit, rng)
        elif task == "csl":
            found = evaluate_csl(papers, tools, limit, rng)
        elif task == "fields":
            found = evaluate_fields(papers, tools, limit, rng, fields_sample)
        else:
            found = evaluate_stsb(
                load_stsb(data_dir / "stsb_zh/STS-B.test.data"), tools, limit, rng
            )
        embed_seconds = tools.embeddings.seconds - embed_start
        seconds = time.perf_counter() - task_start
        results.append(TaskResult(task, tuple(found), embed_seconds, seconds))
        log.info("evaluated %s", task, extra={"task": task, "seconds": round(seconds, 1)})
        out.log(f"{task}: done in {duration(seconds)} (embedding {duration(embed_seconds)})")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return Report(embedder.model_id, data_dir, limit, tuple(results), seconds, cpu_seconds)
