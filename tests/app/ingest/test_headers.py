import pytest

from app.ingest.headers import (
    FIELDS,
    HEADER_ALIASES,
    PATENT_TYPE_ALIASES,
    ROYALTY_TYPE_ALIASES,
    canonical_field,
    canonical_value,
)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("专利号", "patent_number"),
        ("申请号", "patent_number"),
        ("专利申请号", "patent_number"),
        ("申请号(专利号)", "patent_number"),
        ("名称", "title"),
        ("专利名称", "title"),
        ("发明名称", "title"),
        ("标题", "title"),
        ("摘要", "abstract"),
        ("权利要求", "claims"),
        ("权利要求书", "claims"),
        ("主权项", "claims"),
        ("IPC分类号", "ipc_codes"),
        ("IPC", "ipc_codes"),
        ("分类号", "ipc_codes"),
        ("IPC主分类号", "ipc_codes"),
        ("专利类型", "patent_type"),
        ("类型", "patent_type"),
        ("申请日", "application_date"),
        ("申请日期", "application_date"),
        ("授权日", "grant_date"),
        ("授权公告日", "grant_date"),
        ("授权日期", "grant_date"),
        ("到期日", "expiry_date"),
        ("届满日", "expiry_date"),
        ("专利权期限届满日", "expiry_date"),
        ("法律状态", "legal_status"),
        ("行业代码", "industry_code"),
        ("行业分类", "industry_code"),
        ("国民经济行业代码", "industry_code"),
        ("省份", "province"),
        ("所在省份", "province"),
        ("地区", "province"),
        ("联系方式", "contact"),
        ("联系人", "contact"),
        ("许可费类型", "royalty_type"),
        ("使用费类型", "royalty_type"),
        ("支付方式", "royalty_type"),
        ("提成比例", "rate_percent"),
        ("提成率", "rate_percent"),
        ("费率", "rate_percent"),
        ("固定费用", "fixed_fee_yuan"),
        ("许可费", "fixed_fee_yuan"),
        ("一次性许可费", "fixed_fee_yuan"),
        ("入门费", "entry_fee_yuan"),
        ("许可期限", "term_years"),
    ],
)
def test_chinese_header_maps_to_its_field(header: str, field: str) -> None:
    assert canonical_field(header) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("patent_number", "patent_number"),
        ("Patent Number", "patent_number"),
        ("application number", "patent_number"),
        ("Patent No.", "patent_number"),
        ("IPC codes", "ipc_codes"),
        ("Royalty Type", "royalty_type"),
        ("rate %", "rate_percent"),
        ("RATE_PERCENT", "rate_percent"),
        ("fixed-fee-yuan", "fixed_fee_yuan"),
    ],
)
def test_english_header_maps_to_its_field(header: str, field: str) -> None:
    assert canonical_field(header) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("提成比例(%)", "rate_percent"),
        ("提成比例（%）", "rate_percent"),
        ("固定费用（元）", "fixed_fee_yuan"),
        ("入门费【万元】", "entry_fee_yuan"),
        ("term_years (years)", "term_years"),
        ("许可期限 [年]", "term_years"),
    ],
)
def test_trailing_unit_in_brackets_is_ignored(header: str, field: str) -> None:
    assert canonical_field(header) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("  专利号  ", "patent_number"),
        ("专 利 号", "patent_number"),
        ("*专利号", "patent_number"),
        ("专利号：", "patent_number"),
        ("ＩＰＣ分类号", "ipc_codes"),
        ("Ｐａｔｅｎｔ＿Ｎｕｍｂｅｒ", "patent_number"),
        ("提成比例\n(%)", "rate_percent"),
    ],
)
def test_header_matching_ignores_spacing_width_and_markers(header: str, field: str) -> None:
    assert canonical_field(header) == field


@pytest.mark.parametrize("header", ["备注", "remarks", "", "专利号码备注", "(%)"])
def test_unknown_header_maps_to_none(header: str) -> None:
    assert canonical_field(header) is None


def test_every_documented_alias_maps_to_its_own_field() -> None:
    mapped = {alias: canonical_field(alias) for field in FIELDS for alias in HEADER_ALIASES[field]}
    expected = {alias: field for field in FIELDS for alias in HEADER_ALIASES[field]}
    assert mapped == expected


def test_alias_table_documents_every_field_in_order() -> None:
    assert tuple(HEADER_ALIASES) == FIELDS


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("发明", "invention"),
        ("发明专利", "invention"),
        ("Invention", "invention"),
        ("实用新型", "utility_model"),
        ("实用新型专利", "utility_model"),
        ("utility model", "utility_model"),
        ("外观设计", "design"),
        (" 外观设计专利 ", "design"),
    ],
)
def test_patent_type_aliases_give_canonical_values(raw: str, value: str) -> None:
    assert canonical_value(PATENT_TYPE_ALIASES, raw) == value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("固定费用", "fixed"),
        ("一次性支付", "fixed"),
        ("一次性", "fixed"),
        ("提成", "percentage"),
        ("按比例提成", "percentage"),
        ("提成支付", "percentage"),
        ("入门费+提成", "entry_plus_percentage"),
        ("入门费＋提成", "entry_plus_percentage"),
        ("入门费加提成", "entry_plus_percentage"),
        ("免费", "free"),
        ("免费许可", "free"),
        ("面议", "negotiable"),
        ("协商", "negotiable"),
        ("ENTRY_PLUS_PERCENTAGE", "entry_plus_percentage"),
        ("fixed", "fixed"),
    ],
)
def test_royalty_type_aliases_give_canonical_values(raw: str, value: str) -> None:
    assert canonical_value(ROYALTY_TYPE_ALIASES, raw) == value


def test_unknown_value_is_returned_stripped() -> None:
    assert canonical_value(ROYALTY_TYPE_ALIASES, "  独占许可 ") == "独占许可"
