"""Catalogue: filtered ranking that fills the page, paging, and keeping in step with writes."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest

from app.search.catalogue import PARALLEL_RETRIEVAL_MIN, SHALLOW_DEPTH, Catalogue, Entry
from app.search.facts import ListingFacts
from app.search.filters import ListingFilters

Vector = npt.NDArray[np.float32]

DIM = 32
SIZE = 5_000
VOCABULARY = [f"词{i}" for i in range(400)]
# Every 100th listing is in Hubei: the filter keeps 50 of 5,000 (1%).
RARE_PROVINCE = "湖北省"
HUBEI = ListingFilters(province=RARE_PROVINCE)


def unit(rng: np.random.Generator, rows: int) -> npt.NDArray[np.float32]:
    vectors = rng.standard_normal((rows, DIM)).astype(np.float32)
    unit_rows: npt.NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit_rows


def facts(listing_id: int, **overrides: object) -> ListingFacts:
    base = ListingFacts(
        id=listing_id,
        organisation_id=1,
        patent_type="invention",
        province="浙江省",
        industry_code="C34",
        ipc_codes=("G06F 16/33",),
        rate_percent=3.0,
        expiry_date=date(2040, 1, 1),
        version=1,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def entry(listing_id: int, vector: Vector, tokens: list[str], **overrides: object) -> Entry:
    return Entry(facts=facts(listing_id, **overrides), vector=vector, tokens=tokens)


def axis(i: int, dim: int = DIM) -> Vector:
    vector = np.zeros(dim, dtype=np.float32)
    vector[i] = 1.0
    return vector


def between(i: int, j: int, weight: float) -> Vector:
    vector = weight * axis(i) + (1 - weight) * axis(j)
    unit_vector: Vector = vector / np.linalg.norm(vector)
    return unit_vector


def query(rng: np.random.Generator) -> tuple[Vector, list[str]]:
    """Return a random unit vector and four random terms of the vocabulary."""
    vector = unit(rng, 1)[0]
    tokens = [VOCABULARY[w] for w in rng.integers(0, len(VOCABULARY), size=4)]
    return vector, tokens


class Corpus:
    """5,000 listings with random unit vectors and token lists; ids 1..5000."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.vectors = unit(self.rng, SIZE)
        self.ids = np.arange(1, SIZE + 1, dtype=np.int64)
        words = self.rng.integers(0, len(VOCABULARY), size=(SIZE, 12))
        self.entries = [
            entry(
                int(listing_id),
                self.vectors[i],
                [VOCABULARY[w] for w in words[i]],
                province=RARE_PROVINCE if listing_id % 100 == 0 else "浙江省",
            )
            for i, listing_id in enumerate(self.ids)
        ]
        self.rare = self.ids[self.ids % 100 == 0]

    def catalogue(self, parallel_min: int = PARALLEL_RETRIEVAL_MIN) -> Catalogue:
        catalogue = Catalogue(model_id="test-32", dimension=DIM, parallel_min=parallel_min)
        catalogue.replace_all(self.entries, watermark=None, source="test")
        return catalogue

    def query(self) -> tuple[Vector, list[str]]:
        return query(self.rng)

    def true_top(self, vector: Vector, allowed: npt.NDArray[np.int64], k: int) -> list[int]:
        """Return the `k` allowed ids of highest cosine, ties to the smaller id."""
        scores = self.vectors[allowed - 1] @ vector
        order = np.lexsort((allowed, -scores))[:k]
        return [int(i) for i in allowed[order]]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus()


@pytest.fixture(scope="module")
def big(corpus: Corpus) -> Catalogue:
    return corpus.catalogue()


# --- the filter that keeps 1% still fills the page -------------------------------------------


def test_rare_filter_keeps_one_percent_of_the_catalogue(big: Catalogue, corpus: Corpus) -> None:
    vector, tokens = corpus.query()

    ranked = big.rank(vector, tokens, filters=HUBEI, depth=SIZE, method="dense")

    assert len(big) == SIZE
    assert sorted(c.id for c in ranked.candidates) == corpus.rare.tolist()
    assert ranked.eligible == 50


