from __future__ import annotations

import pytest

from matching.ranking import classification_fit, explain, fuse

# --- fuse ----------------------------------------------------------------------------------


def test_hybrid_fusion_puts_the_listing_both_rankings_agree_on_first() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    lexical = [(2, 12.0), (4, 9.0), (1, 3.0)]

    fused = fuse(dense, lexical)

    assert [c.id for c in fused] == [2, 1, 4, 3]
    assert fused[0].semantic == 0.8 and fused[0].lexical == 12.0
    assert (fused[0].semantic_rank, fused[0].lexical_rank) == (2, 1)
    assert fused[2].semantic is None and fused[2].lexical_rank == 2


def test_hybrid_score_is_one_for_first_place_in_both_rankings() -> None:
    fused = fuse([(7, 0.5)], [(7, 1.0)], lexical_weight=0.5)

    assert fused[0].score == pytest.approx(1.0)


def test_lexical_weight_decides_between_a_dense_and_a_lexical_winner() -> None:
    dense = [(1, 0.9), (2, 0.1)]
    lexical = [(2, 5.0), (1, 1.0)]

    assert [c.id for c in fuse(dense, lexical, lexical_weight=0.5)] == [1, 2]
    assert [c.id for c in fuse(dense, lexical, lexical_weight=2.0)] == [2, 1]


def test_equal_fused_scores_go_to_the_smaller_id() -> None:
    fused = fuse([(9, 0.9), (3, 0.8)], [(3, 2.0), (9, 1.0)])

    assert [c.id for c in fused] == [3, 9]


def test_start_and_stop_cut_a_page_from_the_whole_ranking() -> None:
    dense = [(i, 1.0 - i / 100) for i in range(1, 31)]
    lexical = [(i, 50.0 - i) for i in range(30, 0, -1)]
    whole = [c.id for c in fuse(dense, lexical)]

    page = fuse(dense, lexical, start=10, stop=20)

    assert [c.id for c in page] == whole[10:20]


def test_single_method_keeps_its_own_order_and_scores() -> None:
    dense = [(1, 0.9), (2, 0.8)]
    lexical = [(2, 7.0)]

    fused = fuse(dense, lexical, method="dense")

    assert [(c.id, c.score) for c in fused] == [(1, 0.9), (2, 0.8)]
    assert fused[1].lexical == 7.0


# --- classification fit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "listing", "fit"),
    [
        ("C39", "C39", 1.0),
        ("C39", "C38", 0.5),
        ("C39", "I65", 0.0),
        ("C", "C39", 1.0),
        ("C39", "C", 1.0),
        ("I", "C39", 0.0),
        (None, "C39", None),
        ("C39", None, None),
    ],
)
def test_classification_fit_grades_division_section_and_mismatch(
    query: str | None, listing: str | None, fit: float | None
) -> None:
    assert classification_fit(query, listing) == fit


# --- explain -------------------------------------------------------------------------------

TEXT = "一种锂电池正极材料。该材料提高电池循环寿命。本方法成本低。"
SENTENCES = ["一种锂电池正极材料。", "该材料提高电池循环寿命。", "本方法成本低。"]
WEIGHTS = {"锂电池": 3.0, "循环寿命": 5.0, "材料": 0.2, "方法": 0.1, "低": 4.0}


def weight(term: str) -> float:
    return WEIGHTS.get(term, 1.0)


def test_explain_lists_the_query_terms_the_listing_contains_in_query_order() -> None:
    why = explain(["循环寿命", "锂电池", "钠离子"], TEXT, SENTENCES, weight)

    assert why.terms_found == ["循环寿命", "锂电池"]


def test_explain_picks_the_sentence_holding_most_term_weight() -> None:
    why = explain(["锂电池", "循环寿命"], TEXT, SENTENCES, weight)

    assert why.best_sentence == "该材料提高电池循环寿命。"


def test_explain_leaves_out_single_characters_and_terms_below_the_minimum_weight() -> None:
    why = explain(["低", "材料", "方法", "锂电池"], TEXT, SENTENCES, weight, min_weight=0.5)

    assert why.terms_found == ["锂电池"]
    assert why.best_sentence == "一种锂电池正极材料。"


def test_explain_matches_latin_terms_case_insensitively() -> None:
    text = "A Lithium-ion cell. Its anode uses silicon."

    why = explain(
        ["lithium", "anode"], text, ["A Lithium-ion cell.", "Its anode uses silicon."], weight
    )

    assert why.terms_found == ["lithium", "anode"]


def test_explain_without_shared_terms_falls_back_to_shared_character_pairs() -> None:
    why = explain([], TEXT, SENTENCES, weight, "延长循环寿命的办法")

    assert why.terms_found == []
    assert why.best_sentence == "该材料提高电池循环寿命。"


def test_explain_with_nothing_in_common_has_no_sentence() -> None:
    why = explain(["钠离子"], TEXT, SENTENCES, weight, "钠离子")

    assert why == type(why)(terms_found=[], best_sentence=None)
