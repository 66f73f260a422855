import hashlib

import jieba  # type: ignore[import-untyped]
import pytest

import matching.text as text_module
from matching.text import (
    Tokenizer,
    content_hash,
    demand_text,
    listing_text,
    normalize,
    sentences,
)

PATENT_SENTENCE = "本发明公开了一种数控机床的主轴冷却装置，其特征在于包括冷却水套和温度传感器。"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    tokenizer = Tokenizer()
    tokenizer.warm_up()
    return tokenizer


@pytest.fixture(scope="module")
def domain_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    # One instance for the dictionary and stopword tests: each jieba load costs about 2 s.
    user_dict = tmp_path_factory.mktemp("dict") / "terms.txt"
    user_dict.write_text("石墨烯导热膜 10 n\n", encoding="utf-8")
    tokenizer = Tokenizer(user_dict, extra_stopwords=["制备", "METHOD"])
    tokenizer.warm_up()
    return tokenizer


def test_normalize_folds_width_and_collapses_whitespace() -> None:
    assert normalize("  ＡＢＣ１２３\t\n 数控　机床 ") == "ABC123 数控 机床"


def test_tokens_of_chinese_patent_sentence_include_search_mode_subwords(
    tokenizer: Tokenizer,
) -> None:
    assert tokenizer.tokens(PATENT_SENTENCE) == [
        "数控", "机床", "数控机床", "主轴", "冷却", "装置", "冷却", "冷却水", "套",
        "温度", "传感", "感器", "传感器", "温度传感器",
    ]  # fmt: skip


def test_tokens_drop_boilerplate_compound_without_leaking_its_parts(
    tokenizer: Tokenizer,
) -> None:
    # 实用新型 would otherwise yield 实用 and 新型 for every utility-model filing.
    assert tokenizer.tokens("本实用新型涉及一种新型铝合金门窗") == [
        "新型",
        "合金",
        "铝合金",
        "门窗",
    ]


def test_tokens_lowercase_english_and_drop_stopwords_and_punctuation(
    tokenizer: Tokenizer,
) -> None:
    text = "The present invention relates to a 5G Antenna for High-Strength STEEL, 0.5mm thick."
    assert tokenizer.tokens(text) == [
        "5g", "antenna", "high", "strength", "steel", "0.5", "mm", "thick",
    ]  # fmt: skip