def test_dense_rank_under_a_one_percent_filter_returns_the_true_top_ten(
    big: Catalogue, corpus: Corpus
) -> None:
    for _ in range(60):
        vector, tokens = corpus.query()

        ranked = big.rank(vector, tokens, filters=HUBEI, depth=10, method="dense")

        assert [c.id for c in ranked.candidates] == corpus.true_top(vector, corpus.rare, 10)
        assert ranked.eligible == 50
        for candidate in ranked.candidates:
            assert candidate.semantic == pytest.approx(
                float(corpus.vectors[candidate.id - 1] @ vector), abs=1e-5
            )


def test_dense_rank_fills_the_page_when_every_nearest_neighbour_is_filtered_out(
    big: Catalogue, corpus: Corpus
) -> None:
    # Asking with the vector of a listing outside the filter: its unfiltered neighbours are
    # almost all outside the filter too, so a post-filter of the top 10 would come back empty.
    for listing_id in (1, 2, 3, 501, 4_999):
        vector = corpus.vectors[listing_id - 1]
        unfiltered = big.rank(vector, [], filters=ListingFilters(), depth=10, method="dense")
        assert unfiltered.candidates[0].id == listing_id

        ranked = big.rank(vector, [], filters=HUBEI, depth=10, method="dense")

        assert [c.id for c in ranked.candidates] == corpus.true_top(vector, corpus.rare, 10)


def test_hybrid_rank_under_a_one_percent_filter_returns_a_full_page_of_allowed_listings(
    big: Catalogue, corpus: Corpus
) -> None:
    rare = set(corpus.rare.tolist())
    for _ in range(60):
        vector, tokens = corpus.query()

        ranked = big.rank(vector, tokens, filters=HUBEI, depth=10, method="hybrid")

        ids = [c.id for c in ranked.candidates]
        assert len(ids) == 10
        assert len(set(ids)) == 10
        assert set(ids) <= rare
        scores = [c.score for c in ranked.candidates]
        assert scores == sorted(scores, reverse=True)
        # Every result carries both components, whichever retriever found it.
        assert all(c.semantic is not None and c.lexical is not None for c in ranked.candidates)


def test_lexical_rank_under_a_one_percent_filter_returns_only_allowed_matches(
    big: Catalogue, corpus: Corpus
) -> None:
    rare = set(corpus.rare.tolist())
    for _ in range(20):
        vector, tokens = corpus.query()

        ranked = big.rank(vector, tokens, filters=HUBEI, depth=10, method="lexical")

        ids = [c.id for c in ranked.candidates]
        assert set(ids) <= rare
        matching = [
            e.facts.id for e in corpus.entries if e.facts.id in rare and set(tokens) & set(e.tokens)
        ]
        assert len(ids) == min(10, len(matching))
        # A listing found by terms alone still shows its cosine, for the explanation.
        for candidate in ranked.candidates:
            assert candidate.semantic == pytest.approx(
                float(corpus.vectors[candidate.id - 1] @ vector), abs=1e-5
            )


def test_rank_returns_everything_allowed_when_fewer_pass_than_the_depth(
    big: Catalogue, corpus: Corpus
) -> None:
    vector, tokens = corpus.query()

    ranked = big.rank(vector, tokens, filters=HUBEI, depth=80, method="dense")

    assert [c.id for c in ranked.candidates] == corpus.true_top(vector, corpus.rare, 50)
    assert ranked.eligible == 50


def test_rank_under_a_filter_that_keeps_nothing_is_empty(big: Catalogue, corpus: Corpus) -> None:
    vector, tokens = corpus.query()

    ranked = big.rank(vector, tokens, filters=ListingFilters(province="西藏自治区"), depth=10)

    assert ranked.candidates == []
    assert ranked.eligible == 0


def test_unfiltered_dense_rank_is_the_true_top_ten(big: Catalogue, corpus: Corpus) -> None:
    for _ in range(10):
        vector, tokens = corpus.query()

        ranked = big.rank(vector, tokens, filters=ListingFilters(), depth=10, method="dense")

        assert [c.id for c in ranked.candidates] == corpus.true_top(vector, corpus.ids, 10)
        assert ranked.eligible == SIZE


# --- paging --------------------------------------------------------------------------------


def pages(
    catalogue: Catalogue,
    vector: Vector,
    tokens: list[str],
    *,
    filters: ListingFilters,
    limit: int,
    count: int,
    method: str,
) -> list[list[int]]:
    """Return `count` pages as the API asks for them: depth = offset + limit, from offset."""
    result = []
    for offset in range(0, count * limit, limit):
        ranked = catalogue.rank(
            vector,
            tokens,
            filters=filters,
            depth=offset + limit,
            offset=offset,
            method=method,  # type: ignore[arg-type]
        )
        result.append([c.id for c in ranked.candidates])
    return result


