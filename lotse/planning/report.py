"""The planning report: every figure per district and age band, protected, ready to show.

``build_report`` is the one place where raw counts become figures that leave the app. Every
count of children is a :class:`lotse.core.disclosure.Figure` from the tables of
``protection.py`` (small counts hidden, and secondary suppression so that no hidden count can be
worked out from the totals), before any page, export or API sees it. Figures computed from
counts (demand, balance, coverage, shares) are ``None`` when a count they rest on is hidden;
means resting on fewer than 3 children are ``None`` too (shown as "–", never as a count).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lotse.core.disclosure import MIN_COUNT, Figure, ProtectedTable
from lotse.directory.models import DEFAULT_MIXED_WEIGHT, District

from . import protection, selectors
from .population import BANDS, base_estimate, children_by_band

ALL = "all"
FORECAST_YEARS = 3
#: Default share of children whose parents want a place, per band (percent). Planners change
#: it on the page; the defaults are close to the parents' wishes measured nationally (DJI).
DEFAULT_DEMAND = {"u3": 50, "ue3": 95, "school": 60}

BAND_LABELS = {
    "u3": _("Under 3"),
    "ue3": _("3 to school entry"),
    "school": _("School children (6 to 14)"),
    ALL: _("All age bands"),
}


def ratio(numerator: float, children: float) -> float | None:
    """Per 100 children, one decimal; none when it would rest on fewer than 3 children."""
    if round(children) < MIN_COUNT:
        return None
    return round(100 * numerator / children, 1)


@dataclass(frozen=True)
class Filters:
    municipality: str
    year: int
    band: str = ALL
    district: District | None = None
    demand: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DEMAND))

    @property
    def bands(self) -> list[str]:
        return list(BANDS) if self.band == ALL else [self.band]

    @property
    def band_label(self) -> str:
        return str(BAND_LABELS[self.band])


@dataclass
class Raw:
    """Unsuppressed sums for one district (or the municipality) and a set of bands."""

    seats: int = 0
    children: float = 0.0
    demand: float = 0.0
    applicants: int = 0
    placements: int = 0
    unmet: int = 0
    waited: int = 0
    wait_total: float = 0.0

    def add(self, other: Raw) -> None:
        # Spelt out: a loop over the fields with getattr/setattr was a tenth of a report's time.
        self.seats += other.seats
        self.children += other.children
        self.demand += other.demand
        self.applicants += other.applicants
        self.placements += other.placements
        self.unmet += other.unmet
        self.waited += other.waited
        self.wait_total += other.wait_total


@dataclass(frozen=True)
class Row:
    """One line of figures as shown (already protected)."""

    key: str
    name: str
    seats: int
    children: Figure
    coverage: float | None
    demand: Figure
    balance: int | None
    applicants: Figure
    placements: Figure
    unmet: Figure
    wait_days: float | None
    #: Seats per 100 children wanting a place (the map's colour); None without enough children.
    demand_covered: float | None = None
    district_id: int | None = None
    is_total: bool = False
    #: Places in mixed groups (1 to 6 years) serving these bands (not in ``seats``): they hold
    #: as many children from 3, or ``mixed_under3`` children under 3 (the municipality's weight).
    mixed_seats: int = 0
    mixed_under3: int = 0

    @classmethod
    def build(
        cls,
        key: str,
        name: str,
        raw: Raw,
        *,
        children: Figure,
        demand_hidden: bool,
        applicants: Figure,
        placements: Figure,
        unmet: Figure,
        **extra: object,
    ) -> Row:
        enough_children = not children.hidden and children.value >= MIN_COUNT
        shown_demand = enough_children and not demand_hidden
        # A mean of days resting on fewer than 3 children is not shown at all ("–"): a count
        # mark in a column of days would read as "under three days".
        wait = round(raw.wait_total / raw.waited, 1) if raw.waited >= MIN_COUNT else None
        return cls(
            key=key,
            name=name,
            seats=raw.seats,
            children=children,
            coverage=ratio(raw.seats, raw.children) if enough_children else None,
            demand=Figure(round(raw.demand), children.hidden or demand_hidden),
            balance=round(raw.seats - raw.demand) if shown_demand else None,
            applicants=applicants,
            placements=placements,
            unmet=unmet,
            wait_days=wait,
            demand_covered=round(100 * raw.seats / raw.demand, 1)
            if shown_demand and raw.demand > 0
            else None,
            **extra,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class ForecastRow:
    key: str
    name: str
    seats: int
    #: per forecast year: (children, demand, balance = seats − demand)
    years: list[tuple[Figure, Figure, int | None]]
    is_total: bool = False


@dataclass(frozen=True)
class Flow:
    home: str
    place: str
    children: Figure
    same_district: bool


@dataclass(frozen=True)
class CommuteRow:
    """Placements of families from one home district: in their own district or elsewhere."""

    key: str
    name: str
    placed: Figure
    own: Figure
    elsewhere: Figure
    share_elsewhere: float | None
    #: the (up to three) other districts where most of them got a place
    destinations: list[tuple[str, Figure]]


@dataclass
class Report:
    filters: Filters
    districts: list[District]
    rows: list[Row]
    total: Row
    by_band: list[Row]
    #: per band key (and ``ALL``): the district rows and the municipality's total row
    tables: dict[str, tuple[list[Row], Row]]
    forecast_years: list[int]
    forecast: list[ForecastRow]
    commuting: list[CommuteRow]
    base_year: int | None
    is_estimate: bool
    facilities: int
    generated_at: dt.datetime
    #: when applications, offers and placements were last counted (the snapshot)
    figures_as_of: dt.datetime | None = None
    figures_outdated: bool = False
    #: the stored figures' data version (``FigureSnapshot.data_version``)
    figures_version: str = ""
    placement_counts: dict = field(default_factory=dict, repr=False)
    placements: protection.Placements | None = field(default=None, repr=False)
    #: places a child under 3 counts in a mixed group (the municipality's allocation rule)
    mixed_weight: int = DEFAULT_MIXED_WEIGHT

    @cached_property
    def flows(self) -> list[Flow]:
        """Placements per pair of districts (built when asked for: a big city has thousands).
        Empty when the pairs are not published (``protection.MAX_PAIRS``)."""
        if self.placements is None:
            return []
        return _flows(self.filters, self.districts, self.placement_counts, self.placements)

    @property
    def district_flows(self) -> list[Flow]:
        """Flows from or to the chosen district (all flows without a district filter)."""
        if self.filters.district is None:
            return self.flows
        name = self.filters.district.name
        return [f for f in self.flows if name in (f.home, f.place)]

    @property
    def summary(self) -> Row:
        """The chosen district's row, or the whole municipality's."""
        rows = self.district_rows
        return rows[0] if self.filters.district is not None and rows else self.total

    @property
    def district_rows(self) -> list[Row]:
        """The rows for the chosen district, or all districts (the map always shows all)."""
        if self.filters.district is None:
            return self.rows
        return [r for r in self.rows if r.district_id == self.filters.district.pk]


def _raw_for(
    district_id: int | None,
    bands: list[str],
    children: dict[int, dict[str, float]],
    seats: dict[int, dict[str, int]],
    demand_rows: dict[tuple[int | None, str], dict],
    placed: dict[tuple[int, str], int],
    ratios: dict[str, int],
) -> Raw:
    raw = Raw()
    for band in bands:
        kids = children.get(district_id, {}).get(band, 0.0) if district_id else 0.0
        d = demand_rows.get((district_id, band), {})
        raw.add(
            Raw(
                seats=seats.get(district_id, {}).get(band, 0) if district_id else 0,
                children=kids,
                demand=kids * ratios.get(band, 0) / 100,
                applicants=d.get("applicants", 0),
                placements=placed.get((district_id, band), 0) if district_id else 0,
                unmet=d.get("unmet", 0),
                waited=d.get("waited", 0),
                wait_total=(d.get("wait_days") or 0.0) * d.get("waited", 0),
            )
        )
    return raw


@dataclass(frozen=True)
class Population:
    """The municipality's population tables and births, read once per report."""

    groups: dict[int, dict[int, list]]
    births: dict[int, dict[int, int]]
    #: (district id, latest published year up to the year asked) → ``base_estimate``
    _bases: dict[tuple[int, int], Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, municipality: str) -> Population:
        return cls(selectors.population_groups(municipality), selectors.births(municipality))

    def children(
        self, district_ids: list[int], year: int
    ) -> tuple[dict[int, dict[str, float]], int | None]:
        """Children per district and band in ``year``, and the latest data year used."""
        result: dict[int, dict[str, float]] = {}
        bases: set[int] = set()
        for district_id in district_ids:
            groups, births = self.groups.get(district_id, {}), self.births.get(district_id, {})
            published = [y for y in groups if y <= year and groups[y]]
            key = (district_id, max(published) if published else None)
            if key not in self._bases:
                self._bases[key] = base_estimate(groups, births, year)
            bands, base = children_by_band(groups, births, year, self._bases[key])
            result[district_id] = bands
            if base is not None:
                bases.add(base)
        return result, (max(bases) if bases else None)


