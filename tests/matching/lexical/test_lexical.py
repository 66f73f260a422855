import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from matching.lexical import LexicalIndex

K1, B = 1.2, 0.75

CORPUS = {
    1: ["数控", "机床", "主轴"],
    2: ["机床", "冷却", "冷却"],
    3: ["铝合金", "门窗"],
    4: ["数控", "编程"],
}


def build(corpus: dict[int, list[str]]) -> LexicalIndex:
    return LexicalIndex.build(list(corpus), list(corpus.values()), k1=K1, b=B)


def bm25(tf: int, df: int, n_docs: int, dl: int, avgdl: float) -> float:
    idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))


def ids(results: list[tuple[int, float]]) -> list[int]:
    return [doc_id for doc_id, _ in results]


def test_score_equals_lucene_bm25_computed_by_hand() -> None:
    index = build(CORPUS)
    [(doc_id, score)] = index.search(["冷却"], k=10)
    assert doc_id == 2
    # N = 4, df(冷却) = 1, tf = 2, dl = 3, avgdl = (3 + 3 + 2 + 2) / 4
    assert score == pytest.approx(bm25(tf=2, df=1, n_docs=4, dl=3, avgdl=2.5), abs=1e-5)


def test_search_ranks_by_bm25_and_sums_query_terms() -> None:
    results = build(CORPUS).search(["数控", "机床"], k=10)
    # Doc 1 has both terms; doc 4 beats doc 2 on the same df because it is shorter.
    assert ids(results) == [1, 4, 2]
    expected_first = bm25(1, 2, 4, 3, 2.5) + bm25(1, 2, 4, 3, 2.5)
    assert results[0][1] == pytest.approx(expected_first, abs=1e-5)


def test_repeated_query_tokens_count_once() -> None:
    index = build(CORPUS)
    assert index.search(["机床", "机床"], k=10) == index.search(["机床"], k=10)


def test_search_returns_only_matching_documents_when_k_exceeds_them() -> None:
    assert ids(build(CORPUS).search(["门窗"], k=100)) == [3]


def test_search_returns_nothing_for_empty_unknown_or_zero_k_queries() -> None:
    index = build(CORPUS)
    assert index.search([], k=10) == []
    assert index.search(["不存在"], k=10) == []
    assert index.search(["机床"], k=0) == []


def test_ties_are_broken_by_smaller_id() -> None:
    index = build({7: ["钢"], 3: ["钢"], 5: ["钢"], 9: ["铝"]})
    assert ids(index.search(["钢"], k=10)) == [3, 5, 7]
    assert ids(index.search(["钢"], k=2)) == [3, 5]


def test_allowed_filter_still_fills_k_results() -> None:
    # Documents with more "钢" score higher; allow only the ten weakest, which a post-filter
    # of the global top k would miss entirely.
    corpus = {doc_id: ["钢"] * (doc_id % 7 + 1) + ["填充"] * 5 for doc_id in range(1, 201)}
    index = build(corpus)
    allowed = np.array([doc_id for doc_id in corpus if doc_id % 7 == 0][:10], dtype=np.int64)
    results = index.search(["钢"], k=5, allowed=allowed)
    assert ids(results) == [7, 14, 21, 28, 35]
    assert set(ids(index.search(["钢"], k=50, allowed=allowed))) == set(allowed.tolist())


def test_allowed_filter_ignores_unknown_and_repeated_ids() -> None:
    index = build(CORPUS)
    allowed = np.array([4, 4, 999, 2, -1], dtype=np.int64)
    assert ids(index.search(["数控", "机床"], k=10, allowed=allowed)) == [4, 2]
    assert index.search(["数控"], k=10, allowed=np.array([], dtype=np.int64)) == []