@pytest.mark.parametrize("filters", [ListingFilters(), HUBEI], ids=["unfiltered", "one-percent"])
def test_dense_pages_follow_one_ranking_without_gaps_or_repeats(
    big: Catalogue, corpus: Corpus, filters: ListingFilters
) -> None:
    allowed = corpus.ids if filters == ListingFilters() else corpus.rare
    for _ in range(10):
        vector, tokens = corpus.query()

        got = pages(big, vector, tokens, filters=filters, limit=10, count=4, method="dense")

        expected = corpus.true_top(vector, allowed, 40)
        assert got == [expected[0:10], expected[10:20], expected[20:30], expected[30:40]]


def test_hybrid_pages_show_every_listing_once(big: Catalogue, corpus: Corpus) -> None:
    rng = np.random.default_rng(11)
    repeated = 0
    for _ in range(30):
        vector, tokens = query(rng)

        got = pages(
            big, vector, tokens, filters=ListingFilters(), limit=10, count=3, method="hybrid"
        )

        shown = [i for page in got for i in page]
        repeated += len(shown) - len(set(shown))
    assert repeated == 0


def test_hybrid_pages_across_the_shallow_depth_are_cut_from_one_ranking(
    big: Catalogue, corpus: Corpus
) -> None:
    rng = np.random.default_rng(12)
    for _ in range(10):
        vector, tokens = query(rng)
        whole = big.rank(vector, tokens, filters=ListingFilters(), depth=240)

        got = pages(
            big, vector, tokens, filters=ListingFilters(), limit=30, count=8, method="hybrid"
        )
        straddling = big.rank(vector, tokens, filters=ListingFilters(), depth=115, offset=85)

        expected = [c.id for c in whole.candidates]
        assert len(expected) == 240
        assert len(set(expected)) == 240
        assert [i for page in got for i in page] == expected
        assert [c.id for c in straddling.candidates] == expected[85:115]
        assert [c.id for c in whole.candidates[:SHALLOW_DEPTH]] == [
            c.id
            for c in big.rank(
                vector, tokens, filters=ListingFilters(), depth=SHALLOW_DEPTH
            ).candidates
        ]


# --- BM25 in a second thread ----------------------------------------------------------------


@pytest.fixture(scope="module")
def parallel(corpus: Corpus) -> Catalogue:
    """The same listings, ranked with BM25 in the worker thread whatever the size."""
    return corpus.catalogue(parallel_min=0)


@pytest.mark.parametrize(
    ("filters", "depth", "offset"),
    [
        (ListingFilters(), 10, 0),
        (HUBEI, 10, 0),
        (ListingFilters(max_rate_percent=3.0), 30, 20),
        (ListingFilters(), 240, 200),  # past the shallow places: the deep pools run too
    ],
)
def test_parallel_retrieval_ranks_exactly_as_one_thread_does(
    big: Catalogue,
    parallel: Catalogue,
    filters: ListingFilters,
    depth: int,
    offset: int,
) -> None:
    assert big.parallel_min > len(big)
    rng = np.random.default_rng(21)
    for _ in range(10):
        vector, tokens = query(rng)

        alone = big.rank(vector, tokens, filters=filters, depth=depth, offset=offset)
        split = parallel.rank(vector, tokens, filters=filters, depth=depth, offset=offset)

        assert split == alone
        assert len(split.candidates) == depth - offset