@dataclass(frozen=True)
class Demand:
    """Applications, claims, waiting times and placements of one year, from the snapshot."""

    rows: dict[tuple[int | None, str], dict]
    placement_counts: dict[tuple[int | None, int, str], int]
    as_of: dt.datetime
    #: the data changed after ``as_of``; a recompute has been asked for
    outdated: bool
    #: the snapshot's ``data_version`` (what these figures were computed from)
    version: str = ""


def _demand(municipality: str, year: int, today: dt.date) -> Demand:
    """The year's demand figures from the snapshot table, never recomputed on a visit.

    The ``GROUP BY`` queries over all applications and offers run once per change of the
    data, in ``services.figures_refresh`` (a background task after a round, an import or a
    change of seats, and the periodic job). A page compares the snapshot's data version with
    the data (two small aggregates): outdated figures are shown marked as such and one
    recompute is queued. Only the very first page of a year computes them itself.
    """
    from . import services  # services import this module's selectors

    version = selectors.data_version(municipality, today)
    snapshot = selectors.figure_snapshot(municipality, year)
    if snapshot is None:
        snapshot = services.figures_refresh(municipality=municipality, years=[year], today=today)[0]
    elif snapshot.data_version != version:
        services.figures_refresh_later(municipality, version=version)
        # With an immediate task backend (tests, a single process) it is current now.
        snapshot = selectors.figure_snapshot(municipality, year) or snapshot
    rows = {
        (home, band): {"applicants": a, "unmet": u, "waited": w, "wait_days": d}
        for home, band, a, u, w, d in snapshot.demand
    }
    placements = {(home, place, seat): n for home, place, seat, n in snapshot.placements}
    return Demand(
        rows,
        placements,
        snapshot.computed_at,
        snapshot.data_version != version,
        snapshot.data_version,
    )


