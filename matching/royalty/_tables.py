"""The evidence tables behind royalty guidance, each figure tied to a source.

The project ships these tables in `data/royalty/` (see `data/SOURCES.md`); an operator adds
official tables (CNIPA licence statistics by industry, NBS profit by division) by importing
them, and `RoyaltyTables.with_imports` lays those over the shipped ones, newest year first.

Industry codes are canonical GB/T 4754-2017 codes: a section letter (`C`) or the section letter
and a two-digit division (`C39`); `TOTAL` is the national figure of all industry.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

NATIONAL = "TOTAL"


@dataclass(frozen=True)
class Source:
    """A document a figure comes from: title, year and a URL or document number."""

    id: str
    title: str
    publisher: str
    year: str
    reference: str
    trust: str


@dataclass(frozen=True)
class Margin:
    """An industry's sales profit margin (total profit / revenue) in one year."""

    code: str
    year: int
    margin_pct: float
    source: str
    note: str = ""


@dataclass(frozen=True)
class LicenceStat:
    """One industry's royalty-rate statistics from CNIPA's recorded licence contracts."""

    code: str
    year: int
    source: str
    contracts: int | None = None
    rate_mean_pct: float | None = None
    rate_median_pct: float | None = None
    rate_p25_pct: float | None = None
    rate_p75_pct: float | None = None
    fixed_fee_mean_yuan: float | None = None


@dataclass(frozen=True)
class Parameter:
    """A named model parameter: cited where a source gives it, else the project's assumption."""

    name: str
    value: float
    unit: str
    basis: str
    source: str
    reason: str


@dataclass(frozen=True)
class NationalLicenceYear:
    """CNIPA's national totals of recorded licence contracts for one year."""

    year: int
    contracts: int
    fixed_fee_share_pct: float
    royalty_share_pct: float
    free_share_pct: float
    fixed_fee_avg_yuan: float
    fixed_fee_avg_term_years: float
    royalty_avg_term_years: float
    source: str


@dataclass(frozen=True)
class Anchor:
    """A published royalty-rate statistic used as a sanity band."""

    name: str
    value_pct: float
    statistic: str
    source: str


@dataclass(frozen=True)
class IpcRule:
    """An approximate IPC prefix → GB/T 4754 industry rule, with the reason for it."""

    prefix: str
    industry_code: str
    wipo_field: str
    reason: str


# eq=False: tables hash by identity, so a cache can key suggestions on the tables they used.
@dataclass(frozen=True, eq=False)
class RoyaltyTables:
    """Every table the royalty model reads; lookups are plain dict gets."""

    sources: Mapping[str, Source]
    margins: Mapping[str, Margin]
    licence_stats: Mapping[str, LicenceStat]
    national: NationalLicenceYear
    anchors: Mapping[str, Anchor]
    parameters: Mapping[str, Parameter]
    ipc_rules: Mapping[str, IpcRule]
    imported: tuple[str, ...] = field(default=())

    def parameter(self, name: str) -> Parameter:
        """Return a model parameter, failing loudly if the shipped table lacks it."""
        try:
            return self.parameters[name]
        except KeyError:
            raise KeyError(f"royalty parameter {name!r} is missing from parameters.csv") from None

    def industry_for_ipc(self, ipc_codes: Sequence[str]) -> tuple[str, IpcRule] | None:
        """Return the first IPC code that a rule maps, with that rule (longest prefix wins)."""
        for code in ipc_codes:
            compact = code.replace(" ", "").upper()
            for length in (4, 3):
                rule = self.ipc_rules.get(compact[:length])
                if rule is not None:
                    return code, rule
        return None

    def with_imports(
        self,
        *,
        sources: Iterable[Source],
        margins: Iterable[Margin],
        licence_stats: Iterable[LicenceStat],
    ) -> RoyaltyTables:
        """Return tables with imported figures laid over the shipped ones.

        For each industry the newest year wins; within a year an imported figure beats a
        shipped one (it is the operator's copy of the official table), and among imports the
        first given wins, so the caller passes them newest import first.
        """
        merged_sources = dict(self.sources)
        imported = []
        for source in sources:
            merged_sources[source.id] = source
            imported.append(source.id)
        merged_margins = dict(self.margins)
        for margin in margins:
            current = merged_margins.get(margin.code)
            shipped = current is not None and current.source not in imported
            if (
                current is None
                or margin.year > current.year
                or (margin.year == current.year and shipped)
            ):
                merged_margins[margin.code] = margin
        merged_stats = dict(self.licence_stats)
        for stat in licence_stats:
            current_stat = merged_stats.get(stat.code)
            if current_stat is None or stat.year > current_stat.year:
                merged_stats[stat.code] = stat
        return replace(
            self,
            sources=MappingProxyType(merged_sources),
            margins=MappingProxyType(merged_margins),
            licence_stats=MappingProxyType(merged_stats),
            imported=tuple(imported),
        )