def test_a_failing_dense_search_waits_for_the_bm25_worker_before_the_lock_is_released(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = corpus.catalogue(parallel_min=0)
    searches: list[str] = []
    lexical_search = catalogue._lexical.search

    def slow_lexical(*args: object) -> list[tuple[int, float]]:
        time.sleep(0.2)
        found = lexical_search(*args)  # type: ignore[arg-type]
        searches.append("lexical finished")
        return found

    def failing_dense(*_args: object) -> list[object]:
        raise RuntimeError("FAISS failed")

    monkeypatch.setattr(catalogue._lexical, "search", slow_lexical)
    monkeypatch.setattr(catalogue._index, "search", failing_dense)
    vector, tokens = corpus.query()

    with pytest.raises(RuntimeError, match="FAISS failed"):
        catalogue.rank(vector, tokens, filters=ListingFilters(), depth=10)

    # The BM25 search had finished when rank gave up the lock, so no writer ran under it.
    assert searches == ["lexical finished"]


# --- exclude -------------------------------------------------------------------------------


def test_excluded_listings_are_never_ranked_and_not_counted(big: Catalogue, corpus: Corpus) -> None:
    vector, tokens = corpus.query()
    top = [c.id for c in big.rank(vector, tokens, filters=HUBEI, depth=10).candidates]

    ranked = big.rank(vector, tokens, filters=HUBEI, depth=10, exclude=top[:3])

    ids = [c.id for c in ranked.candidates]
    assert len(ids) == 10
    assert not set(ids) & set(top[:3])
    assert ranked.eligible == 47


def test_exclude_without_filters_still_fills_the_page(big: Catalogue, corpus: Corpus) -> None:
    vector, tokens = corpus.query()
    top = corpus.true_top(vector, corpus.ids, 5)

    ranked = big.rank(
        vector, tokens, filters=ListingFilters(), depth=10, method="dense", exclude=top
    )

    allowed = corpus.ids[~np.isin(corpus.ids, top)]
    assert [c.id for c in ranked.candidates] == corpus.true_top(vector, allowed, 10)
    assert ranked.eligible == SIZE - 5


# --- apply, replace_all, versions ------------------------------------------------------------


def small_catalogue() -> Catalogue:
    catalogue = Catalogue(model_id="test-32", dimension=DIM)
    catalogue.replace_all(
        [
            entry(1, axis(0), ["轴承", "振动"]),
            entry(2, axis(1), ["薄膜", "降解"]),
            entry(3, axis(2), ["气体", "传感器"], province=RARE_PROVINCE),
        ],
        watermark=datetime(2025, 1, 1, 12, 0),
        source="database",
    )
    return catalogue


def dense_ids(catalogue: Catalogue, vector: Vector, **filters: object) -> list[int]:
    ranked = catalogue.rank(
        vector,
        [],
        filters=ListingFilters(**filters),  # type: ignore[arg-type]
        depth=10,
        method="dense",
    )
    return [c.id for c in ranked.candidates]


def lexical_ids(catalogue: Catalogue, tokens: list[str]) -> list[int]:
    ranked = catalogue.rank(axis(31), tokens, filters=ListingFilters(), depth=10, method="lexical")
    return [c.id for c in ranked.candidates]


def test_replace_all_holds_exactly_the_given_entries() -> None:
    catalogue = small_catalogue()

    assert len(catalogue) == 3
    assert catalogue.source == "database"
    assert catalogue.watermark == datetime(2025, 1, 1, 12, 0)
    assert dense_ids(catalogue, axis(1))[0] == 2
    assert lexical_ids(catalogue, ["传感器"]) == [3]

    catalogue.replace_all(
        [entry(4, axis(3), ["电池"])], watermark=datetime(2025, 2, 1), source="snapshot x"
    )

    assert len(catalogue) == 1
    assert 1 not in catalogue
    assert 4 in catalogue
    assert catalogue.source == "snapshot x"
    assert catalogue.watermark == datetime(2025, 2, 1)
    assert dense_ids(catalogue, axis(1)) == [4]
    assert lexical_ids(catalogue, ["传感器"]) == []
    assert lexical_ids(catalogue, ["电池"]) == [4]


def test_replace_all_with_nothing_empties_the_catalogue() -> None:
    catalogue = small_catalogue()

    catalogue.replace_all([], watermark=None, source="database")

    assert len(catalogue) == 0
    ranked = catalogue.rank(axis(0), ["轴承"], filters=ListingFilters(), depth=10)
    assert ranked.candidates == []
    assert ranked.eligible == 0


def test_apply_adds_replaces_and_removes_under_every_retriever_and_filter() -> None:
    catalogue = small_catalogue()

    catalogue.apply(
        [
            entry(4, axis(3), ["电池", "正极"]),
            entry(2, axis(5), ["涂层"], province=RARE_PROVINCE, version=2),
        ],
        removed=[1],
    )

    assert len(catalogue) == 3
    assert 1 not in catalogue
    assert dense_ids(catalogue, axis(0))[0] != 1
    assert 1 not in dense_ids(catalogue, axis(0))
    assert lexical_ids(catalogue, ["轴承"]) == []
    assert dense_ids(catalogue, axis(3))[0] == 4
    assert lexical_ids(catalogue, ["正极"]) == [4]
    # Listing 2 now has a new vector, new terms and new facts.
    assert dense_ids(catalogue, axis(5))[0] == 2
    assert lexical_ids(catalogue, ["降解"]) == []
    assert lexical_ids(catalogue, ["涂层"]) == [2]
    assert dense_ids(catalogue, axis(5), province=RARE_PROVINCE) == [2, 3]
    assert catalogue.version_of(2) == 2
    assert catalogue.facts_of(2) == facts(2, province=RARE_PROVINCE, version=2)


def test_apply_removing_an_unknown_listing_changes_nothing() -> None:
    catalogue = small_catalogue()

    catalogue.apply([], removed=[99])

    assert len(catalogue) == 3
    assert sorted(dense_ids(catalogue, axis(0))) == [1, 2, 3]


def test_version_of_names_the_held_version_or_none() -> None:
    catalogue = small_catalogue()
    catalogue.apply([entry(3, axis(2), ["气体"], version=5)], removed=[2])

    assert catalogue.version_of(1) == 1
    assert catalogue.version_of(3) == 5
    assert catalogue.version_of(2) is None
    assert catalogue.version_of(99) is None


def test_apply_facts_changes_filters_without_touching_vectors() -> None:
    catalogue = small_catalogue()

    catalogue.apply_facts([facts(1, province=RARE_PROVINCE, version=2)])

    assert dense_ids(catalogue, axis(0), province=RARE_PROVINCE) == [1, 3]
    assert catalogue.version_of(1) == 2
    assert dense_ids(catalogue, axis(0))[0] == 1


def test_a_filter_asked_again_after_changes_sees_them_in_every_retriever() -> None:
    # A repeated filter's ids and what the indexes derive from them are kept between
    # rankings; every change must still show in the next ranking.
    catalogue = small_catalogue()

    def hybrid_ids() -> list[int]:
        ranked = catalogue.rank(
            axis(1), ["涂层", "气体"], filters=ListingFilters(province=RARE_PROVINCE), depth=10
        )
        return sorted(c.id for c in ranked.candidates)

    assert hybrid_ids() == [3]
    assert hybrid_ids() == [3]
    catalogue.apply([entry(2, axis(5), ["涂层"], province=RARE_PROVINCE, version=2)], [3])
    assert hybrid_ids() == [2]
    catalogue.apply_facts([facts(1, province=RARE_PROVINCE, version=2)])
    assert hybrid_ids() == [1, 2]
    assert dense_ids(catalogue, axis(0), province=RARE_PROVINCE) == [1, 2]


def test_advance_watermark_only_moves_forward() -> None:
    catalogue = small_catalogue()
    start = datetime(2025, 1, 1, 12, 0)

    catalogue.advance_watermark(start - timedelta(hours=1))
    assert catalogue.watermark == start
    catalogue.advance_watermark(None)
    assert catalogue.watermark == start
    catalogue.advance_watermark(start + timedelta(hours=1))
    assert catalogue.watermark == start + timedelta(hours=1)


def test_listing_past_its_expiry_is_not_ranked_though_still_held() -> None:
    catalogue = small_catalogue()
    catalogue.apply([entry(4, axis(0), ["轴承"], expiry_date=date(2024, 12, 31))], removed=[])

    ranked = catalogue.rank(
        axis(0), ["轴承"], filters=ListingFilters(), depth=10, today=date(2025, 1, 1)
    )

    assert 4 in catalogue
    assert [c.id for c in ranked.candidates][0] == 1
    assert 4 not in [c.id for c in ranked.candidates]
    assert ranked.eligible == 3


def test_hybrid_rank_puts_the_listing_both_retrievers_agree_on_first() -> None:
    catalogue = small_catalogue()
    catalogue.apply(
        [entry(4, between(0, 1, 0.9), ["薄膜"]), entry(5, between(0, 2, 0.95), ["涂层"])],
        removed=[],
    )

    ranked = catalogue.rank(axis(0), ["薄膜"], filters=ListingFilters(), depth=3)

    # 4 is third by cosine and first by terms; 2 is fourth by cosine and second by terms,
    # which together outweigh 1's first place by cosine alone.
    assert [c.id for c in ranked.candidates] == [4, 2, 1]
    first = ranked.candidates[0]
    assert first.semantic_rank == 3
    assert first.lexical_rank == 1
    assert first.semantic == pytest.approx(float(between(0, 1, 0.9)[0]), abs=1e-6)
    assert first.lexical is not None and first.lexical > 0
