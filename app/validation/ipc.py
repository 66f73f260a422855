"""IPC (International Patent Classification) symbols: canonical spelling, lists and prefixes.

A full symbol is section, class, subclass, main group and subgroup: `G06F 16/33`. Listings
carry full symbols; search filters may use any level from the section (`G`) down.
"""

from __future__ import annotations

import re
import unicodedata

from app.core.i18n import tr

MAX_IPC_CODES = 50

_EXAMPLE = "G06F 16/33"

# Inner whitespace is tolerated so that `G06F16/33`, `G06F 16/33` and `G 06 F 16 / 33` all
# read the same; `[0-9]` rather than `\d` keeps other scripts' digits out.
_CODE_BODY = (
    r"(?P<section>[A-H])\s*(?P<cls>[0-9]{2})\s*(?P<subclass>[A-Z])"
    r"\s*(?P<group>[0-9]{1,4})\s*/\s*(?P<subgroup>[0-9]{1,6})"
    r"(?:\s*\(\s*[0-9]{4}\.[0-9]{2}\s*\))?"  # version of the IPC edition, e.g. (2006.01)
)
# Case is folded when the canonical form is built, so that errors can quote the user's text;
# ASCII-only matching keeps letters such as the dotless ı from passing for I.
_FLAGS = re.IGNORECASE | re.ASCII
_CODE = re.compile(_CODE_BODY, _FLAGS)
_PREFIX = re.compile(
    r"(?P<section>[A-H])(?:\s*(?P<cls>[0-9]{2})(?:\s*(?P<subclass>[A-Z])"
    r"(?:\s*(?P<group>[0-9]{1,4}))?)?)?",
    _FLAGS,
)
_SEPARATORS = r"[;,、|\r\n]"
_GAP = re.compile(rf"(?:\s|{_SEPARATORS})*")


def normalize_ipc(raw: str) -> str:
    """Return the canonical spelling (`G06F 16/33`) of one full IPC symbol, or raise."""
    text = _prepare(raw)
    match = _CODE.fullmatch(text)
    if match is None:
        raise _not_a_code(raw)
    return _canonical(match)


def parse_ipc_list(raw: object) -> list[str]:
    """Return the canonical, de-duplicated IPC symbols of a list or a separated string."""
    if isinstance(raw, str):
        texts = [raw]
    elif isinstance(raw, list) and all(isinstance(text, str) for text in raw):
        texts = raw
    else:
        # A ValueError, not a TypeError: pydantic reports only the former as invalid input.
        raise ValueError(
            tr(
                "IPC 分类号应为分类号列表，或用“;”分隔的一段文字，例如 G06F 16/33; H04L 9/08",
                "IPC codes must be a list of codes or one text of codes separated by ';'",
            )
        )
    codes: list[str] = []
    for text in texts:
        for code in _split_codes(text):
            if code not in codes:
                codes.append(code)
    if not codes:
        raise ValueError(
            tr(
                "至少填写一个 IPC 分类号，例如 {example}",
                "at least one IPC code is required",
                example=_EXAMPLE,
            )
        )
    if len(codes) > MAX_IPC_CODES:
        raise ValueError(
            tr(
                "IPC 分类号最多 {limit} 个，这里有 {count} 个；请只保留主要的分类号",
                "at most {limit} IPC codes are allowed; got {count}",
                limit=MAX_IPC_CODES,
                count=len(codes),
            )
        )
    return codes


def normalize_ipc_prefix(raw: str) -> str:
    """Return the canonical spelling of an IPC filter prefix, from section `G` to full code."""
    text = _prepare(raw)
    full = _CODE.fullmatch(text)
    if full is not None:
        return _canonical(full)
    match = _PREFIX.fullmatch(text)
    if match is None:
        raise ValueError(
            tr(
                "“{raw}”不是 IPC 分类号前缀；请写部、大类、小类、大组或完整分类号，"
                "例如 G、G06、G06F、G06F 16 或 {example}",
                "{raw!r} is not an IPC prefix like G, G06, G06F, G06F 16 or {example}",
                raw=raw,
                example=_EXAMPLE,
            )
        )
    prefix = (match["section"] + (match["cls"] or "") + (match["subclass"] or "")).upper()
    if match["group"] is not None:
        prefix += f" {_main_group(match['group'], raw)}"
    return prefix