def section_of(code: str) -> str:
    """Return the section letter of a canonical code (`C39` → `C`, `C` → `C`)."""
    return code[0]


def load_tables(data_dir: Path) -> RoyaltyTables:
    """Read the shipped tables from `data_dir` (the project's `data/royalty/`)."""
    sources = {
        row["id"]: Source(
            id=row["id"],
            title=row["title"],
            publisher=row["publisher"],
            year=row["year"],
            reference=row["reference"],
            trust=row["trust"],
        )
        for row in _rows(data_dir / "sources.csv")
    }
    margins: dict[str, Margin] = {}
    for row in _rows(data_dir / "industry_margins.csv"):
        margin = Margin(
            code=row["code"],
            year=int(row["year"]),
            margin_pct=float(row["margin_pct"]),
            source=row["source_id"],
            note=row["note"],
        )
        if margin.code not in margins or margin.year > margins[margin.code].year:
            margins[margin.code] = margin
    national = max(
        (
            NationalLicenceYear(
                year=int(row["year"]),
                contracts=int(row["contracts"]),
                fixed_fee_share_pct=float(row["fixed_fee_share_pct"]),
                royalty_share_pct=float(row["royalty_share_pct"]),
                free_share_pct=float(row["free_share_pct"]),
                fixed_fee_avg_yuan=float(row["fixed_fee_avg_10k_yuan"]) * 10_000,
                fixed_fee_avg_term_years=float(row["fixed_fee_avg_term_years"]),
                royalty_avg_term_years=float(row["royalty_avg_term_years"]),
                source=row["source_id"],
            )
            for row in _rows(data_dir / "national_licence_stats.csv")
        ),
        key=lambda year: year.year,
    )
    anchors = {
        row["name"]: Anchor(
            name=row["name"],
            value_pct=float(row["value_pct"]),
            statistic=row["statistic"],
            source=row["source_id"],
        )
        for row in _rows(data_dir / "international_anchors.csv")
    }
    parameters = {
        row["name"]: Parameter(
            name=row["name"],
            value=float(row["value"]),
            unit=row["unit"],
            basis=row["basis"],
            source=row["source_id"],
            reason=row["reason"],
        )
        for row in _rows(data_dir / "parameters.csv")
    }
    rules = {
        row["ipc_prefix"]: IpcRule(
            prefix=row["ipc_prefix"],
            industry_code=row["industry_code"],
            wipo_field=row["wipo_field"],
            reason=row["reason"],
        )
        for row in _rows(data_dir / "ipc_to_gbt4754.csv")
    }
    tables = RoyaltyTables(
        sources=MappingProxyType(sources),
        margins=MappingProxyType(margins),
        licence_stats=MappingProxyType({}),
        national=national,
        anchors=MappingProxyType(anchors),
        parameters=MappingProxyType(parameters),
        ipc_rules=MappingProxyType(rules),
    )
    _check_sources(tables)
    return tables


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _check_sources(tables: RoyaltyTables) -> None:
    """Refuse shipped tables with a figure whose source is not in sources.csv."""
    cited = [
        *(m.source for m in tables.margins.values()),
        tables.national.source,
        *(a.source for a in tables.anchors.values()),
        *(p.source for p in tables.parameters.values()),
    ]
    missing = sorted({source for source in cited if source not in tables.sources})
    if missing:
        raise ValueError(f"royalty tables cite sources missing from sources.csv: {missing}")
