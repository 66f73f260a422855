import pytest

from app.validation.industry import (
    INDUSTRY_TABLE,
    Industry,
    get_industry,
    load_industries,
    normalize_industry_code,
    section_of,
)

# The division range of each section, as published in GB/T 4754-2017.
SECTION_RANGES = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}


def test_table_header_is_code_level_section_name_zh_name_en() -> None:
    header = INDUSTRY_TABLE.read_text(encoding="utf-8").splitlines()[0]
    assert header == "code,level,section,name_zh,name_en"


def test_table_holds_twenty_sections_and_ninety_seven_divisions() -> None:
    industries = load_industries().values()
    sections = [industry.code for industry in industries if industry.level == "section"]
    divisions = [industry.code for industry in industries if industry.level == "division"]
    assert sections == list(SECTION_RANGES)
    assert len(divisions) == 97


def test_every_division_sits_in_its_published_section() -> None:
    expected = {
        f"{section}{number:02d}": section
        for section, (first, last) in SECTION_RANGES.items()
        for number in range(first, last + 1)
    }
    actual = {
        industry.code: industry.section
        for industry in load_industries().values()
        if industry.level == "division"
    }
    assert actual == expected


def test_every_industry_has_chinese_and_english_names() -> None:
    unnamed = [
        industry.code
        for industry in load_industries().values()
        if not industry.name_zh.strip() or not industry.name_en.strip()
    ]
    assert unnamed == []


def test_loads_division_under_canonical_code() -> None:
    assert load_industries()["C39"] == Industry(
        code="C39",
        level="division",
        section="C",
        name_zh="计算机、通信和其他电子设备制造业",
        name_en="Manufacture of computers, communication and other electronic equipment",
    )


def test_loads_section_under_its_letter() -> None:
    assert load_industries()["M"] == Industry(
        code="M",
        level="section",
        section="M",
        name_zh="科学研究和技术服务业",
        name_en="Scientific research and technical services",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C", "C"),
        ("c", "C"),
        (" t ", "T"),
        ("39", "C39"),
        ("C39", "C39"),
        ("C 39", "C39"),
        ("c39", "C39"),
        ("Ｃ３９", "C39"),
        ("０１", "A01"),
        ("97", "T97"),
    ],
)
def test_normalizes_industry_spellings_to_canonical_code(raw: str, expected: str) -> None:
    assert normalize_industry_code(raw) == expected


def test_rejects_unknown_section() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_industry_code("Z")
    assert str(excinfo.value) == "'Z' is not a GB/T 4754-2017 section (A to T)"


@pytest.mark.parametrize("raw", ["98", "00", "C98"])
def test_rejects_unknown_division(raw: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_industry_code(raw)
    assert str(excinfo.value) == f"{raw!r} is not a GB/T 4754-2017 division (01 to 97)"


def test_rejects_division_under_wrong_section_naming_the_right_one() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_industry_code("A39")
    assert str(excinfo.value) == "division 39 belongs to section C, not A; use C39 instead of 'A39'"


@pytest.mark.parametrize("raw", ["C3911", "3911", "C391"])
def test_rejects_group_and_class_codes_naming_their_division(raw: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_industry_code(raw)
    assert str(excinfo.value) == (
        f"{raw!r} is finer than a division; industries are given by section or division, here C39"
    )


@pytest.mark.parametrize("raw", ["", "xyz", "3", "C-39", "制造业", "ı"])
def test_rejects_text_that_is_not_an_industry_code(raw: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_industry_code(raw)
    assert str(excinfo.value) == f"{raw!r} is not a GB/T 4754-2017 industry code like C or C39"


def test_gets_industry_by_any_spelling() -> None:
    assert get_industry("m 73").name_zh == "研究和试验发展"


@pytest.mark.parametrize(("code", "expected"), [("83", "P"), ("C39", "C"), ("i", "I")])
def test_section_of_returns_section_letter(code: str, expected: str) -> None:
    assert section_of(code) == expected
