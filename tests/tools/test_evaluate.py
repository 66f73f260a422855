"""The evaluation job: metrics on hand-computed cases, loaders on the real formats, a tiny run."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from app.core.errors import InvalidInput
from matching.embedder import HashingEmbedder
from matching.text import Tokenizer
from tools.evaluate import (
    METHODS,
    TASKS,
    Paper,
    PhrasePair,
    SentencePair,
    load_csl,
    load_stsb,
    load_uspppm,
    mrr_at_k,
    ndcg_at_k,
    parse_tasks,
    precision_at_k,
    recall_at_k,
    render_markdown,
    run_evaluation,
    spearman,
)

LOG3 = math.log2(3)

# ------------------------------------------------------------------ metrics


def test_ndcg_discounts_each_rank_by_log2_of_rank_plus_one() -> None:
    # DCG = 0 + 1/log2(3) + 0.5/log2(4); ideal = 1 + 0.5/log2(3) + 0.25/log2(4).
    gains = {1: 1.0, 2: 0.5, 4: 0.25}
    expected = (1 / LOG3 + 0.5 / 2) / (1 + 0.5 / LOG3 + 0.25 / 2)
    assert ndcg_at_k([3, 1, 2], gains) == pytest.approx(expected)


def test_ndcg_is_one_for_the_ideal_order_and_zero_without_gains() -> None:
    assert ndcg_at_k([1, 2, 4], {1: 1.0, 2: 0.5, 4: 0.25}) == pytest.approx(1.0)
    assert ndcg_at_k([1, 2], {1: 0.0, 2: 0.0}) == 0.0


def test_ndcg_ignores_documents_below_the_cutoff() -> None:
    ranking = list(range(10, 20)) + [1]  # the only gain sits at rank 11
    assert ndcg_at_k(ranking, {1: 1.0}, k=10) == 0.0
    assert ndcg_at_k([5, 1], {1: 1.0}, k=2) == pytest.approx(1 / LOG3)


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_document() -> None:
    assert mrr_at_k([5, 7, 3, 1], {3, 1}) == pytest.approx(1 / 3)
    assert mrr_at_k([5, 7], {9}) == 0.0
    assert mrr_at_k(list(range(20, 30)) + [1], {1}, k=10) == 0.0


def test_recall_counts_relevant_documents_found_within_k() -> None:
    assert recall_at_k([2, 1], {1}, 1) == 0.0
    assert recall_at_k([1, 2], {1}, 1) == 1.0
    assert recall_at_k([1, 9, 2, 8], {1, 2, 3, 4}, 10) == 0.5
    assert recall_at_k([1], set(), 10) == 0.0


def test_precision_counts_missing_places_as_misses() -> None:
    assert precision_at_k([1, 2, 3, 4, 5], {1, 3, 5}) == pytest.approx(0.3)
    assert precision_at_k([1, 2], {1, 2}, k=2) == 1.0


def test_spearman_uses_ranks_not_values() -> None:
    assert spearman([1, 2, 3, 4], [1, 10, 100, 1000]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # 1 - 6·Σd² / (n(n²-1)) = 1 - 6·2/60
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)


# ------------------------------------------------------------------ data in the real formats

USPPPM = """id,anchor,target,context,score
a1,solar cell,solar cell panel,H01,1.0
a2,solar cell,photovoltaic module,H01,0.5
a3,solar cell,bread oven,H01,0.0
a4,bread,bread oven,H01,0.25
a5,bread,baking tray,H01,0.0
b1,dough mixer,dough kneading machine,A21,0.75
b2,dough mixer,mixer,A21,0.5
b3,dough mixer,steel beam,A21,0.0
"""

# (title, abstract, keywords, discipline) per split; row i is one paper in every file.
CSL = {
    "dev": [
        (
            "锂电池正极材料的制备",
            "研究锂电池正极材料的制备工艺，提高了电池容量。",
            "锂电池_正极材料",
            "材料科学与工程",
        ),
        (
            "小麦抗旱品种筛选",
            "通过田间试验筛选小麦抗旱品种，分析产量与水分利用。",
            "小麦_抗旱",
            "作物学",
        ),
        (
            "数控机床振动抑制",
            "针对数控机床切削振动问题，提出主动抑制方法。",
            "数控机床_振动",
            "机械工程",
        ),
    ],
    "test": [
        (
            "钠离子电池负极材料研究",
            "研究钠离子电池负极材料的结构与循环性能。",
            "钠离子电池_负极材料",
            "材料科学与工程",
        ),
        (
            "水稻施肥与产量关系",
            "田间试验表明合理施肥可提高水稻产量。",
            "水稻_施肥",
            "作物学",
        ),
        (
            "机器人关节减速器设计",
            "设计一种机器人关节用精密减速器，降低传动误差。",
            "机器人_减速器",
            "机械工程",
        ),
    ],
}

# Identical, overlapping and unrelated sentences, scored 5, 2.5 and 0.
STSB = (
    "一个男人在弹吉他。\t一个男人在弹吉他。\t5\n"
    "一个男人在弹吉他。\t一个男人在唱歌。\t2.5\n"
    "一只猫在睡觉。\t股市今天大涨。\t0\n"
)


def write_data(root: Path) -> Path:
    """Write the four benchmarks in their real formats under `root` and return it."""
    (root / "uspppm").mkdir(parents=True)
    (root / "uspppm" / "train.csv").write_text(USPPPM, encoding="utf-8")
    csl = root / "csl_zh"
    csl.mkdir()
    for split, papers in CSL.items():
        ts = [f"to title\t{abstract}\t{title}" for title, abstract, _, _ in papers]
        kg = [f"to keywords\t{abstract} {title}\t{kw}" for title, abstract, kw, _ in papers]
        dcp = [f"to discipline\t{abstract}\t{disc}" for _, abstract, _, disc in papers]
        for name, lines in (("ts", ts), ("kg", kg), ("cls_dcp", dcp)):
            (csl / f"{name}_{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "stsb_zh").mkdir()
    (root / "stsb_zh" / "STS-B.test.data").write_text(STSB, encoding="utf-8")
    return root


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    return write_data(tmp_path / "eval")


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    # jieba's dictionary takes seconds to load; one tokenizer serves every test here.
    return Tokenizer()


def test_load_uspppm_reads_every_judgement(data_dir: Path) -> None:
    pairs = load_uspppm(data_dir / "uspppm" / "train.csv")
    assert len(pairs) == 8
    assert pairs[1] == PhrasePair("solar cell", "photovoltaic module", "H01", 0.5)


def test_load_uspppm_names_the_line_of_a_bad_score(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("id,anchor,target,context,score\nx,a,b,H01,high\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_uspppm(path)
    assert caught.value.problems[0].loc == ("train.csv", 2)


def test_load_csl_joins_title_keywords_and_discipline_of_the_same_row(data_dir: Path) -> None:
    papers = load_csl(data_dir / "csl_zh")
    assert len(papers) == 6
    assert papers[0] == Paper(
        title="锂电池正极材料的制备",
        abstract="研究锂电池正极材料的制备工艺，提高了电池容量。",
        keywords=("锂电池", "正极材料"),
        discipline="材料科学与工程",
    )
    assert papers[3].title == "钠离子电池负极材料研究"  # test follows dev
    assert papers[0].keyword_text == "锂电池、正极材料"


def test_load_csl_refuses_files_whose_rows_are_different_papers(data_dir: Path) -> None:
    path = data_dir / "csl_zh" / "cls_dcp_test.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not the ts row's paper"):
        load_csl(data_dir / "csl_zh")


def test_load_stsb_reads_pairs_and_refuses_a_short_line(data_dir: Path, tmp_path: Path) -> None:
    pairs = load_stsb(data_dir / "stsb_zh" / "STS-B.test.data")
    assert pairs[1] == SentencePair("一个男人在弹吉他。", "一个男人在唱歌。", 2.5)
    bad = tmp_path / "bad.data"
    bad.write_text("只有一句\t3\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_stsb(bad)
    assert caught.value.problems[0].loc == ("bad.data", 1)


def test_parse_tasks_returns_canonical_order_and_refuses_unknown_names() -> None:
    assert parse_tasks("stsb, CSL") == ("csl", "stsb")
    with pytest.raises(InvalidInput, match="unknown tasks"):
        parse_tasks("csl,msmarco")


# ------------------------------------------------------------------ end to end


def test_run_evaluation_measures_every_task_on_tiny_data(
    data_dir: Path, tokenizer: Tokenizer
) -> None:
    report = run_evaluation(
        TASKS, embedder=HashingEmbedder(256), tokenizer=tokenizer, data_dir=data_dir
    )
    assert [(result.task, len(result.tables)) for result in report.results] == [
        ("uspppm", 1), ("csl", 2), ("fields", 2), ("stsb", 1)
    ]  # fmt: skip
    assert report.model_id == "hash-256"
    tables = [table for result in report.results for table in result.tables]

    uspppm = tables[0]
    # "bread" is skipped: its best target scores 0.25. BM25 finds "solar cell panel" only, and
    # ranks "mixer" (1 token) above "dough kneading machine" (3 tokens).
    assert uspppm.queries == 2
    solar = 1 / (1 + 0.5 / LOG3)
    dough = (0.5 + 0.75 / LOG3) / (0.75 + 0.5 / LOG3)
    assert uspppm.value("bm25", "nDCG@10") == pytest.approx((solar + dough) / 2)
    assert uspppm.value("bm25", "MRR@10") == 1.0
    assert uspppm.value("bm25", "R@10") == 0.75
    # Dense ranks every target of the context, so it always finds both relevant ones.
    assert uspppm.value("dense", "R@10") == 1.0
    assert [row.method for row in uspppm.rows] == [method.name for method in METHODS]

    title_queries = tables[1]
    assert title_queries.title == "CSL (Chinese): title → abstract"
    assert title_queries.queries == 6
    # Each title's words occur in its own abstract only.
    assert title_queries.value("bm25", "R@1") == 1.0
    assert title_queries.value("bm25", "MRR@10") == 1.0
    # Each paper has one other paper of its discipline among 5 others: P@10 is at most 0.1.
    assert all(0 <= row.values[2] <= 0.1 for row in title_queries.rows)

    passage_side, query_side = tables[3], tables[4]
    assert [row.method for row in passage_side.rows] == [
        "abstract only",
        "title + abstract, one text",
        "title, abstract apart: max of the two cosines",
        "title, abstract apart: mean of the two cosines",
        "title, abstract apart: RRF of the two rankings",
        "title, abstract apart: one vector, their normalised sum",
    ]
    assert len(query_side.rows) == 6
    assert passage_side.value("title + abstract, one text", "R@1") == 1.0

    sts = tables[5]
    # Identical, overlapping and unrelated sentences: cosines in the order of the gold scores.
    assert sts.value("dense", "Spearman ρ") == pytest.approx(1.0)

    markdown = render_markdown(report)
    for table in tables:
        assert f"### {table.title}" in markdown
    assert "| method | nDCG@10 | MRR@10 | R@10 |" in markdown
    assert "| bm25 | " in markdown
    assert markdown.count("Time (") == 4  # once per task, after its last table


def test_limit_takes_whole_uspppm_contexts_and_samples_other_queries(
    data_dir: Path, tokenizer: Tokenizer
) -> None:
    report = run_evaluation(
        ["uspppm", "csl"],
        embedder=HashingEmbedder(64),
        tokenizer=tokenizer,
        data_dir=data_dir,
        limit=1,
    )
    (uspppm,), (title_queries, _) = (result.tables for result in report.results)
    assert uspppm.queries == 1
    assert "in 1 of 2 contexts" in uspppm.notes
    assert title_queries.queries == 1
    assert "over all 6 abstracts" in title_queries.notes


def test_run_evaluation_names_every_missing_file_before_embedding(
    tmp_path: Path, tokenizer: Tokenizer
) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_evaluation(
            ["stsb", "uspppm"],
            embedder=HashingEmbedder(64),
            tokenizer=tokenizer,
            data_dir=tmp_path,
        )
    assert [problem.msg for problem in caught.value.problems] == [
        f"{tmp_path / 'stsb_zh/STS-B.test.data'} not found",
        f"{tmp_path / 'uspppm/train.csv'} not found",
    ]


@pytest.fixture()
def hashing_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EMBEDDING_MODEL", "hash-64")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("hashing_settings")
def test_cli_evaluate_prints_and_writes_the_tables(data_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "eval.md"
    result = CliRunner().invoke(
        cli,
        ["evaluate", "--tasks", "stsb", "--data-dir", str(data_dir), "--output", str(output)],
    )
    assert result.exit_code == 0, result.output
    assert "## Evaluation: `hash-64`" in result.stdout
    assert output.read_text(encoding="utf-8") == result.stdout.removesuffix("\n")


@pytest.mark.usefixtures("hashing_settings")
def test_cli_evaluate_exits_non_zero_on_an_unknown_task(data_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["evaluate", "--tasks", "glue", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "unknown tasks ['glue']" in result.stderr
