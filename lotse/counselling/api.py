"""Counselling API: only the anonymous funder statistics (case content never leaves the UI)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from lotse.core.forms import MAX_INTEGER

from .selectors import counselling_services_for_user
from .statistics import Period, funder_report

router = Router(tags=["counselling"])


class ReportQuery(Schema):
    service: int = Field(..., ge=1, le=MAX_INTEGER)
    year: int = Field(..., ge=2000, le=2100)
    quarter: int | None = Field(None, ge=1, le=4)


class CellOut(Schema):
    label: str
    value: str


class TableOut(Schema):
    key: str
    title: str
    rows: list[CellOut]
    total: CellOut | None


class ReportOut(Schema):
    service: str
    start: str
    end: str
    headline: list[CellOut]
    tables: list[TableOut]


@router.get(
    "/statistics",
    response=ReportOut,
    auth=django_auth,
    summary="Funder statistics of a counselling service (hidden counts shown as •)",
)
def statistics(request: HttpRequest, params: Query[ReportQuery]) -> dict:
    if not 2000 <= params.year <= 2100 or params.quarter not in (None, 1, 2, 3, 4):
        raise HttpError(422, "year must be 2000–2100 and quarter 1–4 or empty")
    service = counselling_services_for_user(request.user).filter(pk=params.service).first()
    if service is None:
        raise HttpError(404, "Not found")
    report = funder_report(organisation=service, period=Period(params.year, params.quarter))

    def cell(c: object) -> dict:
        return {"label": c.label, "value": c.display}  # type: ignore[attr-defined]

    return {
        "service": service.name,
        "start": report.period.start.isoformat(),
        "end": report.period.end.isoformat(),
        "headline": [cell(c) for c in report.headline],
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "rows": [cell(c) for c in t.rows],
                "total": cell(t.total) if t.total else None,
            }
            for t in report.tables
        ],
    }