@dataclass(frozen=True)
class Protected:
    """The protected tables of one report (see ``protection.py``)."""

    children: ProtectedTable
    applicants: ProtectedTable
    placements: protection.Placements
    ratios: dict[str, int]

    def children_of(self, district: int | None, bands: list[str]) -> Figure:
        return self.children.get(**_where(district, bands))

    def demand_hidden(self, district: int | None, bands: list[str]) -> bool:
        """Demand adds children × share per band: hidden if a band it rests on is hidden."""
        return any(
            self.children.get(**_where(district, [band])).hidden
            for band in bands
            if self.ratios.get(band, 0)
        )

    def applicants_of(self, district: int | None, bands: list[str], **unmet: bool) -> Figure:
        return self.applicants.get(**_where(district, bands, key="district"), **unmet)

    def placements_of(self, district: int | None, bands: list[str]) -> Figure:
        band = bands[0] if len(bands) == 1 else None
        if district is None:
            return self.placements.total(band)
        return self.placements.by_place(district, band)


def _where(
    district: int | None | str, bands: list[str], key: str = "district"
) -> dict[str, object]:
    """Lookup of a cell: ``district`` "total" for the whole municipality; one band or all."""
    where: dict[str, object] = {} if district == TOTAL else {key: district}
    if len(bands) == 1:
        where["band"] = bands[0]
    return where


