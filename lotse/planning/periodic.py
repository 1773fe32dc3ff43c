"""Periodic jobs of the planning app (run by the scheduler, see ``lotse/core/scheduler.py``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lotse.core.scheduler import Job

from . import selectors, services


def refresh_outdated_figures() -> str:
    """Recompute every stored or needed year whose figures no longer match the data (a change
    the background refresh missed, or a new month in which claims fall due), so a planner
    never waits for the costly queries and never sees figures marked outdated for long."""
    today = timezone.localdate()
    refreshed = 0
    for municipality in selectors.planned_municipalities():
        version = selectors.data_version(municipality, today)
        years = set(selectors.demand_years(municipality)) | set(
            selectors.snapshot_years(municipality)
        )
        stale = []
        for year in sorted(years):
            snapshot = selectors.figure_snapshot(municipality, year)
            if snapshot is None or snapshot.data_version != version:
                stale.append(year)
        if stale:
            services.figures_refresh(municipality=municipality, years=stale, today=today)
            refreshed += len(stale)
    removed = services.rendered_dashboards_prune()
    return f"{refreshed} year(s) of planning figures refreshed, {removed} stored view(s) removed"


JOBS = [
    Job(
        name="planning.refresh_figures",
        run=refresh_outdated_figures,
        every=dt.timedelta(minutes=10),
        lease=dt.timedelta(minutes=30),
        description="Recompute planning figures that no longer match the data.",
    ),
]