def test_a_read_only_allowed_set_kept_across_searches_follows_every_update() -> None:
    index = build(CORPUS)
    allowed = np.array([1, 2, 4], dtype=np.int64)
    allowed.flags.writeable = False
    assert set(ids(index.search(["数控", "机床"], k=10, allowed=allowed))) == {1, 2, 4}

    index.remove(4)
    assert set(ids(index.search(["数控", "机床"], k=10, allowed=allowed))) == {1, 2}
    index.remove(1)
    assert ids(index.search(["数控", "机床"], k=10, allowed=allowed)) == [2]
    index.upsert(1, ["数控"])
    assert set(ids(index.search(["数控", "机床"], k=10, allowed=allowed))) == {1, 2}
    index.upsert(3, ["数控"])  # not allowed: stays out
    assert 3 not in ids(index.search(["数控"], k=10, allowed=allowed))


def test_upsert_replaces_a_built_document() -> None:
    index = build(CORPUS)
    index.upsert(1, ["激光", "焊接"])
    assert ids(index.search(["主轴"], k=10)) == []
    assert ids(index.search(["数控"], k=10)) == [4]
    assert ids(index.search(["激光"], k=10)) == [1]
    assert len(index) == 4


def test_upsert_replaces_a_delta_document() -> None:
    index = build(CORPUS)
    index.upsert(10, ["激光"])
    index.upsert(10, ["焊接"])
    assert index.search(["激光"], k=10) == []
    assert ids(index.search(["焊接"], k=10)) == [10]
    assert len(index) == 5


def test_remove_hides_built_and_delta_documents() -> None:
    index = build(CORPUS)
    index.upsert(10, ["数控"])
    index.remove(4)
    index.remove(10)
    index.remove(12345)
    assert ids(index.search(["数控"], k=10)) == [1]
    assert 4 not in index
    assert 10 not in index
    assert 1 in index
    assert "1" not in index
    assert len(index) == 3
    assert index.scores_for(["数控"], [4, 10]) == {4: 0.0, 10: 0.0}


def test_upserted_document_scores_exactly_like_its_built_twin() -> None:
    index = build(CORPUS)
    index.upsert(20, list(CORPUS[1]))
    index.upsert(2, list(CORPUS[2]))  # moved to the delta, unchanged
    query = ["数控", "机床", "主轴", "冷却"]
    scores = dict(index.search(query, k=10))
    assert scores[20] == scores[1]
    assert scores == dict(build(CORPUS).search(query, k=10)) | {20: scores[1]}
    assert ids(index.search(query, k=10))[:2] == [1, 20]


def test_delta_uses_build_statistics() -> None:
    index = build(CORPUS)
    index.upsert(30, ["冷却"])
    index.upsert(31, ["冷却"])
    # df(冷却) and N stay as built (1 of 4), so the new documents do not dilute its idf.
    assert index.idf("冷却") == pytest.approx(math.log(1 + 3.5 / 1.5))
    assert index.scores_for(["冷却"], [30])[30] == pytest.approx(bm25(1, 1, 4, 1, 2.5), abs=1e-5)
    assert index.idf("新词") == pytest.approx(math.log(1 + 4.5 / 0.5))


def test_empty_build_scores_delta_with_its_own_statistics() -> None:
    index = LexicalIndex.build([], [], k1=K1, b=B)
    assert len(index) == 0
    assert index.search(["数控"], k=10) == []
    for doc_id, tokens in CORPUS.items():
        index.upsert(doc_id, tokens)
    query = ["数控", "机床", "冷却"]
    built = build(CORPUS).search(query, k=10)
    assert ids(index.search(query, k=10)) == ids(built)
    assert [score for _, score in index.search(query, k=10)] == pytest.approx(
        [score for _, score in built], abs=1e-5
    )


def test_documents_without_tokens_count_but_never_match() -> None:
    index = LexicalIndex.build([1], [[]])
    index.upsert(2, [])
    assert len(index) == 2
    assert index.search(["钢"], k=5) == []
    assert index.scores_for(["钢"], [1, 2]) == {1: 0.0, 2: 0.0}


