"""No hidden count of the planning report can be worked out from what the report shows.

The test plays the reader: it takes every figure of every table of the report (districts, the
"not known" row, the totals per age band and for all bands, the commuting table and the pairs of
districts, under every age-band filter), sets up the unknown counts of children behind them, and
asks a linear programme for the least and greatest value each hidden figure could have, given
every visible figure and that a hidden count is at least 1 (zeros are shown). A hidden figure
whose value is pinned down (146 − 144 = 2) is a leak.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Hashable, Iterable

import pytest
from django.urls import reverse
from ortools.linear_solver import pywraplp

from lotse.core.disclosure import MARK, Figure
from lotse.planning.population import BANDS
from lotse.planning.report import ALL, Filters, Report, build_report
from lotse.planning.tests.conftest import TOWN

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 12, 1)
DEMAND = {"u3": 40, "ue3": 90, "school": 50}


def seen(value: object) -> int | None:
    """What the reader sees: the number, or None for a hidden count (any mark)."""
    if isinstance(value, Figure):
        return value.shown
    if isinstance(value, str):
        return None  # a mark such as "<3"
    return int(value)  # type: ignore[call-overload]


class Reader:
    """Every figure shown, as (the unknown inner counts it adds up, what is seen)."""

    def __init__(self) -> None:
        self.cells: list[tuple[str, frozenset[Hashable], int | None]] = []

    def saw(self, label: str, inner: Iterable[Hashable], value: object) -> None:
        self.cells.append((label, frozenset(inner), seen(value)))

    def pinned(self) -> list[str]:
        """Hidden figures that only one value fits."""
        solver = pywraplp.Solver.CreateSolver("GLOP")
        keys = sorted({k for _l, inner, _v in self.cells for k in inner}, key=repr)
        cap = 10 * (1 + sum(v or 0 for _l, _i, v in self.cells))
        x = {k: solver.NumVar(0, cap, repr(k)) for k in keys}
        for _label, inner, value in self.cells:
            total = sum(x[k] for k in inner)
            solver.Add(total >= 1 if value is None else total == value)
        leaks = []
        for label, inner, value in self.cells:
            if value is not None:
                continue
            extremes = []
            for maximise in (True, False):
                objective = solver.Objective()
                objective.Clear()
                for k in inner:
                    objective.SetCoefficient(x[k], 1)
                objective.SetOptimizationDirection(maximise)
                assert solver.Solve() == pywraplp.Solver.OPTIMAL
                extremes.append(objective.Value())
            if extremes[0] - extremes[1] < 1 - 1e-6:
                leaks.append(f"{label} = {extremes[0]:g}")
        return leaks

    @property
    def hidden(self) -> int:
        return sum(1 for _l, _i, v in self.cells if v is None)


def report(band: str) -> Report:
    filters = Filters(municipality=TOWN, year=2025, band=band, demand=DEMAND)
    return build_report(filters, today=TODAY)


def read_everything() -> tuple[Reader, Reader, Reader]:
    """The report under every age-band filter, read into three readers: the children of the
    population, the children applying (and without an offer), and the placements."""
    children, applying, placed = Reader(), Reader(), Reader()
    for band in [*BANDS, ALL]:
        rep = report(band)
        districts = [d.pk for d in rep.districts]
        homes = [*districts, None]
        names = {d.name: d.pk for d in rep.districts}
        for key in [*BANDS, ALL]:
            bands = list(BANDS) if key == ALL else [key]
            rows, total = rep.tables[key]
            for row in [*rows, total]:
                here = homes if row.is_total else [row.district_id]
                where = "total" if row.is_total else row.name
                label = f"{where}/{key}"
                applying.saw(
                    f"applying {label}",
                    [(h, b, u) for h in here for b in bands for u in (True, False)],
                    row.applicants,
                )
                applying.saw(
                    f"without offer {label}", [(h, b, True) for h in here for b in bands], row.unmet
                )
                if row.is_total or row.district_id is not None:
                    places = districts if row.is_total else [row.district_id]
                    places_inner = [(h, p, b) for h in homes for p in places for b in bands]
                    placed.saw(f"placements {label}", places_inner, row.placements)
                    children.saw(
                        f"children {label}", [(d, b) for d in places for b in bands], row.children
                    )
        bands = list(BANDS) if band == ALL else [band]
        for c in rep.commuting:
            h = None if c.key == "unknown" else int(c.key)
            placed.saw(
                f"placed from {c.name}/{band}",
                [(h, p, b) for p in districts for b in bands],
                c.placed,
            )
            placed.saw(f"own {c.name}/{band}", [(h, h, b) for b in bands], c.own)
            placed.saw(
                f"elsewhere {c.name}/{band}",
                [(h, p, b) for p in districts if p != h for b in bands],
                c.elsewhere,
            )
            for place, n in c.destinations:
                placed.saw(f"{c.name}→{place}/{band}", [(h, names[place], b) for b in bands], n)
        for flow in rep.flows:
            h, p = names.get(flow.home), names[flow.place]
            placed.saw(
                f"{flow.home}→{flow.place}/{band}", [(h, p, b) for b in bands], flow.children
            )
    return children, applying, placed


def test_no_hidden_count_can_be_worked_out(testhausen):
    children, applying, placed = read_everything()
    # Testhausen has small counts everywhere: there is something to protect.
    assert applying.hidden and placed.hidden
    assert children.pinned() == []
    assert applying.pinned() == []
    assert placed.pinned() == []


def test_hidden_counts_have_one_mark_zeros_are_zeros_days_are_never_counts(
    testhausen, client_for, planner
):
    rep = report(ALL)
    sued = next(r for r in rep.rows if r.name == "Süd")
    assert sued.unmet == Figure(0) and str(sued.unmet) == "0"  # nobody: a true zero
    response = client_for(planner).get(
        reverse("planning:export_csv"), {"municipality": TOWN, "year": 2025}
    )
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert "<3" not in text
    assert any(MARK in row for row in rows[1:])
    assert all(row[-1] != MARK for row in rows[1:])  # the column of days holds no count mark
    html = client_for(planner).get(reverse("planning:dashboard"), {"year": 2025}).content.decode()
    assert "&lt;3" not in html and "<3" not in html
    assert MARK in html