#: The key of the municipality's total in ``_where`` (``None`` is "district not known").
TOTAL = "total"

#: Age bands that places in mixed groups (1 to 6 years) serve.
MIXED_BANDS = ("u3", "ue3")


def _mixed(seats: dict[int, dict[str, int]], district_ids: list[int], bands: list[str]) -> int:
    """Places in mixed groups of these districts, for a table of bands they serve."""
    if not set(bands) & set(MIXED_BANDS):
        return 0
    return sum(seats.get(d, {}).get("mixed", 0) for d in district_ids)


@dataclass(frozen=True)
class Inputs:
    """What a report reads besides the stored figures of applications and offers: districts,
    population and births, seats, the mixed-group weight (a few small queries). Everything
    else a report shows is computed from these and the year's ``FigureSnapshot``."""

    municipality: str
    districts: list[District]
    population: Population
    seats: dict[int, dict[str, int]]
    weight: int
    facilities: int

    @classmethod
    def load(cls, municipality: str) -> Inputs:
        seats, facilities = selectors.seats_and_facilities(municipality)
        return cls(
            municipality=municipality,
            districts=selectors.districts(municipality),
            population=Population.load(municipality),
            seats=seats,
            weight=mixed_weight(municipality),
            facilities=facilities,
        )

    def fingerprint(self) -> str:
        """Changes whenever any of the inputs changes (order-independent where the database
        gives no order): with the snapshot's version it identifies a report's figures."""
        groups = self.population.groups
        parts = (
            self.municipality,
            [(d.pk, d.name, getattr(d, "boundary_size", None)) for d in self.districts],
            sorted(
                (district, year, sorted((g.age_from, g.age_to, g.count) for g in found))
                for district, years in groups.items()
                for year, found in years.items()
            ),
            sorted(
                (district, sorted(years.items()))
                for district, years in self.population.births.items()
            ),
            sorted((district, sorted(bands.items())) for district, bands in self.seats.items()),
            self.weight,
            self.facilities,
        )
        return hashlib.sha1(repr(parts).encode()).hexdigest()


def build_report(
    filters: Filters, *, today: dt.date | None = None, inputs: Inputs | None = None
) -> Report:
    """All figures for the filters; the whole municipality is always computed (map, totals).
    ``inputs``: already read for these filters' municipality (see ``Inputs``)."""
    municipality, year = filters.municipality, filters.year
    inputs = inputs or Inputs.load(municipality)
    all_districts = inputs.districts
    ids = [d.pk for d in all_districts]
    population = inputs.population
    children, base_year = population.children(ids, year)
    seats = inputs.seats
    demand = _demand(municipality, year, today or timezone.localdate())
    placement_counts = demand.placement_counts
    placed = selectors.placements_by_district(placement_counts)
    args = (children, seats, demand.rows, placed, filters.demand)
    homes: list[int | None] = [*ids, None]
    scope = f"{municipality}:{year}"
    protected = Protected(
        children=protection.children_table(ids, children, scope=scope),
        applicants=protection.applicants_table(homes, demand.rows, scope=scope),
        placements=protection.placements_table(ids, placement_counts, scope=scope),
        ratios=filters.demand,
    )

    weight = inputs.weight
    tables = {
        band: _table(filters, all_districts, band, args, protected, weight)
        for band in [*BANDS, ALL]
    }
    rows, total_row = tables[filters.band]
    forecast_years = [year + i for i in range(1, FORECAST_YEARS + 1)]
    return Report(
        filters=filters,
        districts=all_districts,
        rows=rows,
        total=total_row,
        by_band=[tables[band][1] for band in [*BANDS, ALL]],
        tables=tables,
        forecast_years=forecast_years,
        forecast=_forecast(filters, all_districts, seats, forecast_years, population),
        commuting=_commute_rows(filters, all_districts, placement_counts, protected.placements),
        placement_counts=placement_counts,
        placements=protected.placements,
        base_year=base_year,
        is_estimate=base_year is not None and base_year != year,
        facilities=inputs.facilities,
        generated_at=timezone.localtime(),
        figures_as_of=timezone.localtime(demand.as_of),
        figures_outdated=demand.outdated,
        figures_version=demand.version,
        mixed_weight=weight,
    )


