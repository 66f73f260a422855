import pytest

from app.validation.ipc import (
    MAX_IPC_CODES,
    ipc_matches_prefix,
    normalize_ipc,
    normalize_ipc_prefix,
    parse_ipc_list,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("G06F 16/33", "G06F 16/33"),
        ("G06F16/33", "G06F 16/33"),
        ("g06f 16/33", "G06F 16/33"),
        ("  G06F   16 / 33  ", "G06F 16/33"),
        ("ｇ０６ｆ１６／３３", "G06F 16/33"),
        ("G06F 16/33 (2006.01)", "G06F 16/33"),
        ("G06F16/33(2019.01)", "G06F 16/33"),
        ("G06F 16/33（2019.01）", "G06F 16/33"),
        ("A61K 31/045", "A61K 31/045"),
        ("H01M 10/052", "H01M 10/052"),
        ("G06F 16/033", "G06F 16/033"),
        ("G06N 3/0464", "G06N 3/0464"),
    ],
)
def test_normalizes_ipc_spellings_to_canonical_form(raw: str, expected: str) -> None:
    assert normalize_ipc(raw) == expected


def test_strips_leading_zeros_from_main_group() -> None:
    assert normalize_ipc("A01B 001/00") == "A01B 1/00"


def test_pads_single_zero_subgroup_to_two_digits() -> None:
    assert normalize_ipc("A01B 1/0") == "A01B 1/00"


def test_rejects_single_nonzero_subgroup_as_ambiguous() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_ipc("G06F 16/5")
    assert str(excinfo.value) == (
        "subgroup '5' in 'G06F 16/5' is ambiguous: "
        "IPC subgroups have at least two digits (05 or 50?)"
    )


def test_rejects_main_group_zero() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_ipc("A01B 0/00")
    assert str(excinfo.value) == "'A01B 0/00' has main group 0; IPC main groups start at 1"


def test_rejects_subclass_only_code_asking_for_the_group() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_ipc("G06F")
    assert str(excinfo.value) == (
        "'G06F' is an IPC subclass; a listing needs the group too, like G06F 16/33"
    )


def test_rejects_main_group_without_subgroup() -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_ipc("g06f 16")
    assert str(excinfo.value) == (
        "'g06f 16' has no subgroup; a listing needs the full symbol, like G06F 16/33"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "I01B 1/00",
        "G6F 16/33",
        "G06F 16/1234567",
        "G06F 12345/00",
        "G06F 16/33 x",
        "G06ı 16/33",
    ],
)
def test_rejects_text_that_is_not_an_ipc_code(raw: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_ipc(raw)
    assert str(excinfo.value) == f"{raw.strip()!r} is not an IPC code like G06F 16/33"


def test_parses_list_of_strings() -> None:
    assert parse_ipc_list(["G06F16/33", "h04l 29/06"]) == ["G06F 16/33", "H04L 29/06"]


def test_parses_string_with_every_separator() -> None:
    raw = (
        "G06F16/33；H04L29/06，A61K 31/045、B01D 53/00|C12N 15/10\nG06N 3/08,H01M 10/052;A01B 1/00"
    )
    assert parse_ipc_list(raw) == [
        "G06F 16/33",
        "H04L 29/06",
        "A61K 31/045",
        "B01D 53/00",
        "C12N 15/10",
        "G06N 3/08",
        "H01M 10/052",
        "A01B 1/00",
    ]


def test_parses_codes_separated_only_by_whitespace() -> None:
    assert parse_ipc_list("G06F16/33 H04L29/06") == ["G06F 16/33", "H04L 29/06"]


def test_parses_codes_with_inner_spaces_and_version_suffixes() -> None:
    raw = "G06F 16/33 (2006.01) H04L 29/06 (2006.01)"
    assert parse_ipc_list(raw) == ["G06F 16/33", "H04L 29/06"]


def test_removes_duplicates_keeping_first_order() -> None:
    assert parse_ipc_list("H04L 29/06; G06F16/33; h04l29/06; G06F 16/33") == [
        "H04L 29/06",
        "G06F 16/33",
    ]


def test_reports_junk_between_codes() -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_ipc_list("G06F16/33 and H04L29/06")
    assert str(excinfo.value) == "'and' is not an IPC code like G06F 16/33"


def test_reports_subclass_in_list_asking_for_the_group() -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_ipc_list("G06F16/33; G06F; H04L29/06")
    assert str(excinfo.value) == (
        "'G06F' is an IPC subclass; a listing needs the group too, like G06F 16/33"
    )


def test_reports_bad_code_in_list_of_strings() -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_ipc_list(["G06F16/33", "not a code"])
    assert str(excinfo.value) == "'not a code' is not an IPC code like G06F 16/33"


@pytest.mark.parametrize("raw", ["", " ; ，\n", [], ["", "  "]])
def test_rejects_empty_list(raw: str | list[str]) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_ipc_list(raw)
    assert str(excinfo.value) == "at least one IPC code is required"


def test_accepts_fifty_codes() -> None:
    codes = [f"A01B {group}/00" for group in range(1, MAX_IPC_CODES + 1)]
    assert parse_ipc_list(codes) == codes


def test_rejects_more_than_fifty_codes() -> None:
    codes = [f"A01B {group}/00" for group in range(1, MAX_IPC_CODES + 2)]
    with pytest.raises(ValueError) as excinfo:
        parse_ipc_list(codes)
    assert str(excinfo.value) == "at most 50 IPC codes are allowed; got 51"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("g", "G"),
        ("G06", "G06"),
        ("g06f", "G06F"),
        ("g06f16", "G06F 16"),
        ("G06F 016", "G06F 16"),
        ("Ｇ０６Ｆ", "G06F"),
        ("g06f16/33", "G06F 16/33"),
    ],
)
def test_normalizes_prefix_of_every_level(raw: str, expected: str) -> None:
    assert normalize_ipc_prefix(raw) == expected


@pytest.mark.parametrize("raw", ["", "Z", "G0", "G06F 16/", "G06F-16"])
def test_rejects_invalid_prefix(raw: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_ipc_prefix(raw)
    assert str(excinfo.value) == (
        f"{raw!r} is not an IPC prefix like G, G06, G06F, G06F 16 or G06F 16/33"
    )


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("G", True),
        ("H", False),
        ("G06", True),
        ("G05", False),
        ("G06F", True),
        ("G06Q", False),
        ("G06F 16", True),
        ("G06F 1", False),
        ("G06F 16/33", True),
        ("g06f16/33", True),
        ("G06F 16/30", False),
    ],
)
def test_matches_code_against_prefix(prefix: str, expected: bool) -> None:
    assert ipc_matches_prefix("G06F 16/33", prefix) is expected


def test_full_code_prefix_does_not_match_longer_subgroup() -> None:
    assert ipc_matches_prefix("G06F 16/332", "G06F 16/33") is False
