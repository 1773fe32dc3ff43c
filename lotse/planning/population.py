"""From coarse population groups and births to children per age band, now and forecast.

Pure functions (no Django), so the arithmetic is tested by hand-computed examples.

Statistics offices publish coarse, nested groups, e.g. "0 to under 7" next to "under 18". The
planning age bands are finer (under 3, 3 to school entry, school children 6 to 14). The method,
also shown on the dashboard:

1. **Disjoint segments.** Nested groups are split into disjoint segments by subtraction,
   narrowest first: "under 18" minus "0 to under 7" gives "7 to under 18". A group that only
   partly overlaps another cannot be split and is ignored.
2. **Single years, weighted by births.** Each segment's residents are spread over its single
   years of age in proportion to the births of the year in which that age was born
   (age *a* on 31 December of year *Y* ↔ born in *Y − a*). Where the births of a year are not
   known, the mean of the district's known births is the weight. The segment total stays exact.
3. **Bands** sum the single years: under 3 = ages 0–2, 3 to school entry = 3–5,
   school children = 6–13.
4. **Forecast** ages the latest known single-year estimate forward, year by year (no further
   migration, no mortality). New cohorts are the births of their year where known, else the
   mean of the last three known years, times the district's *young-family factor*: residents
   of the youngest segment per birth behind them in the base year (below 1 where young
   families move away), so a forecast continues the base year's level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Planning age bands in whole years, [from, to). Keys match ``directory.models.AgeBand``.
BANDS: dict[str, tuple[int, int]] = {"u3": (0, 3), "ue3": (3, 6), "school": (6, 14)}
MAX_AGE = 120
BIRTH_PROJECTION_YEARS = 3


@dataclass(frozen=True)
class Group:
    age_from: int
    age_to: int
    count: int

    @property
    def ages(self) -> range:
        return range(self.age_from, self.age_to)


@dataclass(frozen=True)
class Segment:
    """Residents of a set of single ages whose sum is known (after subtracting nested groups)."""

    ages: tuple[int, ...]
    count: float


def disjoint_segments(groups: Iterable[Group]) -> list[Segment]:
    """Split nested groups into disjoint segments (see the module docstring, step 1)."""
    segments: list[Segment] = []
    covered: set[int] = set()
    for group in sorted(groups, key=lambda g: (g.age_to - g.age_from, g.age_from)):
        ages = set(group.ages)
        inside = [s for s in segments if set(s.ages) <= ages]
        partial = [s for s in segments if set(s.ages) & ages and not set(s.ages) <= ages]
        if partial:
            continue  # e.g. "60 and older" next to "45 to under 65": not splittable
        rest = sorted(ages - covered)
        if not rest:
            continue
        remainder = max(group.count - sum(s.count for s in inside), 0)
        segments.append(Segment(tuple(rest), remainder))
        covered.update(rest)
    return segments


def birth_weight(births: Mapping[int, int], birth_year: int) -> float:
    if birth_year in births:
        return float(births[birth_year])
    if births:
        return sum(births.values()) / len(births)
    return 1.0


def single_years(groups: Iterable[Group], births: Mapping[int, int], year: int) -> dict[int, float]:
    """Estimated residents per single year of age on 31 December of ``year`` (step 2)."""
    estimate: dict[int, float] = {}
    mean = sum(births.values()) / len(births) if births else 1.0
    for segment in disjoint_segments(groups):
        weights = {age: float(births.get(year - age, mean)) for age in segment.ages}
        total = sum(weights.values())
        for age, weight in weights.items():
            estimate[age] = segment.count * weight / total if total else 0.0
    return estimate


def young_family_factor(groups: Iterable[Group], births: Mapping[int, int], year: int) -> float:
    """Residents of the youngest segment per birth behind it, in the base ``year``.

    Below 1 where young families move away (or births are counted elsewhere), above 1 where
    they move in. New cohorts in a forecast are births times this factor, so a forecast
    continues the base year's level instead of jumping to the raw birth figures.
    """
    for segment in disjoint_segments(groups):
        if 0 in segment.ages:
            weight = sum(birth_weight(births, year - age) for age in segment.ages)
            return segment.count / weight if weight else 1.0
    return 1.0


def projected_births(births: Mapping[int, int], year: int) -> float:
    """Births of ``year``: the known figure, else the mean of the last three known years."""
    if year in births:
        return float(births[year])
    known = sorted(births)[-BIRTH_PROJECTION_YEARS:]
    if not known:
        return 0.0
    return sum(births[y] for y in known) / len(known)


def age_forward(
    estimate: Mapping[int, float],
    births: Mapping[int, int],
    base_year: int,
    year: int,
    factor: float = 1.0,
) -> dict[int, float]:
    """Single-year estimate for a later ``year``, ageing ``base_year``'s cohorts (step 4).

    Cohorts born after ``base_year`` enter as births times ``factor``
    (see ``young_family_factor``).
    """
    shift = year - base_year
    if shift < 0:
        raise ValueError("a forecast cannot go back in time")
    aged: dict[int, float] = {}
    for age, count in estimate.items():
        if age + shift < MAX_AGE:
            aged[age + shift] = count
    for age in range(min(shift, MAX_AGE)):
        aged[age] = projected_births(births, year - age) * factor
    return aged


def band_counts(estimate: Mapping[int, float]) -> dict[str, float]:
    """Children per planning band (step 3); ages missing from the estimate count as 0."""
    return {
        band: sum(estimate.get(age, 0.0) for age in range(start, end))
        for band, (start, end) in BANDS.items()
    }


def base_estimate(
    groups_by_year: Mapping[int, list[Group]], births: Mapping[int, int], year: int
) -> tuple[dict[int, float], int, float] | None:
    """The single-year estimate a figure for ``year`` rests on: that of the latest published
    year up to ``year`` (the base), the base year and its young-family factor. None without
    data. The same for every later year, so a forecast computes it once per district."""
    earlier = [y for y in groups_by_year if y <= year and groups_by_year[y]]
    if not earlier:
        return None
    base = max(earlier)
    groups = groups_by_year[base]
    return single_years(groups, births, base), base, young_family_factor(groups, births, base)


def children_by_band(
    groups_by_year: Mapping[int, list[Group]],
    births: Mapping[int, int],
    year: int,
    base: tuple[dict[int, float], int, float] | None = None,
) -> tuple[dict[str, float], int | None]:
    """Children per band in ``year`` and the data year they rest on (None: no data).

    Uses the year's own population groups when published, else ages the latest earlier year
    forward. Years before the first published year have no figure. ``base``: the result of
    ``base_estimate`` for ``year`` when the caller has it already.
    """
    base = base or base_estimate(groups_by_year, births, year)
    if base is None:
        return {band: 0.0 for band in BANDS}, None
    estimate, base_year, factor = base
    if base_year != year:
        estimate = age_forward(estimate, births, base_year, year, factor)
    return band_counts(estimate), base_year
