"""Text assembly, sentence splitting and tokenisation for Chinese and English patent text.

Contract:

- `listing_text(title, abstract, claims)` and `demand_text(title, description)` build the one
  text that is embedded and hashed for a listing or a demand. Parts are whitespace-cleaned
  (not NFKC-folded, so the author's full-width punctuation survives for display) and joined
  so that `sentences` still sees a boundary between them.
- `sentences(text)` splits that text into displayable sentences for explanations.
- `content_hash(*parts)` fingerprints the inputs of an embedding, so unchanged texts are never
  embedded twice.
- `Tokenizer.tokens(text)` gives the BM25 tokens: NFKC, jieba search-mode segmentation (so
  数控机床 yields 数控, 机床 and 数控机床), lowercase Latin, no whitespace, punctuation or
  stopwords. `Tokenizer.query_terms(text)` gives the unique precise-mode terms of a text (数控机床
  stays one term), for explanations.

    Args (Tokenizer):
        user_dict: a jieba user dictionary (``word [freq] [tag]`` per line, UTF-8) of domain
            terms that must stay one token; loaded into this tokenizer only.
        extra_stopwords: more tokens to drop, on top of `CHINESE_STOPWORDS` and
            `ENGLISH_STOPWORDS`.
    Returns (tokens): the tokens in text order, duplicates kept (BM25 counts them).
    Returns (query_terms): unique terms in order of first appearance.

Stopwords are deliberately few: function words, and patent boilerplate that every filing
carries (本发明, 所述, 其特征在于, "wherein", ...). Generic domain nouns such as 方法, 装置,
系统 or "method" stay: they are near-universal in patent titles, so BM25's idf already gives
them almost no weight, while an SME asking for a 检测方法 still matches on them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jieba

from matching.cache import BoundedCache

# jieba announces every dictionary load on stderr at DEBUG level through its own handler.
jieba.setLogLevel(logging.WARNING)

CHINESE_STOPWORDS: tuple[str, ...] = (
    # function words
    "的", "地", "得", "了", "着", "过", "和", "与", "及", "以及", "及其", "或", "或者", "等",
    "在", "对", "为", "是", "将", "把", "被", "其", "该", "所", "以", "于", "由", "从", "而",
    "并", "并且", "且", "之", "也", "即", "若", "则", "此", "这", "这种", "本", "一",
    # patent boilerplate
    "本发明", "本实用新型", "本申请", "发明", "实用新型", "公开", "一种", "所述", "上述",
    "其特征在于", "特征在于", "特征", "在于", "包括", "涉及", "提供", "具有",
)  # fmt: skip

ENGLISH_STOPWORDS: tuple[str, ...] = (
    # function words
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "by", "for", "to", "with", "from",
    "as", "into", "is", "are", "was", "were", "be", "been", "being", "it", "its", "that",
    "this", "these", "those", "which", "such", "than", "then", "so", "not", "no",
    # patent boilerplate, the counterpart of 本发明 / 所述 / 其特征在于
    "invention", "present", "relates", "disclosed", "wherein", "whereby", "said", "thereof",
    "therein", "comprising", "comprises",
)  # fmt: skip

_WHITESPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_TERMINAL = "。！？；!?;.．"
_CJK_TERMINAL = "。！？；．"

# Claim 2 starts at a "2." / "2．" / "2、" that follows a boundary and is no decimal (2.5 mm).
_CLAIM_TWO = re.compile(r"(?:^|(?<=[\s。；;])|(?<=\D[.．]))2\s*[.．、](?!\d)")
_CLAIM_ONE_NUMBER = re.compile(r"^1\s*[.．、](?!\d)\s*")

# A closing quote or bracket stays with the sentence it closes.
_CLOSERS = "”’」』）)\"'"
_SENTENCE_BREAK = re.compile(
    rf"(?<=[。！？；!?;．])(?![{_CLOSERS}])|(?<=[。！？；!?;．][{_CLOSERS}])"
    rf"|(?<=\.)\s+|(?<=\.[{_CLOSERS}])\s+|\n"
)
# "1,000" is a number, not two clauses.
_CLAUSE_BREAK = re.compile(r"(?<=，)|(?<=,)(?!\d)")
_LONG_SENTENCE = 200


def normalize(text: str) -> str:
    """Return `text` NFKC-folded, with whitespace runs collapsed to one space and stripped."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def listing_text(
    title: str, abstract: str, claims: str | None = None, *, max_claim_chars: int = 600
) -> str:
    """Return the text embedded for a listing: title, abstract and the first claim."""
    first_claim = _first_claim(claims, max_claim_chars) if claims else ""
    return _join(title, abstract, first_claim)


def demand_text(title: str, description: str) -> str:
    """Return the text embedded for a demand: title and description."""
    return _join(title, description)


def sentences(text: str, *, min_chars: int = 4) -> list[str]:
    """Split Chinese and English text into sentences, in order, dropping short fragments."""
    result: list[str] = []
    for piece in _SENTENCE_BREAK.split(text):
        sentence = _clean(piece)
        chunks = _split_long(sentence) if len(sentence) > _LONG_SENTENCE else [sentence]
        result.extend(chunk for chunk in chunks if len(chunk) >= min_chars)
    return result