def protect_figures(municipality: str, year: int, *, today: dt.date | None = None) -> None:
    """Protect and store every table a report of this year shows (all filters read the same
    tables), so the first visit after a change does not wait for the secondary suppression.
    Called by ``services.figures_refresh`` right after it stored the year's figures."""
    build_report(Filters(municipality=municipality, year=year), today=today)


def mixed_weight(municipality: str) -> int:
    """Places a child under 3 counts in a mixed group: the active allocation rules'."""
    from lotse.allocation.selectors import active_rules_for_municipality

    rules = active_rules_for_municipality(municipality)
    return rules.mixed_under3_weight if rules is not None else DEFAULT_MIXED_WEIGHT


def _row(
    key: str,
    name: str,
    raw: Raw,
    district: int | None | str,
    bands: list[str],
    protected: Protected,
    **extra: object,
) -> Row:
    return Row.build(
        key,
        name,
        raw,
        children=protected.children_of(district, bands) if district is not None else Figure(0),
        demand_hidden=district is not None and protected.demand_hidden(district, bands),
        applicants=protected.applicants_of(district, bands),
        placements=protected.placements_of(None if district == TOTAL else district, bands)
        if district is not None
        else Figure(0),
        unmet=protected.applicants_of(district, bands, unmet=True),
        **extra,
    )


