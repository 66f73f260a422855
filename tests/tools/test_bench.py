"""The benchmark's data mapping and arithmetic are right, and a tiny run goes end to end."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from app.schemas import ListingCreate
from app.validation.patent_number import normalize_patent_number
from matching.embedder import HashingEmbedder
from matching.text import listing_text
from tests.shared_data import needs_shared
from tools import bench
from tools.bench import reindex as bench_reindex

TODAY = date(2026, 6, 1)


def _awards(count: int) -> list[bench.Award]:
    if bench.SBIR_AWARDS.is_file():
        return bench.read_awards(bench.SBIR_AWARDS, limit=count)
    return [  # the shared data is absent: the mapping is still checked on stand-ins
        bench.Award(f"WIDGET {i}", f"A real-looking abstract about widget {i}. " * 3, "Firm", 1999)
        for i in range(count)
    ]


def test_sbir_awards_map_to_valid_listings_with_unique_checked_numbers() -> None:
    awards = _awards(300)
    listings = [
        ListingCreate.model_validate(bench.listing_record(award, serial, seed=7, today=TODAY))
        for serial, award in enumerate(awards, start=1)
    ]
    numbers = [listing.patent_number for listing in listings]
    assert len(set(numbers)) == len(awards)
    assert all(normalize_patent_number(number) == number for number in numbers)
    assert all(
        listing.expiry_date is not None and listing.expiry_date > TODAY for listing in listings
    )
    assert {listing.patent_type for listing in listings} == {"invention", "utility_model"}
    # The text embedded is the award's own title and abstract.
    first = listings[0]
    assert listing_text(first.title, first.abstract) == listing_text(
        awards[0].title, awards[0].abstract
    )


def test_listing_record_is_deterministic_per_serial_and_seed() -> None:
    award = _awards(1)[0]
    one = bench.listing_record(award, 42, seed=1, today=TODAY)
    assert one == bench.listing_record(award, 42, seed=1, today=TODAY)
    assert (
        one["patent_number"]
        != bench.listing_record(award, 43, seed=1, today=TODAY)["patent_number"]
    )


def test_listing_record_refuses_a_serial_that_does_not_fit_seven_digits() -> None:
    with pytest.raises(ValueError, match="serial"):
        bench.listing_record(_awards(1)[0], 10_000_000, seed=1, today=TODAY)


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    values = [15.0, 20.0, 35.0, 40.0, 50.0]
    assert bench.percentile(values, 0) == 15.0
    assert bench.percentile(values, 50) == 35.0
    assert bench.percentile(values, 40) == 29.0  # position 1.6: 20 + 0.6 * 15
    assert bench.percentile(values, 100) == 50.0
    hundred = [float(v) for v in range(1, 101)]
    assert bench.percentile(hundred, 50) == 50.5
    assert bench.percentile(hundred, 99) == pytest.approx(99.01)
    assert bench.percentile(list(reversed(hundred)), 95) == pytest.approx(95.05)


def test_percentile_refuses_no_values() -> None:
    with pytest.raises(ValueError):
        bench.percentile([], 50)


def test_stats_report_count_and_percentiles() -> None:
    result = bench.stats([3.0, 1.0, 2.0])
    assert (result.n, result.p50, result.p99, result.mean) == (3, 2.0, 2.98, 2.0)
    assert bench.stats([]).n == 0 and math.isnan(bench.stats([]).p50)


@pytest.mark.parametrize("dimension", [64, 384])
def test_perturbed_vectors_keep_unit_norm_and_the_same_cosine_at_any_dimension(
    dimension: int,
) -> None:
    rng = np.random.default_rng(0)
    source = rng.normal(size=(500, dimension)).astype(np.float32)
    source /= np.linalg.norm(source, axis=1, keepdims=True)
    moved = bench.perturb(source, 0.48, rng)
    assert moved.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)
    cosine = np.einsum("ij,ij->i", source, moved)
    assert cosine.mean() == pytest.approx(1 / math.sqrt(1 + 0.48**2), abs=0.01)
    assert cosine.max() < 0.99


def test_parse_sizes_sorts_and_rejects_nonsense() -> None:
    assert bench.parse_sizes("100000,10000") == (10_000, 100_000)
    assert bench.parse_sizes("10_000") == (10_000,)
    with pytest.raises(bench.BenchError):
        bench.parse_sizes("ten")
    with pytest.raises(bench.BenchError):
        bench.parse_sizes("0")


def test_targets_compare_in_their_own_direction() -> None:
    assert bench.Target("recall", 0.98, 0.97, "", at_least=True).met
    assert not bench.Target("recall", 0.96, 0.97, "", at_least=True).met
    assert bench.Target("p50", 24.0, 25.0, "ms", at_least=False).met
    assert not bench.Target("p50", 26.0, 25.0, "ms", at_least=False).met


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(32)
        self.passages = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages += len(texts)
        return super().embed_passages(texts)


def test_real_vectors_are_embedded_once_then_read_from_the_cache(tmp_path: Path) -> None:
    texts = [f"text number {i}" for i in range(100)]
    first, second = CountingEmbedder(), CountingEmbedder()

    made = bench.real_vectors(first, texts, cache_dir=tmp_path)
    read = bench.real_vectors(second, texts, cache_dir=tmp_path)

    assert (first.passages, second.passages) == (100, 0)
    np.testing.assert_array_equal(made, read)
    np.testing.assert_array_equal(made, HashingEmbedder(32).embed_passages(texts))
    assert [p.name for p in tmp_path.iterdir()] == ["hash-32.npz"]


def test_the_vector_cache_is_keyed_by_text_so_only_new_or_changed_texts_are_embedded(
    tmp_path: Path,
) -> None:
    bench.real_vectors(CountingEmbedder(), ["a", "b", "c"], cache_dir=tmp_path)
    later = CountingEmbedder()

    vectors = bench.real_vectors(later, ["c", "b changed", "a", "d", "d"], cache_dir=tmp_path)

    assert later.passages == 2  # "b changed" and "d", once
    expected = HashingEmbedder(32).embed_passages(["c", "b changed", "a", "d", "d"])
    np.testing.assert_array_equal(vectors, expected)
    again = CountingEmbedder()
    bench.real_vectors(again, ["b changed", "d", "b"], cache_dir=tmp_path)
    assert again.passages == 0


def test_another_models_vectors_are_kept_apart(tmp_path: Path) -> None:
    bench.real_vectors(HashingEmbedder(32), ["a"], cache_dir=tmp_path)
    vectors = bench.real_vectors(HashingEmbedder(64), ["a"], cache_dir=tmp_path)
    assert vectors.shape == (1, 64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hash-32.npz", "hash-64.npz"]


def test_rows_take_their_own_real_vector_first_and_perturbed_copies_after() -> None:
    rng = np.random.default_rng(3)
    real = HashingEmbedder(32).embed_passages([f"award {i}" for i in range(10)])
    corpus = bench.Corpus(tokenizer=None)  # type: ignore[arg-type]

    vectors = bench.vectors_for(real, range(1, 31), 20, 0.48, rng, corpus)

    np.testing.assert_array_equal(vectors[:10], real)  # awards 0-9, first use: real
    cosines = np.einsum("ij,ij->i", vectors[20:30], real)  # awards 0-9 again: own copies
    assert ((cosines > 0.8) & (cosines < 0.99)).all()
    assert corpus.perturbed == 20  # rows 11-20 have no real vector; rows 21-30 are reuses


@needs_shared(bench.SBIR_AWARDS, bench.SBIR_TOPICS)
def test_a_tiny_run_measures_every_step_against_a_real_server() -> None:
    report = bench.run(
        bench.BenchOptions(
            sizes=(200,),
            import_rows=40,
            requests=5,
            warmup=2,
            rounds=2,
            embedding_model="hash-64",
            demands=3,
            search_texts=3,
            recall_queries=20,
            award_limit=400,
            real_vectors=120,
            cache_dir=None,
        )
    )
    assert report.imports.rows == 40 and len(report.imports.rounds) == 2
    assert report.imports.raw_per_second > 0 and report.imports.import_per_second > 0
    (size,) = report.sizes
    assert (size.size, size.real_vectors, size.perturbed_vectors) == (200, 120, 80)
    assert 0.85 < report.noise_mean_cosine < 0.95
    assert [s.name for s in size.scenarios] == [s.name for s in bench.SCENARIOS]
    assert all(s.http.n == 5 and s.short_pages == 0 for s in size.scenarios)
    assert all((s.raw_embed is None) == s.request.startswith("GET") for s in size.scenarios)
    assert all((s.beyond_embed_p50 is None) == (s.raw_embed is None) for s in size.scenarios)
    assert size.rss_after_load_mib > 50 and report.memory_per_listing_kib is None
    assert report.recall is not None and 0.0 <= report.recall.recall_at_10 <= 1.0
    assert len(report.targets) == 1 + 2 * 4 + 2 + 1
    assert report.recall.measured_on.startswith("the 200 catalogue vectors: 40 imported rows")
    text = bench.format_report(report)
    assert "perturbed copies" in text and "Targets" in text
    assert "80 rows that of their own title" in text and "measured on the 200" in text
    assert "search: HTTP minus the raw embedding of the same text, median of 5 pairs" in text


@needs_shared(bench.SBIR_AWARDS)
def test_a_tiny_reindex_run_goes_end_to_end_through_the_cron_script() -> None:
    report = bench_reindex.run(
        bench_reindex.ReindexBenchOptions(
            rows=400,
            text_rows=400,
            real_vectors=100,
            recall_queries=20,
            baseline_seconds=1.0,
            embedding_model="hash-64",
            flat_index_max=100,  # HNSW, as at scale
        )
    )
    runs = [report.cold, report.warm, report.loaded, report.unchanged]
    assert all(run is not None and run.exit_code == 0 for run in runs)
    # The job's own peak, not this process's carried into the child (it would be far larger).
    assert all(run is not None and 50 < run.max_rss_mib < 1_000 for run in runs)
    assert report.cold is not None and "400 listings (hnsw)" in report.cold.summary
    # The day's changes add 0.2% (here: none at 400 rows) and edit 1%: a new snapshot each time.
    assert report.warm is not None and "new snapshot" in report.warm.summary
    assert report.unchanged is not None and "nothing changed" in report.unchanged.summary
    assert report.swapped and report.query_failures == 0 and report.query_empties == 0
    assert report.raw_build_seconds > 0 and 0.5 <= report.recall_at_10 <= 1.0
    assert "target <= 1.5x" in bench_reindex.format_report(report)
