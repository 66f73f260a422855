"""The shared benchmarks' records and their readers: USPPPM pairs, CSL papers, STS-B pairs."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.config import PROJECT_ROOT
from app.core.errors import InvalidInput

DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "eval"


@dataclass(frozen=True)
class PhrasePair:
    """A USPPPM judgement: how close `target` is to `anchor` within a CPC context."""

    anchor: str
    target: str
    context: str
    score: float


@dataclass(frozen=True)
class Paper:
    """A CSL paper, assembled from the same row of its split's ts, kg and cls_dcp files."""

    title: str
    abstract: str
    keywords: tuple[str, ...]
    discipline: str

    @property
    def keyword_text(self) -> str:
        """Return the keywords as one Chinese enumeration."""
        return "、".join(self.keywords)


@dataclass(frozen=True)
class SentencePair:
    """An STS-B pair with its gold similarity (0-5)."""

    first: str
    second: str
    score: float


def _bad(path: Path, line: int, msg: str) -> InvalidInput:
    return InvalidInput(f"{path}:{line}: {msg}", loc=(path.name, line))


def load_uspppm(path: Path) -> list[PhrasePair]:
    """Read USPPPM's `id,anchor,target,context,score` CSV."""
    pairs = []
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        missing = {"anchor", "target", "context", "score"} - set(reader.fieldnames or ())
        if missing:
            raise _bad(path, 1, f"missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                score = float(row["score"])
            except (TypeError, ValueError):
                raise _bad(path, line, f"score {row['score']!r} is not a number") from None
            if not 0 <= score <= 1 or not row["anchor"] or not row["target"]:
                raise _bad(path, line, "needs an anchor, a target and a score in [0, 1]")
            pairs.append(PhrasePair(row["anchor"], row["target"], row["context"], score))
    return pairs


def load_csl(directory: Path, splits: Sequence[str] = ("dev", "test")) -> list[Paper]:
    """Read CSL papers of `splits`, joining row i of the split's ts, kg and cls_dcp files."""
    papers = []
    for split in splits:
        titles = _tsv(directory / f"ts_{split}.tsv")
        keywords = _tsv(directory / f"kg_{split}.tsv")
        disciplines = _tsv(directory / f"cls_dcp_{split}.tsv")
        if not len(titles) == len(keywords) == len(disciplines):
            raise _bad(directory / f"ts_{split}.tsv", 0, "ts, kg and cls_dcp differ in length")
        for line, (ts, kg, dcp) in enumerate(
            zip(titles, keywords, disciplines, strict=True), start=1
        ):
            abstract = ts[1]
            # kg holds "abstract title" and cls_dcp the abstract: a check that rows align.
            if not kg[1].startswith(abstract) or dcp[1] != abstract:
                raise _bad(directory / f"kg_{split}.tsv", line, "row is not the ts row's paper")
            words = tuple(word for word in kg[2].split("_") if word)
            papers.append(Paper(title=ts[2], abstract=abstract, keywords=words, discipline=dcp[2]))
    return papers


def load_stsb(path: Path) -> list[SentencePair]:
    """Read STS-B-zh's `s1<TAB>s2<TAB>score` lines."""
    pairs = []
    for line, (first, second, score) in enumerate(_tsv(path), start=1):
        try:
            pairs.append(SentencePair(first, second, float(score)))
        except ValueError:
            raise _bad(path, line, f"score {score!r} is not a number") from None
    return pairs


def _tsv(path: Path) -> list[list[str]]:
    rows = []
    with path.open(encoding="utf-8") as file:
        for line, text in enumerate(file, start=1):
            fields = text.rstrip("\r\n").split("\t")
            if len(fields) != 3 or not all(fields):
                raise _bad(path, line, f"expected 3 non-empty tab-separated fields: {text[:60]!r}")
            rows.append(fields)
    return rows
