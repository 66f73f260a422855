import pytest

from app.ingest.headers import canonical_field, header_unit, is_unstored
from app.ingest.units import Quantity, read_quantity


@pytest.mark.parametrize(
    ("field", "cell", "header_unit_text", "stored"),
    [
        ("fixed_fee_yuan", 1.5, "万元", 15_000),
        ("fixed_fee_yuan", "1.5", "万元", 15_000),
        ("fixed_fee_yuan", "1.5万元", None, 15_000),
        ("fixed_fee_yuan", "5万", None, 50_000),
        ("fixed_fee_yuan", "15000元", "万元", 15_000),  # the cell's own unit wins
        ("fixed_fee_yuan", "20千元", None, 20_000),
        ("fixed_fee_yuan", "50,000", None, 50_000),
        ("fixed_fee_yuan", "￥5000", None, 5_000),
        ("entry_fee_yuan", 2, "千元", 2_000),
        ("rate_percent", "3%", None, 3),
        ("rate_percent", "3％", None, 3),
        ("rate_percent", 3, None, 3),
        ("rate_percent", 0.5, "%", 0.5),  # the header says %: 0.5 is half a percent
        ("term_years", "18个月", "年", None),
        ("term_years", "24个月", None, 2),
        ("term_years", 36, "个月", 3),
        ("term_years", "3年", None, 3),
    ],
)
def test_amounts_are_stored_in_their_fields_unit(
    field: str, cell: object, header_unit_text: str | None, stored: float | None
) -> None:
    result = read_quantity(field, cell, header_unit_text)

    if stored is None:
        assert not isinstance(result, Quantity)
    else:
        assert isinstance(result, Quantity), result
        assert result.value == pytest.approx(stored)


@pytest.mark.parametrize(
    ("field", "cell", "header_unit_text", "reason"),
    [
        (
            "fixed_fee_yuan",
            "3%",
            None,
            "the unit '%' is a percentage, but this column takes an "
            "amount of money; write the rate in the royalty rate column, e.g. 3%",
        ),
        (
            "fixed_fee_yuan",
            "3年",
            None,
            "the unit '年' is a length of time, but this column "
            "takes an amount of money; write the term in the licence term column, e.g. 3年",
        ),
        (
            "rate_percent",
            "1万元",
            None,
            "the unit '万元' is an amount of money, but this column "
            "takes a percentage; write amounts in a fee column, e.g. 1.5万元",
        ),
        (
            "rate_percent",
            3,
            "万元",
            "the unit '万元' is an amount of money, but this column "
            "takes a percentage; write amounts in a fee column, e.g. 1.5万元",
        ),
        (
            "fixed_fee_yuan",
            5,
            "美元",
            "the header's unit '美元' is not understood; use a unit such as 元、千元、万元",
        ),
        (
            "fixed_fee_yuan",
            "1.5万元/年",
            None,
            "the unit '万元/年' of '1.5万元/年' is not understood; write e.g. 1.5万元",
        ),
        (
            "rate_percent",
            0.03,
            None,
            "'0.03' is ambiguous: 3% or 0.03%? write it with a % sign, or put (%) in the header",
        ),
        ("fixed_fee_yuan", "五万", None, "'五万' is not a number; write a number such as 1.5万元"),
    ],
)
def test_a_unit_that_does_not_fit_refuses_the_value_with_the_reason(
    field: str, cell: object, header_unit_text: str | None, reason: str
) -> None:
    assert str(read_quantity(field, cell, header_unit_text)) == reason


def test_a_refused_unit_reads_in_chinese_too() -> None:
    result = read_quantity("fixed_fee_yuan", "3%", "万元")

    assert not isinstance(result, Quantity)
    assert result.zh == ("单位“%”表示百分比，但这一列应填金额；提成比例请写在提成比例(%)列，如 3%")


@pytest.mark.parametrize(
    ("header", "field", "unit"),
    [
        ("固定费用（万元）", "fixed_fee_yuan", "万元"),
        ("合同金额（万元）", "fixed_fee_yuan", "万元"),
        ("入门费（单位：万元）", "entry_fee_yuan", "万元"),
        ("许可费率(%)", "rate_percent", "%"),
        ("费率%", "rate_percent", "%"),
        ("rate %", "rate_percent", "%"),
        ("rate_percent", "rate_percent", "%"),
        ("许可期限（月）", "term_years", "月"),
        ("许可使用费", "fixed_fee_yuan", None),
        ("许可费用", "fixed_fee_yuan", None),
        ("许可费率", "rate_percent", None),
        ("有效期至", "expiry_date", None),
        ("联系电话", "contact", None),
        ("电子邮箱", "contact", None),
        ("通讯地址", "contact", None),
    ],
)
def test_declaration_headers_map_to_their_field_and_unit(
    header: str, field: str, unit: str | None
) -> None:
    assert (canonical_field(header), header_unit(header)) == (field, unit)


@pytest.mark.parametrize("header", ["专利权人", "发明人", "技术领域", "成熟度", "所属行业"])
def test_declaration_fields_that_are_not_stored_are_known(header: str) -> None:
    assert (canonical_field(header), is_unstored(header)) == (None, True)
