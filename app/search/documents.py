"""The manifest of an index snapshot: which listing versions and texts it holds, and their tokens.

Saved beside the FAISS and BM25 files (`snapshots/<name>/documents/`), it lets the re-index job

- tell in one comparison whether anything changed since the live snapshot (same ids, same
  listing versions, same text hashes: nothing to do), and
- reuse the jieba tokens of every listing whose text did not change: tokenising costs ~5 ms a
  listing on these machines (8 minutes at 100k), far more than reading tokens back.

Tokens are stored as one vocabulary and a flat array of token numbers with offsets, so 100k
documents load in about a second, and only when asked for: the nightly "did anything change?"
check reads the ids, versions and hashes alone. Tokens depend on the tokenizer's dictionary,
so the manifest records a fingerprint of it and is ignored for tokens when that changed.
"""

from __future__ import annotations

import itertools
import json
import logging
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

_FORMAT = 1
_META = "documents.json"
_ARRAYS = "documents.npz"

Ids = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Documents:
    """Listing ids (ascending), their versions and text hashes, and their tokens in that order.

    `tokens` is read on first use (`read_tokens`), not when the manifest is loaded.
    """

    ids: Ids
    versions: Ids
    text_hashes: list[str]
    read_tokens: Callable[[], list[list[str]]] = field(repr=False, compare=False)
    tokenizer: str
    # Texts added to the BM25 index's delta since its main part was last built in full.
    lexical_delta: int = 0

    def __post_init__(self) -> None:
        if not (len(self.versions) == len(self.text_hashes) == len(self.ids)):
            raise ValueError("ids, versions and text_hashes must have the same length")

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def tokens(self) -> list[list[str]]:
        """Return every document's tokens, in id order."""
        tokens = self.read_tokens()
        if len(tokens) != len(self.ids):
            raise ValueError(f"the manifest holds {len(tokens)} token lists for {len(self)} ids")
        return tokens

    def same_content(self, other: Documents) -> bool:
        """Return True when both hold the same listing versions with the same texts."""
        return (
            np.array_equal(self.ids, other.ids)
            and np.array_equal(self.versions, other.versions)
            and self.text_hashes == other.text_hashes
        )

    def tokens_by_hash(self, tokenizer: str) -> dict[str, list[str]]:
        """Return tokens keyed by text hash; none if the tokenizer differs or they are lost."""
        if tokenizer != self.tokenizer:
            return {}
        try:
            tokens = self.tokens
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("manifest tokens unreadable; tokenising afresh", extra={"error": str(exc)})
            return {}
        return dict(zip(self.text_hashes, tokens, strict=True))

    def save(self, directory: Path) -> None:
        """Write the manifest into `directory` (created if needed)."""
        directory.mkdir(parents=True, exist_ok=True)
        numbering: defaultdict[str, int] = defaultdict()
        numbering.default_factory = numbering.__len__
        # map() over a defaultdict keeps the per-token work in C: 18M tokens at 100k listings.
        flat = np.fromiter(
            map(numbering.__getitem__, itertools.chain.from_iterable(self.tokens)),
            dtype=np.int32,
            count=sum(map(len, self.tokens)),
        )
        offsets = np.zeros(len(self.tokens) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, self.tokens), dtype=np.int64), out=offsets[1:])
        np.savez(
            directory / _ARRAYS,
            ids=self.ids,
            versions=self.versions,
            # uint8 rows, not an "S32" column: numpy strips trailing NUL bytes from those.
            hashes=np.frombuffer(
                b"".join(bytes.fromhex(h) for h in self.text_hashes), dtype=np.uint8
            ).reshape(-1, 32),
            flat=flat,
            offsets=offsets,
        )
        meta = {
            "format": _FORMAT,
            "tokenizer": self.tokenizer,
            "lexical_delta": self.lexical_delta,
            "vocabulary": list(numbering),
        }
        (directory / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Documents:
        """Read a manifest written by `save`.

        Raises:
            FileNotFoundError: the snapshot has no manifest (written before manifests existed).
            ValueError: the manifest is unreadable or of another format.
        """
        meta = json.loads((directory / _META).read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{directory} holds manifest format {meta.get('format')!r}")
        with np.load(directory / _ARRAYS, allow_pickle=False) as arrays:
            ids = arrays["ids"].astype(np.int64)
            versions = arrays["versions"].astype(np.int64)
            hashes = [row.tobytes().hex() for row in arrays["hashes"]]

        def read_tokens() -> list[list[str]]:
            with np.load(directory / _ARRAYS, allow_pickle=False) as arrays:
                flat = arrays["flat"]
                bounds = arrays["offsets"].tolist()
            words = np.array(meta["vocabulary"], dtype=object)[flat].tolist()
            return [words[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]

        return cls(
            ids=ids,
            versions=versions,
            text_hashes=hashes,
            read_tokens=read_tokens,
            tokenizer=str(meta["tokenizer"]),
            lexical_delta=int(meta.get("lexical_delta", 0)),
        )


def empty(tokenizer: str) -> Documents:
    """Return a manifest of no documents."""
    return Documents(
        ids=np.zeros(0, dtype=np.int64),
        versions=np.zeros(0, dtype=np.int64),
        text_hashes=[],
        read_tokens=list,
        tokenizer=tokenizer,
    )


def of(
    ids: Sequence[int],
    versions: Sequence[int],
    text_hashes: Sequence[str],
    tokens: Sequence[list[str]],
    *,
    tokenizer: str,
    lexical_delta: int = 0,
) -> Documents:
    """Return a manifest from parallel sequences sorted by id."""
    return Documents(
        ids=np.asarray(ids, dtype=np.int64),
        versions=np.asarray(versions, dtype=np.int64),
        text_hashes=list(text_hashes),
        read_tokens=lambda: list(tokens),
        tokenizer=tokenizer,
        lexical_delta=lexical_delta,
    )
