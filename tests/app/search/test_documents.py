"""The snapshot manifest: ids, versions, text hashes and tokens survive a save and load."""

from __future__ import annotations

from pathlib import Path

from app.search import documents


def test_manifest_round_trips_including_hashes_that_end_in_a_zero_byte(tmp_path: Path) -> None:
    hashes = ["ab" * 31 + "00", "00" * 32, "0f" * 32]
    manifest = documents.of(
        [3, 7, 9],
        [1, 4, 2],
        hashes,
        [["轴承", "故障"], [], ["轴承", "诊断", "轴承"]],
        tokenizer="jieba-search-1",
    )
    manifest.save(tmp_path / "documents")

    loaded = documents.Documents.load(tmp_path / "documents")

    assert loaded.ids.tolist() == [3, 7, 9] and loaded.versions.tolist() == [1, 4, 2]
    assert loaded.text_hashes == hashes
    assert loaded.tokens == [["轴承", "故障"], [], ["轴承", "诊断", "轴承"]]
    assert loaded.same_content(manifest)
    assert loaded.tokens_by_hash("jieba-search-1")[hashes[2]] == ["轴承", "诊断", "轴承"]
    assert loaded.tokens_by_hash("jieba-search-1:userdict") == {}


def test_an_empty_manifest_round_trips(tmp_path: Path) -> None:
    documents.empty("t").save(tmp_path / "d")

    assert len(documents.Documents.load(tmp_path / "d")) == 0


def test_tokens_are_read_on_first_use_and_lost_tokens_mean_tokenising_afresh(
    tmp_path: Path,
) -> None:
    documents.of([1, 2], [1, 1], ["aa" * 32, "bb" * 32], [["x"], ["y", "z"]], tokenizer="t").save(
        tmp_path / "d"
    )
    loaded = documents.Documents.load(tmp_path / "d")
    # The change check needs ids, versions and hashes only; the tokens file is not read yet.
    (tmp_path / "d" / "documents.npz").write_bytes(b"damaged")

    assert loaded.ids.tolist() == [1, 2] and loaded.text_hashes == ["aa" * 32, "bb" * 32]
    assert loaded.tokens_by_hash("t") == {}
