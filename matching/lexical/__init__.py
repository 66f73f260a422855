"""BM25 over token lists, keyed by listing ids, with incremental updates between rebuilds.

Contract:

- `LexicalIndex.build(ids, docs, k1=1.2, b=0.75)` indexes documents (token lists from
  `matching.text.Tokenizer.tokens`) with bm25s. That *main part* is static.
- `upsert(doc_id, tokens)` and `remove(doc_id)` change the index without a rebuild. A replaced
  or removed main document is masked out (a tombstone); an added or replaced one goes to a small
  in-memory *delta*. Rebuild periodically to fold the delta into the main part.
- `search(query, k, allowed)` returns the `k` best ``(id, score)`` pairs, best first, ties by
  smaller id, only documents scoring above zero.

    Args:
        query: query tokens; each distinct token counts once (BM25 with k3 = 0), so a long
            demand that repeats a word does not drown its other words.
        k: the number of results wanted; fewer come back when fewer documents match.
        allowed: ids that may be returned (a filter applied before the top-k cut, so a page is
            full whenever `k` allowed documents match), or None for all.
    Returns:
        ``[(id, score), ...]`` sorted by descending score, then ascending id.

- `scores_for(query, ids)` returns the BM25 score of given documents (0.0 when they do not
  match or are not indexed), for explanations and fusion of candidates found elsewhere.
- `save(directory)` / `load(directory, mmap=False)` write and read one snapshot per directory.
  With ``mmap=True`` the posting arrays stay on disk and are shared through the page cache by
  every process that maps them; the snapshot must then never be rewritten in place.

Cost: a search reads the postings of the query tokens (bm25s's precomputed idf·tfc weights)
and makes O(N) numpy passes for masking and top-k; about 4 ms for a 40-token query over 100k
documents of 150 tokens. The first search after a write recompiles the delta (O(delta postings)).

The score is the classic BM25 with Lucene's idf, summed over the distinct query tokens:

    score(t) = idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))
    idf(t)   = ln(1 + (N − df + 0.5) / (df + 0.5))

bm25s's "lucene" method omits the constant factor (k1+1), as Lucene itself has since 8.0; it
is restored here so that scores equal the textbook formula (rankings are unchanged).

Approximation: the delta is scored with the statistics frozen at build time (N, avgdl and each
token's df in the main part), not with statistics that include the delta or exclude tombstones.
That keeps delta and main scores comparable (an upserted document scores exactly as it would
have in the build) and makes updates O(document length); the drift is removed by the next
rebuild. A token absent from the build has df = 0. An index built without any token has no
statistics to freeze, so it scores its delta with the delta's own current statistics.

Not thread-safe: serialise writers, or swap whole instances.

Layout (private modules): ``_index`` (``LexicalIndex``: the bm25s main part, its tombstones,
search and snapshots) and ``_delta`` (the delta it holds, and the BM25 idf).
"""

from matching.lexical._index import LexicalIndex

__all__ = ["LexicalIndex"]