def ipc_matches_prefix(code: str, prefix: str) -> bool:
    """Return whether an IPC symbol falls under a filter prefix of any level."""
    canonical_code = normalize_ipc(code)
    canonical_prefix = normalize_ipc_prefix(prefix)
    if "/" in canonical_prefix:
        # Subgroup digits do not encode the hierarchy (16/332 need not sit under 16/33), so a
        # full symbol only matches itself.
        return canonical_code == canonical_prefix
    if " " in canonical_prefix:
        # The slash stops `G06F 1` from matching `G06F 16/33`.
        return canonical_code.startswith(canonical_prefix + "/")
    return canonical_code.startswith(canonical_prefix)


def _prepare(raw: str) -> str:
    """Fold full-width characters to ASCII and trim the ends."""
    return unicodedata.normalize("NFKC", raw).strip()


def _canonical(match: re.Match[str]) -> str:
    """Build the canonical symbol from a matched code, checking the group numbers."""
    head = (match["section"] + match["cls"] + match["subclass"]).upper()
    group = _main_group(match["group"], match[0])
    subgroup = match["subgroup"]
    if len(subgroup) == 1:
        if subgroup != "0":
            raise ValueError(
                tr(
                    "“{code}”的小组“{subgroup}”不明确：IPC 小组至少两位数字，"
                    "请改为 0{subgroup} 或 {subgroup}0",
                    "subgroup {subgroup!r} in {code!r} is ambiguous: "
                    "IPC subgroups have at least two digits (0{subgroup} or {subgroup}0?)",
                    subgroup=subgroup,
                    code=match[0].strip(),
                )
            )
        subgroup = "00"
    return f"{head} {group}/{subgroup}"


def _main_group(digits: str, raw: str) -> str:
    """Return a main group number without leading zeros; group 0 does not exist."""
    group = digits.lstrip("0")
    if not group:
        raise ValueError(
            tr(
                "“{raw}”的大组是 0；IPC 大组从 1 开始，请核对分类号",
                "{raw!r} has main group 0; IPC main groups start at 1",
                raw=raw.strip(),
            )
        )
    return group


def _split_codes(text: str) -> list[str]:
    """Return the canonical codes in one string, rejecting anything between them."""
    prepared = _prepare(text)
    codes: list[str] = []
    position = 0
    for match in _CODE.finditer(prepared):
        _reject_junk(prepared[position : match.start()])
        codes.append(_canonical(match))
        position = match.end()
    _reject_junk(prepared[position:])
    return codes


def _reject_junk(gap: str) -> None:
    """Raise for the first thing in the text between codes that is not a separator."""
    if _GAP.fullmatch(gap):
        return
    for token in re.split(_SEPARATORS, gap):
        if token.strip():
            raise _not_a_code(token)


def _not_a_code(raw: str) -> ValueError:
    """Build the most specific error for text that is not a full IPC symbol."""
    shown = raw.strip()
    prefix = _PREFIX.fullmatch(_prepare(raw))
    if prefix is not None and prefix["subclass"] is not None:
        if prefix["group"] is None:
            return ValueError(
                tr(
                    "“{shown}”只是 IPC 小类；专利需要写到组，例如 {example}",
                    "{shown!r} is an IPC subclass; a listing needs the group too, like {example}",
                    shown=shown,
                    example=_EXAMPLE,
                )
            )
        return ValueError(
            tr(
                "“{shown}”缺少小组；专利需要完整的分类号，例如 {example}",
                "{shown!r} has no subgroup; a listing needs the full symbol, like {example}",
                shown=shown,
                example=_EXAMPLE,
            )
        )
    return ValueError(
        tr(
            "“{shown}”不是 IPC 分类号；请写成 {example} 这样的形式",
            "{shown!r} is not an IPC code like {example}",
            shown=shown,
            example=_EXAMPLE,
        )
    )