def test_tokens_fold_full_width_latin(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokens("ＰＬＣ控制") == ["plc", "控制"]


def test_tokens_keep_meaningful_single_characters(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokens("钢和铝") == ["钢", "铝"]


def test_extra_stopwords_are_dropped_case_insensitively(domain_tokenizer: Tokenizer) -> None:
    assert domain_tokenizer.tokens("石墨烯制备 Method") == ["石墨", "烯"]


def test_query_terms_are_unique_precise_mode_words(tokenizer: Tokenizer) -> None:
    text = PATENT_SENTENCE + "数控机床的冷却。"
    assert tokenizer.query_terms(text) == [
        "数控机床", "主轴", "冷却", "装置", "冷却水", "套", "温度传感器",
    ]  # fmt: skip


def test_query_analyses_are_remembered_up_to_a_bound(
    tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_module, "QUERY_CACHE_SIZE", 2)
    first = tokenizer.analyse_query(PATENT_SENTENCE)

    assert first == tokenizer.analyse(PATENT_SENTENCE)
    assert tokenizer.analyse_query(PATENT_SENTENCE) is first  # jieba not run again
    tokenizer.analyse_query("轴承故障诊断")
    tokenizer.analyse_query("锂电池回收")  # the third text pushes out the least recent
    assert tokenizer.analyse_query(PATENT_SENTENCE) is not first


def test_user_dictionary_keeps_domain_term_whole(domain_tokenizer: Tokenizer) -> None:
    text = "一种石墨烯导热膜及其制造方法"
    assert domain_tokenizer.query_terms(text) == ["石墨烯导热膜", "制造", "方法"]
    assert domain_tokenizer.tokens(text) == ["石墨", "导热", "石墨烯导热膜", "制造", "方法"]


def test_user_dictionary_does_not_leak_into_other_tokenizers(
    domain_tokenizer: Tokenizer, tokenizer: Tokenizer
) -> None:
    domain_tokenizer.warm_up()
    text = "一种石墨烯导热膜及其制备方法"
    assert tokenizer.query_terms(text) == ["石墨", "烯", "导热", "膜", "制备", "方法"]
    assert "石墨烯导热膜" not in jieba.lcut(text)


def test_sentences_split_chinese_and_english_in_order() -> None:
    text = "第一句话。第二句话！Third sentence. Fourth one? 短。\n新的一行；最后一句没有句号"
    assert sentences(text) == [
        "第一句话。", "第二句话！", "Third sentence.", "Fourth one?",
        "新的一行；", "最后一句没有句号",
    ]  # fmt: skip


def test_sentences_do_not_split_decimals_or_numbers_with_commas() -> None:
    assert sentences("The gap is 0.5 mm. It costs 1,000 yuan.") == [
        "The gap is 0.5 mm.",
        "It costs 1,000 yuan.",
    ]


def test_sentences_keep_closing_quote_with_its_sentence() -> None:
    assert sentences("他说“好的。”然后离开。") == ["他说“好的。”", "然后离开。"]


def test_sentences_pack_clauses_of_a_long_sentence() -> None:
    clause = "这是一个用于测试拆分的较长从句"  # 15 characters
    text = "，".join([clause] * 30) + "。"
    pieces = sentences(text)
    assert [len(piece) for piece in pieces] == [192, 192, 96]
    assert "".join(pieces) == text


def test_listing_text_joins_title_abstract_and_first_claim() -> None:
    claims = "1. 一种装置，厚度为2.5mm，包括A。2. 根据权利要求1所述的装置，其特征在于B。"
    assert (
        listing_text("数控机床主轴冷却装置", "本发明涉及机床。", claims)
        == "数控机床主轴冷却装置。本发明涉及机床。一种装置，厚度为2.5mm，包括A。"
    )


def test_listing_text_cuts_claims_at_claim_two_after_a_newline() -> None:
    claims = "1、一种装置，包括A；\n2、如权利要求1所述的装置"
    assert listing_text("装置", "摘要", claims) == "装置。摘要。一种装置，包括A；"


def test_listing_text_joins_english_parts_with_full_stops() -> None:
    claims = "1. A device with a gap of 1.2. 2. The device of claim 1."
    assert (
        listing_text("Spindle cooling device", "A device for lathes", claims)
        == "Spindle cooling device. A device for lathes. A device with a gap of 1.2."
    )


def test_listing_text_truncates_the_first_claim() -> None:
    assert listing_text("标题", "摘要。", "1. " + "甲" * 50, max_claim_chars=10) == (
        "标题。摘要。" + "甲" * 10
    )


def test_listing_text_without_claims_keeps_sentence_boundaries() -> None:
    text = listing_text("数控机床", "  本发明\n涉及机床 ")
    assert text == "数控机床。本发明 涉及机床"
    assert sentences(text) == ["数控机床。", "本发明 涉及机床"]


def test_demand_text_joins_title_and_description() -> None:
    assert (
        demand_text("寻求冷却技术", "我们需要降低主轴温度。")
        == "寻求冷却技术。我们需要降低主轴温度。"
    )
    assert (
        demand_text("Cooling wanted", "Lower spindle heat.")
        == "Cooling wanted. Lower spindle heat."
    )


def test_content_hash_is_sha256_of_parts_joined_by_unit_separator() -> None:
    assert content_hash("a", "b") == hashlib.sha256(b"a\x1fb").hexdigest()
    assert content_hash("标题", None) == content_hash("标题", "")


def test_content_hash_distinguishes_where_parts_split() -> None:
    assert content_hash("ab", "c") != content_hash("a", "bc")
    assert content_hash("a") != content_hash("a", "")
