"""Planning API: the dashboard's figures as JSON, for planners and administrators of a Jugendamt.

Same filters, same report and the same protection as the pages: a hidden count (small, or one
from which a small count could be worked out) is the mark "•" (``lotse.core.disclosure``).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from lotse.core.disclosure import Figure as Count
from lotse.core.forms import MAX_INTEGER

from .forms import PlanningFilterForm
from .report import Row, build_report, year_choices
from .selectors import planning_municipalities

router = Router(tags=["planning"])

Figure = int | float | str | None


class FigureQuery(Schema):
    municipality: str | None = None
    year: int | None = Field(None, ge=1900, le=2200)
    band: str | None = None
    district: int | None = Field(None, ge=1, le=MAX_INTEGER)
    demand_u3: int | None = Field(None, ge=0, le=100)
    demand_ue3: int | None = Field(None, ge=0, le=100)
    demand_school: int | None = Field(None, ge=0, le=100)


class RowOut(Schema):
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
    wait_days: Figure
    mixed_seats: int = Field(
        description="Places in mixed groups (1 to 6 years) serving these bands (not in seats)"
    )
    mixed_under3: int = Field(
        description="Children under 3 those places hold at most (each counts mixed_weight)"
    )


class ForecastOut(Schema):
    key: str
    name: str
    seats: int
    children: list[Figure]
    demand: list[Figure]
    balance: list[int | None]


class FiguresOut(Schema):
    municipality: str
    year: int
    band: str
    base_year: int | None
    is_estimate: bool
    districts: list[RowOut]
    total: RowOut
    by_band: list[RowOut]
    forecast_years: list[int]
    forecast: list[ForecastOut]
    mixed_weight: int = Field(description="Places a child under 3 counts in a mixed group")


def _shown(value: object) -> object:
    return value.export if isinstance(value, Count) else value


def _row(row: Row) -> dict:
    return {name: _shown(getattr(row, name)) for name in RowOut.model_fields}


@router.get(
    "/figures",
    response=FiguresOut,
    auth=django_auth,
    summary="Seats, children, applications and unmet legal claims per district (hidden: •)",
)
def figures(request: HttpRequest, params: Query[FigureQuery]) -> dict:
    municipalities = planning_municipalities(request.user)  # type: ignore[arg-type]
    if not municipalities:
        raise HttpError(
            403, "Only planners and administrators of a Jugendamt see planning figures."
        )
    if params.municipality and params.municipality not in municipalities:
        raise HttpError(404, "Not found")
    data = {k: v for k, v in params.dict().items() if v is not None}
    form = PlanningFilterForm(data, municipalities=municipalities, years_for=year_choices)
    if not form.is_valid():
        raise HttpError(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    report = build_report(form.to_filters(form.default_year))
    return {
        "municipality": report.filters.municipality,
        "year": report.filters.year,
        "band": report.filters.band,
        "base_year": report.base_year,
        "is_estimate": report.is_estimate,
        "districts": [_row(r) for r in report.district_rows],
        "total": _row(report.total),
        "by_band": [_row(r) for r in report.by_band],
        "forecast_years": report.forecast_years,
        "mixed_weight": report.mixed_weight,
        "forecast": [
            {
                "key": f.key,
                "name": f.name,
                "seats": f.seats,
                "children": [_shown(y[0]) for y in f.years],
                "demand": [_shown(y[1]) for y in f.years],
                "balance": [y[2] for y in f.years],
            }
            for f in report.forecast
        ],
    }