def content_hash(*parts: str | None) -> str:
    """Return the sha256 hex digest of `parts`, None counting as empty."""
    # \x1f (unit separator) never occurs in text, so ("ab", "c") and ("a", "bc") differ.
    joined = "\x1f".join(part or "" for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Analysis:
    """A text's BM25 tokens (with sub-words) and its unique terms in order of appearance."""

    tokens: tuple[str, ...]
    terms: tuple[str, ...]


# Query analyses kept per tokenizer: a demand is asked for its matches again and again (pages,
# filters, the reverse direction), and jieba costs a few milliseconds on a long description.
QUERY_CACHE_SIZE = 4_096


class Tokenizer:
    """jieba-based tokenizer for BM25 and explanations; see the module docstring."""

    def __init__(self, user_dict: Path | None = None, extra_stopwords: Iterable[str] = ()) -> None:
        self._user_dict = user_dict
        self._stopwords = frozenset(CHINESE_STOPWORDS) | frozenset(ENGLISH_STOPWORDS)
        self._stopwords |= frozenset(word.lower() for word in extra_stopwords)
        self._jieba: jieba.Tokenizer | None = None
        self._lock = threading.Lock()
        self._queries: BoundedCache[str, Analysis] = BoundedCache(QUERY_CACHE_SIZE)

    def warm_up(self) -> None:
        """Load jieba's dictionary (about 1.5 s) and the user dictionary now, not on first use."""
        self._segmenter()

    def tokens(self, text: str) -> list[str]:
        """Return the BM25 tokens of `text`: search-mode words and their dictionary sub-words."""
        return list(self.analyse(text).tokens)

    def query_terms(self, text: str) -> list[str]:
        """Return the unique precise-mode terms of `text`, in order of first appearance."""
        return list(self.analyse(text).terms)

    def analyse_query(self, text: str) -> Analysis:
        """Return `analyse(text)`, remembered for the last `QUERY_CACHE_SIZE` query texts.

        For texts asked about repeatedly (a demand's description, a search); documents go
        through `analyse` or `tokens`, which remember nothing.
        """
        return self._queries.get_or_make(text, lambda: self.analyse(text), size=QUERY_CACHE_SIZE)

    def analyse(self, text: str) -> Analysis:
        """Return both the BM25 tokens and the query terms of `text`, from one segmentation."""
        segmenter = self._segmenter()
        tokens: list[str] = []
        terms: dict[str, None] = {}
        for word in segmenter.cut(normalize(text)):
            token = word.lower()
            # Skipping a stopword before expanding it keeps 本实用新型 from leaking 实用 and 新型.
            if token in self._stopwords or not _is_word(token):
                continue
            tokens.extend(gram for gram in _subwords(segmenter, token) if self._keep(gram))
            tokens.append(token)
            terms.setdefault(token)
        return Analysis(tokens=tuple(tokens), terms=tuple(terms))

    def _keep(self, token: str) -> bool:
        return token not in self._stopwords and _is_word(token)

    def _segmenter(self) -> jieba.Tokenizer:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    # A private instance: a user dictionary must not change the global jieba,
                    # nor another Tokenizer loaded with a different dictionary.
                    segmenter = jieba.Tokenizer()
                    segmenter.initialize()
                    if self._user_dict is not None:
                        # jieba leaves a file it opened from a path unclosed.
                        with self._user_dict.open("rb") as user_dict:
                            segmenter.load_userdict(user_dict)
                    self._jieba = segmenter
        return self._jieba


def _subwords(segmenter: jieba.Tokenizer, word: str) -> Iterator[str]:
    # The same 2- and 3-grams as jieba's cut_for_search, which cannot skip stopwords itself.
    for size in (2, 3):
        if len(word) > size:
            for start in range(len(word) - size + 1):
                gram = word[start : start + size]
                if segmenter.FREQ.get(gram):
                    yield gram


def _is_word(token: str) -> bool:
    return any(char.isalnum() for char in token)


def _clean(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _join(*parts: str) -> str:
    cleaned = [part for part in map(_clean, parts) if part]
    joined = ""
    for index, part in enumerate(cleaned):
        is_last = index == len(cleaned) - 1
        if not is_last and part[-1] not in _TERMINAL:
            part += "。" if _CJK.match(part[-1]) else "."
        joined += part
        if not is_last and part[-1] not in _CJK_TERMINAL:
            joined += " "
    return joined


def _first_claim(claims: str, max_chars: int) -> str:
    text = _clean(claims)
    match = _CLAIM_TWO.search(text)
    if match is not None:
        text = text[: match.start()]
    text = _CLAIM_ONE_NUMBER.sub("", text.strip())
    return text[:max_chars].rstrip()


def _split_long(sentence: str) -> list[str]:
    # Pack whole clauses greedily so the pieces stay readable rather than one per comma.
    chunks: list[str] = []
    current = ""
    for clause in _CLAUSE_BREAK.split(sentence):
        if current and len(current) + len(clause) > _LONG_SENTENCE:
            chunks.append(current.strip())
            current = ""
        current += clause
    if current.strip():
        chunks.append(current.strip())
    return chunks
