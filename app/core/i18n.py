"""Human-facing text in Chinese (the default) and English, chosen per request.

The people who read PatentBridge's messages are tech-transfer staff and SME managers in China,
so every message is written twice where it is raised, Chinese first:

    raise InvalidInput(tr("专利号校验位应为 {digit}", "the check digit should be {digit}", digit=3))

A `Localized` keeps both texts; nothing picks one until the text leaves the process: the error
handler, a response model (a `Localized` field serialises in the request's language), the CLI.
The request's language comes from `Accept-Language` (`choose_language`) and lives in a context
variable for the request (`use_language`), which worker threads inherit. `str()` of a
`Localized` is its English text, for logs and for the engineers who read them.

Machine-readable parts (`type`, `loc`, enum values) are never translated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

Language = Literal["zh", "en"]
DEFAULT_LANGUAGE: Final[Language] = "zh"
LANGUAGES: Final[tuple[Language, ...]] = ("zh", "en")

_language: ContextVar[Language] = ContextVar("language", default=DEFAULT_LANGUAGE)


@dataclass(frozen=True, slots=True)
class Localized:
    """One human-facing text in Chinese and English."""

    zh: str
    en: str

    def render(self, language: Language | None = None) -> str:
        """Return the text in `language`, or in the current request's language."""
        return self.en if (language or _language.get()) == "en" else self.zh

    def __str__(self) -> str:
        return self.en

    def __len__(self) -> int:
        return max(len(self.zh), len(self.en))

    def __add__(self, other: object) -> Localized:
        if isinstance(other, Localized):
            return Localized(self.zh + other.zh, self.en + other.en)
        if isinstance(other, str):
            return Localized(self.zh + other, self.en + other)
        return NotImplemented

    def shortened(self, limit: int) -> Localized:
        """Return the text cut to at most `limit` characters in each language."""
        return Localized(_cut(self.zh, limit), _cut(self.en, limit))

    @classmethod
    def of(cls, value: str | Localized) -> Localized:
        """Return `value` as a `Localized`; a plain string reads the same in both languages."""
        return value if isinstance(value, Localized) else cls(value, value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: Any, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Accepts a Localized or a plain string; always serialises as the current language.
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: cls.of(value).render(), return_schema=core_schema.str_schema()
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _schema: core_schema.CoreSchema, _handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "description": "Chinese by default; English with Accept-Language: en",
        }

    @classmethod
    def _validate(cls, value: object) -> Localized:
        if isinstance(value, Localized):
            return value
        if isinstance(value, str):
            return cls(value, value)
        raise ValueError("expected a text")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tr(zh: str, en: str, /, **params: object) -> Localized:
    """Return a text in both languages, with `{name}` placeholders filled from `params`.

    A parameter that is itself `Localized` is filled in its own language on each side.
    """
    if not params:
        return Localized(zh, en)
    zh_params = {k: v.zh if isinstance(v, Localized) else v for k, v in params.items()}
    en_params = {k: v.en if isinstance(v, Localized) else v for k, v in params.items()}
    return Localized(zh.format(**zh_params), en.format(**en_params))


def join(parts: list[Localized], zh_sep: str = "；", en_sep: str = "; ") -> Localized:
    """Return `parts` joined, with the separator each language writes."""
    return Localized(zh_sep.join(p.zh for p in parts), en_sep.join(p.en for p in parts))


def reason_of(error: BaseException) -> Localized:
    """Return the text an exception was raised with: its `Localized` message, or its string."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, Localized) else Localized.of(str(error))


def current_language() -> Language:
    """Return the language of the current request (Chinese outside a request)."""
    return _language.get()


def render(text: str | Localized, language: Language | None = None) -> str:
    """Return `text` in `language`, or in the current language; a plain string as it is."""
    return text.render(language) if isinstance(text, Localized) else text


@contextmanager
def use_language(language: Language) -> Iterator[None]:
    """Make `language` the current language inside the block."""
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def set_language(language: Language) -> None:
    """Make `language` the current language of this context (a request, a CLI run)."""
    _language.set(language)


def choose_language(accept_language: str | None) -> Language:
    """Return the supported language an `Accept-Language` header prefers most (zh if none).

    `en-US,en;q=0.9` gives en; `zh-CN,zh;q=0.9,en;q=0.8`, `*`, a malformed or an empty
    header give zh. Among equal weights the one listed first wins, as RFC 9110 suggests.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate(accept_language[:1000].split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        params = params.strip()
        if params.lower().startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        if not 0 < weight <= 1:
            continue
        language: Language = "en" if primary == "en" else "zh"
        if best is None or (weight, -position) > best[:2]:
            best = (weight, -position, language)
    return best[2] if best is not None else DEFAULT_LANGUAGE


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Language",
    "Localized",
    "choose_language",
    "current_language",
    "join",
    "reason_of",
    "render",
    "set_language",
    "tr",
    "use_language",
]
