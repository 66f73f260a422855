from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.validation.patent_number import (
    check_digit,
    normalize_patent_number,
    patent_type_from_number,
)

FORM_HINT = (
    "a CN application number has 12 digits and a check digit (e.g. 201710601862.3) "
    "or, before 2004, 8 digits and a check digit"
)
CHECK_CHARACTERS = "0123456789X"


@st.composite
def modern_digits(draw: st.DrawFn) -> str:
    """Draw 12 digits with a plausible year and a known type digit."""
    year = draw(st.integers(min_value=1985, max_value=date.today().year + 1))
    type_digit = draw(st.sampled_from("12389"))
    serial = draw(st.text(alphabet="0123456789", min_size=7, max_size=7))
    return f"{year}{type_digit}{serial}"


def test_check_digit_of_documented_example_is_3() -> None:
    assert check_digit("201710601862") == "3"


def test_check_digit_of_eight_digit_number_uses_first_eight_weights() -> None:
    # 9*2 + 8*3 + 1*4 + 2*5 + 3*6 + 4*7 + 5*8 + 6*9 = 196, and 196 mod 11 = 9
    assert check_digit("98123456") == "9"


def test_check_digit_writes_remainder_ten_as_x() -> None:
    # 201710601806 weighs 4+0+4+35+6+0+48+0+2+24+0+30 = 153 = 13 * 11 + 10
    assert check_digit("201710601806") == "X"


def test_check_digit_rejects_wrong_length() -> None:
    with pytest.raises(ValueError) as excinfo:
        check_digit("2017106018")
    assert str(excinfo.value) == "a check digit is computed from 8 or 12 digits; got '2017106018'"


def test_accepts_canonical_number_unchanged() -> None:
    assert normalize_patent_number("201710601862.3") == "201710601862.3"


@pytest.mark.parametrize(
    "raw",
    [
        "ZL201710601862.3",
        "ZL 201710601862.3",
        "zl201710601862.3",
        "CN201710601862.3",
        "cn 201710601862.3",
        "2017 1060 1862.3",
        " 201710601862.3 ",
        "2017106018623",
        "ＺＬ２０１７１０６０１８６２．３",
        "201710601862。3",
    ],
)
def test_accepts_prefixes_spaces_missing_point_and_full_width(raw: str) -> None:
    assert normalize_patent_number(raw) == "201710601862.3"


def test_accepts_lowercase_x_check_character() -> None:
    assert normalize_patent_number("zl201710601806.x") == "201710601806.X"


def test_accepts_pre_2004_eight_digit_number() -> None:
    assert normalize_patent_number("ZL 98123456.9") == "98123456.9"


def test_rejects_number_with_wrong_check_digit() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_patent_number("201710601862.5")
    assert str(excinfo.value) == "check digit is 5 but should be 3 for 201710601862"


def test_rejects_eight_digit_number_with_wrong_check_digit() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_patent_number("98123456.X")
    assert str(excinfo.value) == "check digit is X but should be 9 for 98123456"


@pytest.mark.parametrize("raw", ["201710601862", "ZL201710601862.", "98123456"])
def test_rejects_number_without_check_digit(raw: str) -> None:
    digits = raw.removeprefix("ZL").rstrip(".")
    with pytest.raises(ValueError) as excinfo:
        normalize_patent_number(raw)
    assert str(excinfo.value) == (
        f"check digit is missing from {digits}: add the character after the point, "
        "as printed on the patent certificate"
    )


@pytest.mark.parametrize(
    "raw", ["abc", "", "CN107123456A", "2017106018.3", "201710601862.33", "20171060186٢.3"]
)
def test_rejects_text_that_is_not_an_application_number(raw: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_patent_number(raw)
    assert str(excinfo.value) == f"{FORM_HINT}; got {raw!r}"


def test_rejects_year_before_the_patent_system() -> None:
    digits = "198410601862"
    with pytest.raises(ValueError) as excinfo:
        normalize_patent_number(f"{digits}.{check_digit(digits)}")
    assert str(excinfo.value) == (
        f"application year 1984 in {digits} is not between 1985 and {date.today().year + 1}"
    )


def test_rejects_year_after_next_year() -> None:
    year = date.today().year + 2
    digits = f"{year}10601862"
    with pytest.raises(ValueError) as excinfo:
        normalize_patent_number(f"{digits}.{check_digit(digits)}")
    assert str(excinfo.value) == (
        f"application year {year} in {digits} is not between 1985 and {year - 1}"
    )


def test_rejects_unknown_type_digit() -> None:
    digits = "201740601862"
    with pytest.raises(ValueError) as excinfo:
        normalize_patent_number(f"{digits}.{check_digit(digits)}")
    assert str(excinfo.value) == (
        "patent type digit 4 in 201740601862 is not 1 (invention), 2 (utility model), "
        "3 (design), 8 (PCT invention) or 9 (PCT utility model)"
    )


@pytest.mark.parametrize(
    ("type_digit", "expected"),
    [
        ("1", "invention"),
        ("2", "utility_model"),
        ("3", "design"),
        ("8", "invention"),
        ("9", "utility_model"),
    ],
)
def test_patent_type_comes_from_fifth_digit_of_modern_number(
    type_digit: str, expected: str
) -> None:
    digits = f"2017{type_digit}0601862"
    assert patent_type_from_number(f"{digits}.{check_digit(digits)}") == expected


@pytest.mark.parametrize(
    ("type_digit", "expected"),
    [("1", "invention"), ("2", "utility_model"), ("3", "design"), ("5", None)],
)
def test_patent_type_comes_from_third_digit_of_eight_digit_number(
    type_digit: str, expected: str | None
) -> None:
    digits = f"98{type_digit}23456"
    assert patent_type_from_number(f"{digits}.{check_digit(digits)}") == expected


def test_patent_type_rejects_invalid_number() -> None:
    with pytest.raises(ValueError) as excinfo:
        patent_type_from_number("201710601862.5")
    assert str(excinfo.value) == "check digit is 5 but should be 3 for 201710601862"


@given(modern_digits())
def test_valid_modern_number_is_its_own_canonical_form(digits: str) -> None:
    number = f"{digits}.{check_digit(digits)}"
    assert normalize_patent_number(number) == number


@given(modern_digits(), st.sampled_from(CHECK_CHARACTERS))
def test_any_other_check_character_is_rejected(digits: str, wrong: str) -> None:
    expected = check_digit(digits)
    if wrong == expected:
        wrong = CHECK_CHARACTERS[(CHECK_CHARACTERS.index(expected) + 1) % len(CHECK_CHARACTERS)]
    with pytest.raises(ValueError) as excinfo:
        normalize_patent_number(f"{digits}.{wrong}")
    assert str(excinfo.value) == f"check digit is {wrong} but should be {expected} for {digits}"
