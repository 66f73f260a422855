"""Benchmark data: real SBIR texts mapped to listings, their vectors, and the catalogue mirror.

`read_awards` and `read_topics` read the SBIR files; `listing_record` turns an award into an
import row with plausible generated facts; `perturb` and `real_vectors` make the vectors;
`Corpus` mirrors what the benchmark database holds.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.search.facts import FactTable
from app.validation.patent_number import check_digit
from matching.embedder import Embedder, normalize_rows
from matching.text import Tokenizer, content_hash
from tools.bench.options import BenchError
from tools.progress import track

Matrix = npt.NDArray[np.float32]


MAX_SERIAL = 9_999_999  # seven serial digits in a CN application number
_DEMAND_CHARS = 600  # an SME's need runs to a paragraph, not a whole solicitation

# Plausible listing attributes; shares are chosen so that the filters below keep ~40%, ~3%
# and ~0.1% of the catalogue.
IPC_CODES = (
    "G06F 16/35", "G06F 30/20", "G06N 3/08", "G06N 20/00", "G06T 7/00", "G06V 10/82",
    "G06Q 10/06", "G01N 21/65", "G01N 33/53", "G01S 13/90", "G01R 31/36", "G05B 13/04",
    "G08G 1/01", "H01M 10/0525", "H01M 4/36", "H01L 21/02", "H01L 31/18", "H04L 9/08",
    "H04W 72/04", "H04B 10/25", "H02J 3/38", "H01Q 1/36", "H05K 7/20", "A61K 9/00",
    "A61B 5/00", "A61K 39/00", "A61L 27/00", "C12N 15/10", "C12Q 1/68", "C07D 401/14",
    "C08L 63/00", "C02F 1/00", "C01B 32/00", "C04B 35/00", "B22F 3/105", "B33Y 10/00",
    "B64C 39/02", "B01D 53/86", "B23K 26/00", "B29C 64/00", "B60L 58/12", "F02C 7/00",
    "F16H 57/00", "F41H 5/04", "F24S 20/00", "E21B 43/00",
)  # fmt: skip
INDUSTRIES = ("C39", "C38", "C35", "C34", "C27", "C26", "I65", "M73", "C40", "C36", "D44", "C33")
PROVINCES = (
    ("北京市", 15), ("广东省", 12), ("江苏省", 12), ("上海市", 10), ("浙江省", 9),
    ("湖北省", 7), ("陕西省", 6), ("四川省", 6), ("山东省", 6), ("辽宁省", 5),
    ("黑龙江省", 4), ("安徽省", 4), ("湖南省", 2), ("福建省", 2),
)  # fmt: skip


@dataclass(frozen=True)
class Award:
    """One SBIR award: a small firm's own description of a technology."""

    title: str
    abstract: str
    firm: str
    year: int


def read_awards(path: Path, limit: int | None = None) -> list[Award]:
    """Return the awards with a usable abstract, without duplicates, in file order.

    With `limit`, stop after that many (the first ones in the file, not a sample).
    """
    if not path.is_file():
        raise BenchError(f"SBIR awards not found at {path}")
    seen: set[tuple[str, str]] = set()
    awards: list[Award] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            title = " ".join(str(record.get("title") or "").split())
            abstract = str(record.get("abstract") or "").strip()
            if not 0 < len(title) <= 500 or not 50 <= len(abstract) <= 20_000:
                continue  # most short abstracts are "N/A"
            if (title, abstract) in seen:
                continue
            seen.add((title, abstract))
            awards.append(Award(title, abstract, str(record.get("firm") or ""), record["year"]))
            if limit is not None and len(awards) >= limit:
                break
    return awards


def read_topics(path: Path) -> list[tuple[str, str]]:
    """Return SBIR topics (title, need statement cut to a paragraph), without duplicates."""
    if not path.is_file():
        raise BenchError(f"SBIR topics not found at {path}")
    topics: dict[tuple[str, str], None] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            title = " ".join((row.get("Topic Name") or "").split())
            description = _paragraph(" ".join((row.get("Description") or "").split()))
            if 2 <= len(title) <= 300 and len(description) >= 80:
                topics[(title, description)] = None
    return list(topics)


