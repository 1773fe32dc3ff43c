"""Which planning figures may be shown: every count of children goes through
:mod:`lotse.core.disclosure` (small counts hidden, and secondary suppression so that no hidden
count can be worked out from totals, other districts, other age bands or other tables of the
same children).

The tables are protected whole — every district and age band with all their totals, whatever
the page filters — so that switching the filter never shows another set of cells:

* **children** (population, rounded) by district × age band, for the report year and for each
  forecast year;
* **children applying** by home district (and "not known") × age band × legal claim without
  an offer (so *applying*, *without an offer* and their difference are protected together);
* **placements** by home district × district of the place × age band: placements per district
  of the place (the district table), per home district, in the own and in other districts, and
  every pair of districts (commuting). A city with very many pairs is protected without the
  pairs (``MAX_PAIRS``); its commuting table then shows no pairs.

Figures computed from counts (demand, balance, coverage, percentages) are hidden whenever a
count they rest on is hidden.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.core.cache import cache
from django.utils import timezone

from lotse.core.disclosure import CountTable, Figure, ProtectedTable

from .models import ProtectedFigures
from .population import BANDS

#: Above this many (home, place, age band) combinations with placements, the pairs of
#: districts are not published (protecting them together takes seconds per hundred pairs).
MAX_PAIRS = 250
#: Protected tables stay in the shared cache this long; behind it they are stored
#: (``ProtectedFigures``), so the costly protection runs once per change of the figures —
#: in the background refresh — not on the first page after a change (seconds for a city).
CACHE_SECONDS = 7 * 24 * 3600
#: Older results of the same table (scope) are removed once they are this old: pages still
#: showing the previous figures find theirs meanwhile.
KEEP_PREVIOUS = dt.timedelta(days=1)


def _stored[T](
    scope: str,
    inputs: Any,
    compute: Callable[[], T],
    encode: Callable[[T], dict],
    decode: Callable[[dict], T],
) -> T:
    """The protected table for these inputs: from the cache, else from the table, else
    computed now and stored for every web process."""
    key = hashlib.sha1(repr((scope, inputs)).encode()).hexdigest()
    found = cache.get("planning-protect:" + key)
    if found is not None:
        return cast(T, found)
    row = ProtectedFigures.objects.filter(key=key).values_list("figures", flat=True).first()
    if row is not None:
        found = decode(row)
    else:
        found = compute()
        _keep(scope, key, encode(found))
    cache.set("planning-protect:" + key, found, CACHE_SECONDS)
    return found


def _keep(scope: str, key: str, figures: dict) -> None:
    # ignore_conflicts: two processes may compute the same table at the same moment.
    ProtectedFigures.objects.bulk_create(
        [ProtectedFigures(scope=scope, key=key, figures=figures)], ignore_conflicts=True
    )
    ProtectedFigures.objects.filter(
        scope=scope, computed_at__lt=timezone.now() - KEEP_PREVIOUS
    ).exclude(key=key).delete()


def _table_json(table: ProtectedTable) -> dict:
    return {"tables": {"table": table.to_json()}}


def _table_from(figures: dict) -> ProtectedTable:
    return ProtectedTable.from_json(figures["tables"]["table"])


def _none_first(cells: tuple) -> tuple:
    """Sort key for categories whose first may be ``None`` (home district not known)."""
    return (cells[0] is not None, cells[0] or 0, *cells[1:])


def _band_values() -> dict[str, list[str]]:
    return {"band": list(BANDS)}


def children_table(
    district_ids: list[int], children: dict[int, dict[str, float]], *, scope: str
) -> ProtectedTable:
    """Children per district and age band (rounded estimates), with all totals. ``scope``:
    municipality and year, e.g. ``"Flensburg:2026"``."""
    counts = [
        (d, band, round(children.get(d, {}).get(band, 0.0))) for d in district_ids for band in BANDS
    ]
    return _stored(
        f"{scope}:children",
        counts,
        lambda: _children(district_ids, counts),
        _table_json,
        _table_from,
    )


def _children(district_ids: list[int], counts: list[tuple[int, str, int]]) -> ProtectedTable:
    table = CountTable(["district", "band"])
    for d, band, n in counts:
        table.add(n, district=d, band=band)
    values = {"district": district_ids, **_band_values()}
    table.publish()
    table.publish("district", values=values)
    table.publish("band", values=values)
    table.publish("district", "band", values=values)
    return table.protect()


def applicants_table(
    homes: list[int | None], rows: dict[tuple[int | None, str], dict], *, scope: str
) -> ProtectedTable:
    """Children applying by home district × age band × legal claim without an offer."""
    counts = sorted(
        (
            (home, band, int(r.get("applicants", 0)), int(r.get("unmet", 0)))
            for (home, band), r in rows.items()
        ),
        key=_none_first,
    )
    return _stored(
        f"{scope}:applicants",
        (homes, counts),
        lambda: _applicants(homes, rows),
        _table_json,
        _table_from,
    )


def _applicants(
    homes: list[int | None], rows: dict[tuple[int | None, str], dict]
) -> ProtectedTable:
    table = CountTable(["district", "band", "unmet"])
    for (home, band), row in rows.items():
        applicants, unmet = int(row.get("applicants", 0)), int(row.get("unmet", 0))
        unmet = min(unmet, applicants)
        table.add(unmet, district=home, band=band, unmet=True)
        table.add(applicants - unmet, district=home, band=band, unmet=False)
    values = {"district": homes, "unmet": [True, False], **_band_values()}
    for dims in _subsets(("district", "band", "unmet")):
        table.publish(*dims, values=values)
    return table.protect()


@dataclass(frozen=True)
class Placements:
    """Placements as they may be shown. With ``pairs`` one table holds everything; without,
    ``places`` (district of the place × age band) and ``homes`` (home district × own or
    other district × age band) are two tables, each with all its totals."""

    places: ProtectedTable
    homes: ProtectedTable
    pairs: bool

    def by_place(self, place: int, band: str | None = None) -> Figure:
        return self.places.get(place=place, **_band(band))

    def total(self, band: str | None = None) -> Figure:
        return self.places.get(**_band(band))

    def placed(self, home: int | None, band: str | None = None) -> Figure:
        return self.homes.get(home=home, **_band(band))

    def own(self, home: int | None, band: str | None = None) -> Figure:
        if home is None:
            return Figure(0)
        if self.pairs:
            return self.homes.get(home=home, place=home, **_band(band))
        return self.homes.get(home=home, where="own", **_band(band))

    def elsewhere(self, home: int | None, band: str | None = None) -> Figure:
        if self.pairs:
            return self.homes.get(sum=("away", home, band))
        return self.homes.get(home=home, where="away", **_band(band))

    def pair(self, home: int | None, place: int, band: str | None = None) -> Figure | None:
        """The children of one home district placed in one district (None: not published)."""
        if not self.pairs:
            return None
        return self.homes.get(home=home, place=place, **_band(band))


def placements_table(
    district_ids: list[int], counts: dict[tuple[int | None, int, str], int], *, scope: str
) -> Placements:
    """Placements protected together in every form the report shows them."""
    # In the stored figures' order (deterministic): sorting 20,000 pairs on every visit cost
    # more than the lookup; another order of the same counts would only be computed again.
    inputs = (district_ids, counts)
    return _stored(
        f"{scope}:placements",
        inputs,
        lambda: _placements(district_ids, counts),
        _placements_json,
        _placements_from,
    )


def _placements_json(placements: Placements) -> dict:
    tables = {"places": placements.places.to_json()}
    if not placements.pairs:  # with pairs one table serves both
        tables["homes"] = placements.homes.to_json()
    return {"tables": tables, "pairs": placements.pairs}


def _placements_from(figures: dict) -> Placements:
    places = ProtectedTable.from_json(figures["tables"]["places"])
    if figures["pairs"]:
        return Placements(places, places, pairs=True)
    return Placements(places, ProtectedTable.from_json(figures["tables"]["homes"]), pairs=False)


def _placements(
    district_ids: list[int], counts: dict[tuple[int | None, int, str], int]
) -> Placements:
    homes: list[int | None] = list(district_ids)
    if any(home is None for home, _place, _band in counts):
        homes.append(None)
    places = list(district_ids)
    if len([n for n in counts.values() if n]) <= MAX_PAIRS:
        table = CountTable(["home", "place", "band"])
        for (home, place, band), n in counts.items():
            table.add(n, home=home, place=place, band=band)
        values = {"home": homes, "place": places, **_band_values()}
        for dims in _subsets(("home", "place", "band")):
            table.publish(*dims, values=values)
        for home in homes:
            others = [p for p in places if p != home]
            for band in [None, *BANDS]:
                table.publish_sum(("away", home, band), home=[home], place=others, **_bands(band))
        protected = table.protect()
        return Placements(protected, protected, pairs=True)
    by_place = CountTable(["place", "band"])
    by_home = CountTable(["home", "where", "band"])
    for (home, place, band), n in counts.items():
        by_place.add(n, place=place, band=band)
        by_home.add(n, home=home, where="own" if home == place else "away", band=band)
    for dims in _subsets(("place", "band")):
        by_place.publish(*dims, values={"place": places, **_band_values()})
    for dims in _subsets(("home", "where", "band")):
        by_home.publish(*dims, values={"home": homes, "where": ["own", "away"], **_band_values()})
    return Placements(by_place.protect(), by_home.protect(), pairs=False)


def _band(band: str | None) -> dict[str, str]:
    return {} if band is None else {"band": band}


def _bands(band: str | None) -> dict[str, list[str]]:
    return {} if band is None else {"band": [band]}


def _subsets(dims: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    """Every combination of the dimensions, the total first."""
    from itertools import combinations

    for size in range(len(dims) + 1):
        yield from combinations(dims, size)


def hidden_any(figures: Iterable[Figure | None]) -> bool:
    return any(f is not None and f.hidden for f in figures)
