"""The benchmark behind `patentbridge bench`: throughput, latency, memory and recall on real text.

One run measures, side by side on the same machine, so that ratios compare like with like:

1. **Import throughput**: N real SBIR award texts, mapped to listings, are embedded by the raw
   embedder (`embed_passages`, batches of 64, the texts the import embeds) and imported through
   `import_listings` (parsing, validation, writes, embedding, commit), in rounds that alternate
   which goes first.
2. **Scale**: the same database grows to each size, inserted in bulk: the imported rows carry
   the real vectors of their own title + abstract; the next rows, up to `real_vectors`, the
   real vectors of their own award's *title* (a title embeds ~20x faster than its abstract;
   cached per model and text under `var/bench-cache/`); rows beyond take further real SBIR
   texts and *perturbed copies of the real vectors* (Gaussian noise, renormalised). Then an
   index snapshot is written, so the server starts from it as in production.
3. **HTTP latency** of `GET /v1/demands/{id}/matches` and `POST /v1/search` against a real
   uvicorn server, with and without filters; each request follows the raw FAISS search (and,
   for a search, the raw query embedding) of the same vector or text in this process.
4. **Memory**: the server's resident set after loading each size, and its growth per listing.
5. **HNSW recall@10** against exact search on the largest catalogue, and build times. The
   figure is measured on the catalogue's own vectors (real full-text and title vectors, and
   perturbed copies of them: by default 2,000 real sources, about 50 copies each at 100k) with
   real SBIR topic vectors as queries; the report says so. With only a hundred real sources
   the copies form near-tied clusters and recall says little about real vectors.

Errors: `BenchError` (bad options, missing data, a server that does not start or answers with
an error); everything started is stopped and every temporary file removed on the way out.

Modules: `options` (BenchOptions, BenchError, the SBIR paths), `data` (SBIR texts, listing
records, vectors, the catalogue mirror), `import_throughput` (step 1), `scale` (step 2),
`server` and `scenarios` (steps 3 and 5), `latency` (percentiles), `report` (results,
targets, the printed tables), `runner` (`run`, the steps in order). Stage lines and progress
bars come from `tools.progress`.
"""

from __future__ import annotations

from tools.bench.data import (
    INDUSTRIES,
    IPC_CODES,
    PROVINCES,
    Award,
    Corpus,
    Matrix,
    listing_record,
    perturb,
    read_awards,
    read_topics,
    real_vectors,
)
from tools.bench.import_throughput import IMPORT_BATCH, measure_import
from tools.bench.latency import Stats, percentile, stats
from tools.bench.options import (
    SBIR_AWARDS,
    SBIR_DIR,
    SBIR_TOPICS,
    BenchError,
    BenchOptions,
    parse_sizes,
)
from tools.bench.report import (
    BenchReport,
    ImportResult,
    ImportRound,
    RecallResult,
    ScenarioResult,
    SizeResult,
    Target,
    evaluate_targets,
    format_report,
)
from tools.bench.runner import run
from tools.bench.scale import grow, vectors_for, write_snapshot
from tools.bench.scenarios import PAGE, SCENARIOS, Scenario, measure_recall, measure_scenario
from tools.bench.server import running_server

__all__ = [
    "IMPORT_BATCH",
    "INDUSTRIES",
    "IPC_CODES",
    "PAGE",
    "PROVINCES",
    "SBIR_AWARDS",
    "SBIR_DIR",
    "SBIR_TOPICS",
    "SCENARIOS",
    "Award",
    "BenchError",
    "BenchOptions",
    "BenchReport",
    "ImportResult",
    "ImportRound",
    "Matrix",
    "RecallResult",
    "Scenario",
    "ScenarioResult",
    "SizeResult",
    "Stats",
    "Target",
    "Corpus",
    "vectors_for",
    "evaluate_targets",
    "format_report",
    "grow",
    "listing_record",
    "measure_import",
    "measure_recall",
    "measure_scenario",
    "parse_sizes",
    "percentile",
    "perturb",
    "read_awards",
    "read_topics",
    "real_vectors",
    "run",
    "running_server",
    "stats",
    "write_snapshot",
]