def _paragraph(text: str, limit: int = _DEMAND_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > limit // 3 else text[:limit]


def listing_record(award: Award, serial: int, *, seed: int, today: date) -> dict[str, Any]:
    """Return an import row (the JSONL shape) for an award, with plausible generated facts.

    The patent number is `<year><type><serial:07d>` with its check digit, so serials keep
    numbers unique; everything else is drawn from a generator seeded by `serial`.
    """
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be between 1 and {MAX_SERIAL}, got {serial}")
    rng = random.Random(f"{seed}:{serial}")
    invention = rng.random() < 0.8
    # Application years keep every patent in force today: 20 years for an invention, 10 for
    # a utility model.
    year = today.year - rng.randint(1, 18 if invention else 9)
    applied = date(year, rng.randint(1, 12), rng.randint(1, 28))
    granted = applied + timedelta(days=rng.randint(300, 1_100))
    digits = f"{year:04d}{1 if invention else 2}{serial:07d}"
    record: dict[str, Any] = {
        "patent_number": f"{digits}.{check_digit(digits)}",
        "title": award.title,
        "abstract": award.abstract,
        "ipc_codes": rng.sample(IPC_CODES, rng.choice((1, 1, 2))),
        "patent_type": "invention" if invention else "utility_model",
        "application_date": applied.isoformat(),
        "legal_status": "有效" if granted <= today else "实质审查",
        "industry_code": rng.choice(INDUSTRIES),
        "province": rng.choices([p for p, _ in PROVINCES], [w for _, w in PROVINCES])[0],
        "licence": _licence(rng),
    }
    if granted <= today:
        record["grant_date"] = granted.isoformat()
    return record


def _licence(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    term = rng.choice((3, 5, 10))
    if roll < 0.35:
        rate = rng.choice((1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0))
        return {"royalty_type": "percentage", "rate_percent": rate, "term_years": term}
    if roll < 0.55:
        fee = rng.choice((5, 10, 20, 50, 100, 200)) * 10_000.0
        return {"royalty_type": "fixed", "fixed_fee_yuan": fee, "term_years": term}
    if roll < 0.65:
        return {
            "royalty_type": "entry_plus_percentage",
            "entry_fee_yuan": rng.choice((2, 5, 10, 20)) * 10_000.0,
            "rate_percent": rng.choice((1.0, 2.0, 3.0)),
            "term_years": term,
        }
    return {"royalty_type": "free" if roll < 0.75 else "negotiable"}


def perturb(vectors: Matrix, scale: float, rng: np.random.Generator) -> Matrix:
    """Return unit-length copies of `vectors` moved by Gaussian noise of expected length `scale`.

    The noise has sigma `scale / sqrt(d)` per component, so the cosine to the source,
    about `1 / sqrt(1 + scale**2)`, does not depend on the dimension.
    """
    sigma = scale / math.sqrt(vectors.shape[1])
    noise = rng.normal(0.0, sigma, size=vectors.shape).astype(np.float32)
    return normalize_rows(vectors + noise)


def real_vectors(embedder: Embedder, texts: Sequence[str], *, cache_dir: Path | None) -> Matrix:
    """Embed `texts` as passages, reading those an earlier run embedded from the cache.

    The cache holds one file per model, `<model id>.npz`: each vector is keyed by the sha256
    of its text, so a changed text is embedded again and a larger run embeds only new texts.
    """
    path = None if cache_dir is None else cache_dir / f"{_slug(embedder.model_id)}.npz"
    hashes = [content_hash(text) for text in texts]
    known, stored = _read_cache(path, embedder.dimension)
    missing: dict[str, str] = {}
    for digest, text in zip(hashes, texts, strict=True):
        if digest not in known:
            missing.setdefault(digest, text)
    if missing:
        batches = range(0, len(missing), 64)
        pending = list(missing.values())
        parts = [
            embedder.embed_passages(pending[start : start + 64])
            for start in track(batches, total=len(batches), label=f"embedding {len(pending):,}")
        ]
        base = stored.shape[0]
        known.update((digest, base + row) for row, digest in enumerate(missing))
        stored = np.concatenate([stored, *parts])
        if path is not None:
            _write_cache(path, list(known), stored)
    if not texts:
        return np.zeros((0, embedder.dimension), np.float32)
    return np.asarray(stored[[known[digest] for digest in hashes]], dtype=np.float32)


def _slug(model_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id)


def _read_cache(path: Path | None, dimension: int) -> tuple[dict[str, int], Matrix]:
    empty = np.zeros((0, dimension), np.float32)
    if path is None or not path.exists():
        return {}, empty
    with np.load(path) as cached:
        hashes, vectors = cached["hashes"], cached["vectors"]
    if vectors.ndim != 2 or vectors.shape[1] != dimension or len(hashes) != len(vectors):
        return {}, empty  # another model under the same name: start again
    return {str(digest): row for row, digest in enumerate(hashes)}, vectors.astype(np.float32)


def _write_cache(path: Path, hashes: list[str], vectors: Matrix) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.npz")
    np.savez(partial, hashes=np.array(hashes), vectors=vectors)
    partial.replace(path)  # a killed run leaves no half-written cache behind


class Corpus:
    """What the benchmark database holds, mirrored here to build snapshots and filters."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.ids: list[int] = []
        self.tokens: list[list[str]] = []
        self.facts = FactTable()
        self.real: Matrix | None = None  # row i: the real vector of award i
        self.cosine_sum = 0.0
        self.perturbed = 0
        self._chunks: list[Matrix] = []
        self._tokenizer = tokenizer
        self._token_cache: dict[int, list[str]] = {}
        self.tokenize_seconds = 0.0

    def __len__(self) -> int:
        return len(self.ids)

    def tokens_of(self, award_index: int, text: str) -> list[str]:
        # Texts are reused beyond the real ones; one list per text also keeps memory flat.
        cached = self._token_cache.get(award_index)
        if cached is None:
            started = time.perf_counter()
            cached = [sys.intern(token) for token in self._tokenizer.tokens(text)]
            self.tokenize_seconds += time.perf_counter() - started
            self._token_cache[award_index] = cached
        return cached

    def add(self, ids: Sequence[int], vectors: Matrix, tokens: Sequence[list[str]]) -> None:
        self.ids.extend(ids)
        self._chunks.append(vectors)
        self.tokens.extend(tokens)

    def matrix(self) -> Matrix:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0]