def _table(
    filters: Filters,
    all_districts: list[District],
    band: str,
    args: tuple,
    protected: Protected,
    weight: int,
) -> tuple[list[Row], Row]:
    bands = list(BANDS) if band == ALL else [band]
    seats = args[1]

    def mixed(district_ids: list[int]) -> dict[str, int]:
        places = _mixed(seats, district_ids, bands)
        return {"mixed_seats": places, "mixed_under3": places // weight}

    rows, total = [], Raw()
    for district in all_districts:
        raw = _raw_for(district.pk, bands, *args)
        total.add(raw)
        rows.append(
            _row(
                str(district.pk),
                district.name,
                raw,
                district.pk,
                bands,
                protected,
                district_id=district.pk,
                **mixed([district.pk]),
            )
        )
    unknown = _raw_for(None, bands, *args)
    if unknown.applicants or unknown.unmet or unknown.waited:
        # Families who gave no home district still count for the municipality.
        total.add(unknown)
        rows.append(_row("unknown", str(_("District not known")), unknown, None, bands, protected))
    total_row = _row(
        band,
        str(BAND_LABELS[band]),
        total,
        TOTAL,
        bands,
        protected,
        is_total=True,
        **mixed([d.pk for d in all_districts]),
    )
    return rows, total_row


def _forecast(
    filters: Filters,
    all_districts: list[District],
    seats: dict[int, dict[str, int]],
    years: list[int],
    population: Population,
) -> list[ForecastRow]:
    ids = [d.pk for d in all_districts]
    per_year = {y: population.children(ids, y)[0] for y in years}
    # Each year's children by district and band is one protected table (all totals).
    tables = {
        y: protection.children_table(ids, per_year[y], scope=f"{filters.municipality}:{y}")
        for y in years
    }
    bands = filters.bands
    ratios = filters.demand

    def cell(
        year: int, district: int | str, district_seats: int
    ) -> tuple[Figure, Figure, int | None]:
        where = _where(district, bands)
        kids = tables[year].get(**where)
        hidden = kids.hidden or any(
            tables[year].get(**_where(district, [b])).hidden for b in bands if ratios.get(b, 0)
        )
        chosen = ids if district == TOTAL else [district]
        need = sum(
            per_year[year][d].get(b, 0.0) * ratios.get(b, 0) / 100 for d in chosen for b in bands
        )
        enough = not hidden and kids.value >= MIN_COUNT
        return kids, Figure(round(need), hidden), round(district_seats - need) if enough else None

    rows, total_seats = [], 0
    for district in all_districts:
        district_seats = sum(seats.get(district.pk, {}).get(b, 0) for b in bands)
        total_seats += district_seats
        cells = [cell(y, district.pk, district_seats) for y in years]
        rows.append(ForecastRow(str(district.pk), district.name, district_seats, cells))
    total_cells = [cell(y, TOTAL, total_seats) for y in years]
    rows.append(ForecastRow(ALL, filters.municipality, total_seats, total_cells, is_total=True))
    return rows


def _flows(
    filters: Filters,
    all_districts: list[District],
    placement_counts: dict,
    placements: protection.Placements,
) -> list[Flow]:
    if not placements.pairs:
        return []
    names = {d.pk: d.name for d in all_districts}
    unknown = str(_("District not known"))
    band = None if filters.band == ALL else filters.band
    flows = []
    for home, place in selectors.commuting(placement_counts, band):
        figure = placements.pair(home, place, band)
        assert figure is not None  # pairs are published
        flows.append(
            Flow(
                home=names.get(home, unknown) if home else unknown,
                place=names.get(place, "?"),
                children=figure,
                same_district=home == place,
            )
        )
    return sorted(flows, key=lambda f: (f.home, not f.same_district, f.place))


def _commute_rows(
    filters: Filters,
    all_districts: list[District],
    placement_counts: dict,
    placements: protection.Placements,
) -> list[CommuteRow]:
    names = {d.pk: d.name for d in all_districts}
    unknown = str(_("District not known"))
    band = None if filters.band == ALL else filters.band
    by_home: dict[int | None, dict[int, int]] = {}
    for (home, place), n in selectors.commuting(placement_counts, band).items():
        by_home.setdefault(home, {})[place] = n
    rows = []
    for district_id, name in [*((d.pk, d.name) for d in all_districts), (None, unknown)]:
        places = by_home.get(district_id)
        if not places:
            continue
        placed = placements.placed(district_id, band)
        elsewhere = placements.elsewhere(district_id, band)
        share = None
        if not placed.hidden and not elsewhere.hidden:
            share = ratio(elsewhere.value, placed.value)
        destinations = []
        if placements.pairs:
            shown = [
                (figure.value, names.get(p, "?"), figure)
                for p in places
                if p != district_id
                and (figure := placements.pair(district_id, p, band)) is not None
                and not figure.hidden
            ]
            shown.sort(key=lambda item: (-item[0], item[1]))
            destinations = [(place, figure) for _n, place, figure in shown[:3]]
        rows.append(
            CommuteRow(
                key=str(district_id or "unknown"),
                name=name,
                placed=placed,
                own=placements.own(district_id, band),
                elsewhere=elsewhere,
                share_elsewhere=share,
                destinations=destinations,
            )
        )
    return rows


def year_choices(municipality: str, today: dt.date | None = None) -> list[int]:
    """Years with population data or applications, and every year up to the current one."""
    today = today or timezone.localdate()
    years = set(selectors.population_years(municipality)) | set(
        selectors.demand_years(municipality)
    )
    years.add(today.year)
    first = min(years)
    return list(range(first, max(years) + 1))


def default_year(choices: list[int], today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return today.year if today.year in choices else choices[-1]


def opening_year(municipality: str, choices: list[int], today: dt.date | None = None) -> int:
    """The year the dashboard opens on: one that has data.

    The year with applications nearest to today (the later one on a tie: the coming round);
    without applications, the latest year with population figures; else this year.
    """
    today = today or timezone.localdate()
    applied = [y for y in selectors.application_years(municipality) if y in choices]
    if applied:
        return min(applied, key=lambda y: (abs(y - today.year), -y))
    counted = [y for y in selectors.population_years(municipality) if y in choices]
    if counted:
        return max(counted)
    return default_year(choices, today)
