"""Reading JSON lines: one listing object a line, its `licence` object flattened into fields."""

from __future__ import annotations

import json
from typing import Final

from app.core.i18n import Localized, join, tr
from app.ingest.headers import canonical_field, field_label, header_unit, is_unstored
from app.ingest.layout import JOINED_FIELDS, Column, Layout
from app.ingest.rows import ImportLimits, SourceRow, check_cell_length, clean, too_many_rows

_LICENCE_KEYS: Final = ("licence", "license")


def read_jsonl(text: str, limits: ImportLimits) -> tuple[list[SourceRow], Layout]:
    """Return the rows of a JSON-lines text and what its keys hold."""
    rows: list[SourceRow] = []
    layout = Layout(columns=[], ignored={}, unstored={})
    # Not splitlines(): JSON strings may hold U+2028 and other characters it splits on.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(rows) == limits.max_rows:
            raise too_many_rows(limits, Localized("行", "lines"))
        rows.append(_json_row(number, line, layout, limits))
    return rows, layout


def _json_row(number: int, line: str, layout: Layout, limits: ImportLimits) -> SourceRow:
    try:
        document = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return SourceRow(
            number,
            {},
            tr("这一行不是有效的 JSON：{error}", "line is not valid JSON: {error}", error=exc),
        )
    if not isinstance(document, dict):
        return SourceRow(
            number,
            {},
            tr(
                "这一行是 JSON {kind}，不是对象 {{...}}",
                "line is a JSON {kind}, not an object",
                kind=type(document).__name__,
            ),
        )
    if len(document) > limits.max_columns:
        return SourceRow(
            number,
            {},
            tr(
                "这一行的对象有 {count:,} 个键，上限为 {limit:,}",
                "the line's object has {count:,} keys; the limit is {limit:,}",
                count=len(document),
                limit=limits.max_columns,
            ),
        )
    problems: list[Localized] = []
    pairs = _pairs(document, layout, problems)
    values: dict[str, object] = {}
    columns: dict[str, Column] = {}
    for name, key, raw in pairs:
        value = clean(raw, name)
        if value is None:
            continue
        check_cell_length(value, number, name, key, limits)
        if name in values:
            if name not in JOINED_FIELDS:
                problems.append(
                    tr(
                        "键“{a}”和“{b}”都表示{label}；请只保留一个",
                        "keys {a!r} and {b!r} both mean {name}",
                        a=columns[name].header,
                        b=key,
                        name=name,
                        label=field_label(name),
                    )
                )
                continue
            value = f"{values[name]}; {value}"
        values[name] = value
        layout.headers.setdefault(name, key)
        columns.setdefault(name, Column(key, name, header_unit(key.rpartition(".")[2]), "stored"))
    return SourceRow(number, values, join(problems) if problems else None, columns)


def _pairs(
    document: dict[str, object], layout: Layout, problems: list[Localized]
) -> list[tuple[str, str, object]]:
    """Return (field, key as written, value) for every key of an object that names a field."""
    pairs: list[tuple[str, str, object]] = []
    for key, value in document.items():
        if key in _LICENCE_KEYS:
            if value is None:
                continue
            if not isinstance(value, dict):
                problems.append(
                    tr("“{key}”必须是对象 {{...}}", "{key!r} must be an object", key=key)
                )
                continue
            for inner_key, inner_value in value.items():
                name = "royalty_type" if inner_key == "type" else canonical_field(inner_key)
                _keep(pairs, layout, name, f"{key}.{inner_key}", inner_value)
            continue
        _keep(pairs, layout, canonical_field(key), key, value)
    return pairs


def _keep(
    pairs: list[tuple[str, str, object]],
    layout: Layout,
    name: str | None,
    key: str,
    value: object,
) -> None:
    if name is not None:
        pairs.append((name, key, value))
    elif is_unstored(key.rpartition(".")[2]):
        layout.unstored[key] = None
    else:
        layout.ignore(key)


__all__ = ["read_jsonl"]