def test_scores_for_returns_scores_of_given_documents() -> None:
    index = build(CORPUS)
    index.upsert(20, ["冷却"])
    query = ["数控", "机床"]
    searched = dict(index.search(query, k=10))
    assert index.scores_for(query, [2, 3, 1, 999, 20]) == {
        2: searched[2],
        3: 0.0,
        1: searched[1],
        999: 0.0,
        20: 0.0,
    }
    assert index.scores_for(["不存在"], [1]) == {1: 0.0}
    assert index.scores_for([], [1]) == {1: 0.0}


def test_build_rejects_duplicate_ids_and_length_mismatch() -> None:
    with pytest.raises(ValueError, match="unique"):
        LexicalIndex.build([1, 1], [["a"], ["b"]])
    with pytest.raises(ValueError, match="2 ids for 1 documents"):
        LexicalIndex.build([1, 2], [["a"]])


@pytest.mark.parametrize("mmap", [False, True])
def test_save_and_load_round_trip_keeps_delta_and_tombstones(tmp_path: Path, mmap: bool) -> None:
    index = build(CORPUS)
    index.upsert(1, ["激光", "数控"])
    index.upsert(50, ["数控", "机床", "数控"])
    index.remove(3)
    index.save(tmp_path / "snapshot")
    loaded = LexicalIndex.load(tmp_path / "snapshot", mmap=mmap)
    loaded.upsert(2, ["冷却"])
    index.upsert(2, ["冷却"])
    for query in (["数控"], ["机床", "冷却"], ["激光"], ["门窗"], ["主轴"]):
        assert loaded.search(query, k=10) == index.search(query, k=10)
    assert len(loaded) == len(index) == 4
    assert 3 not in loaded
    assert loaded.idf("数控") == index.idf("数控")


def test_save_and_load_an_index_built_empty(tmp_path: Path) -> None:
    index = LexicalIndex.build([], [])
    index.upsert(5, ["钢"])
    index.save(tmp_path)
    assert LexicalIndex.load(tmp_path).search(["钢"], k=3) == index.search(["钢"], k=3)


def test_load_refuses_another_format(tmp_path: Path) -> None:
    build(CORPUS).save(tmp_path)
    meta = tmp_path / "lexical.json"
    meta.write_text(meta.read_text("utf-8").replace('"format": 1', '"format": 99'), "utf-8")
    with pytest.raises(ValueError, match="format 99"):
        LexicalIndex.load(tmp_path)


def test_search_agrees_with_brute_force_bm25_after_updates() -> None:
    rng = random.Random(7)
    vocabulary = [f"t{i}" for i in range(40)]
    corpus = {
        doc_id: rng.choices(vocabulary, weights=range(40, 0, -1), k=rng.randint(1, 30))
        for doc_id in rng.sample(range(1, 10_000), 300)
    }
    index = build(corpus)
    n_docs = len(corpus)
    avgdl = sum(map(len, corpus.values())) / n_docs
    df = Counter(token for tokens in corpus.values() for token in set(tokens))
    live = dict(corpus)
    for doc_id in rng.sample(sorted(corpus), 40):
        index.remove(doc_id)
        del live[doc_id]
    for doc_id in rng.sample(range(10_000, 10_100), 30) + rng.sample(sorted(live), 30):
        live[doc_id] = rng.choices(vocabulary, k=rng.randint(1, 30))
        index.upsert(doc_id, live[doc_id])
    allowed = np.array(rng.sample(sorted(live), 120), dtype=np.int64)

    for _ in range(20):
        query = rng.sample(vocabulary, 3)
        expected = {
            doc_id: sum(
                bm25(tokens.count(term), df[term], n_docs, len(tokens), avgdl)
                for term in query
                if term in tokens
            )
            for doc_id, tokens in live.items()
            if doc_id in set(allowed.tolist()) and set(query) & set(tokens)
        }
        results = index.search(query, k=15, allowed=allowed)
        best = sorted(expected.items(), key=lambda item: (-item[1], item[0]))[:15]
        assert ids(results) == [doc_id for doc_id, _ in best]
        assert [score for _, score in results] == pytest.approx([s for _, s in best], abs=1e-5)
