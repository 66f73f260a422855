"""Micro-benchmark of the memo layers on the match path: each cache on and off, side by side.

Run: `python -m tools.bench.caches` (prints the table docs/caches.md holds). Every figure is the
median of `REPEATS` runs in this one process, the cached call measured warm (a hit), the
uncached one doing what a miss does.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np

from app.models import (
    Listing,
    ListingStatus,
    Organisation,
    OrganisationKind,
    PatentType,
    RoyaltyType,
)
from app.search.facts import FactTable, ListingFacts
from app.search.filters import ListingFilters, passing_ids
from app.services.listings import views as listing_views
from app.services.royalty import service as royalty
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.royalty import suggest

REPEATS = 200
LISTINGS = 100_000


def median_us(call: Callable[[], object], repeats: int = REPEATS) -> float:
    """Return the median time of `call` in microseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def listing(listing_id: int) -> Listing:
    """Return a transient listing row with a holder, as a result page reads it."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    org = Organisation(id=1, name="测试大学", kind=OrganisationKind.UNIVERSITY, province="浙江省")
    return Listing(
        id=listing_id,
        organisation=org,
        organisation_id=1,
        patent_number=f"20191000{listing_id:04d}.X",
        title="一种基于深度学习的轴承故障诊断方法",
        abstract="本发明公开了一种基于深度学习的轴承故障诊断方法，采集振动信号并提取时频特征，" * 8,
        claims="1. 一种轴承故障诊断方法，其特征在于，包括以下步骤。" * 10,
        ipc_codes=["G06N 3/08"],
        patent_type=PatentType.INVENTION,
        application_date=date(2019, 3, 15),
        expiry_date=date(2039, 3, 15),
        industry_code="C34",
        royalty_type=RoyaltyType.PERCENTAGE,
        rate_percent=3.0,
        licence_term_years=3,
        status=ListingStatus.ACTIVE,
        version=1,
        created_at=now,
        updated_at=now,
    )


def rows() -> list[tuple[str, float, float]]:
    """Return (cache, µs with the cache hit, µs without it) for each cache measured."""
    found: list[tuple[str, float, float]] = []
    # One result page: ten listings.
    page = [listing(i) for i in range(10)]
    views = listing_views.ListingViews()
    found.append(
        (
            "listing views (10 listings)",
            median_us(lambda: [views.of(item) for item in page]),
            median_us(lambda: [listing_views.build(item) for item in page], 50),
        )
    )
    tables = royalty.shipped_tables()
    requests = [
        replace(royalty.request_for(item), licensee_industry="C35", annual_sales_yuan=5e6)
        for item in page
    ]
    found.append(
        (
            "royalty suggestion (10 listings)",
            median_us(lambda: [royalty.suggestion_for(r, tables) for r in requests]),
            median_us(lambda: [suggest(r, tables) for r in requests]),
        )
    )
    found.append(
        (
            "royalty brief (10 listings)",
            median_us(
                lambda: [
                    royalty.brief_for_request(
                        r,
                        tables=tables,
                        listing_id=i,
                        licensee_industry="C35",
                        given_by="demand",
                        annual_sales_yuan=5e6,
                    )
                    for i, r in enumerate(requests)
                ]
            ),
            median_us(
                lambda: [
                    royalty.brief(
                        suggest(r, tables),
                        tables,
                        listing_id=i,
                        request=r,
                        given_by="demand",
                    )
                    for i, r in enumerate(requests)
                ]
            ),
        )
    )
    found.append(
        (
            "shipped royalty tables",
            median_us(royalty.shipped_tables),
            median_us(royalty.shipped_tables.__wrapped__, 20),
        )
    )
    rng = np.random.default_rng(7)
    table = FactTable(capacity=2 * LISTINGS)
    provinces = ["浙江省", "湖北省", "江苏省", "广东省"]
    for i in range(LISTINGS):
        table.upsert(
            ListingFacts(
                id=i + 1,
                organisation_id=int(rng.integers(1, 200)),
                patent_type="invention",
                province=provinces[i % 4],
                industry_code="C34",
                ipc_codes=("G06N 3/08",) if i % 3 else ("H04L 9/08",),
                rate_percent=float(rng.integers(1, 80)) / 10,
                expiry_date=date(2040, 1, 1),
                version=1,
            )
        )
    broad = ListingFilters(max_rate_percent=5.0, ipc_prefix="G06N")
    today = date.today()
    found.append(
        (
            f"filter ids (FactTable.allowed, {LISTINGS:,} listings)",
            median_us(lambda: table.allowed(broad, today)),
            median_us(lambda: passing_ids(broad, today, table.columns())),
        )
    )
    allowed = table.allowed(broad, today)
    assert allowed is not None
    vectors = rng.standard_normal((LISTINGS, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(1, LISTINGS + 1, dtype=np.int64)
    index = VectorIndex.build(ids, vectors, flat_threshold=50_000)
    query = vectors[:1]
    # A writable copy is never memoised (matching.cache.ArrayMemo): the same search, memo off.
    found.append(
        (
            f"index subsets (ArrayMemo, HNSW {LISTINGS:,})",
            median_us(lambda: index.search(query, 100, allowed), 50),
            median_us(lambda: index.search(query, 100, allowed.copy()), 50),
        )
    )
    words = [f"w{i}" for i in range(500)]
    lexical = LexicalIndex.build(
        [int(i) for i in ids],
        [[words[(i * 7 + k) % 500] for k in range(30)] for i in range(LISTINGS)],
    )
    found.append(
        (
            f"BM25 allowed rows (ArrayMemo, {LISTINGS:,})",
            median_us(lambda: lexical.search(["w1", "w2"], 100, allowed), 50),
            median_us(lambda: lexical.search(["w1", "w2"], 100, allowed.copy()), 50),
        )
    )
    return found


def main() -> None:
    """Print the measured benefit of each cache as a Markdown table."""
    print("| cache | hit (µs) | miss (µs) | saved per call |")
    print("|---|---:|---:|---:|")
    for name, hit, miss in rows():
        print(f"| {name} | {hit:,.0f} | {miss:,.0f} | {miss - hit:,.0f} µs ({miss / hit:,.0f}×) |")


if __name__ == "__main__":
    main()
