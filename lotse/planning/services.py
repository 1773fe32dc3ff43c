"""Writes for planning: importing population and births tables; the figure snapshots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from auditlog.context import set_actor
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from lotse.accounts.models import User
from lotse.directory.importer import ImportReport

from . import pages, report, selectors
from .importer import load_mapping, mapping_path, run_import
from .models import FigureSnapshot, RenderedDashboard

#: A page that finds outdated figures asks for one recompute per data version in this time.
REFRESH_DEDUP_SECONDS = 120


def population_import(*, actor: User | None, path: Path | str, mapping: str) -> ImportReport:
    """Import a population or births table with a mapping (a path or a shipped mapping's name).

    Each source row is its own transaction (the directory importer's rule): a bad row is
    reported with its line and loses nothing else. Changes are audited with ``actor``.
    Raises ``MappingError`` when the mapping itself is unusable; nothing is imported then.
    """
    loaded = load_mapping(mapping_path(mapping))
    with set_actor(actor):
        return run_import(path, loaded)


def figures_refresh(
    *, municipality: str, years: Iterable[int] | None = None, today: dt.date | None = None
) -> list[FigureSnapshot]:
    """Recompute the snapshot of applications, claims, waiting times and placements.

    The one place where the costly ``GROUP BY`` queries over all applications and offers run
    (~0.3 s per year for a city of 60,000 applications on PostgreSQL); pages read the stored
    result. Called by the background task after a change (``figures_refresh_later``), by the
    periodic job, and by the first page ever shown for a year. ``years``: default every year
    with applications plus every year already stored. The data version is read before the
    figures, so a change made meanwhile leaves the snapshot marked outdated, never wrongly
    current. Then the year's tables are protected and stored (``report.protect_figures``):
    secondary suppression costs seconds for a city and is paid here, not by a page. Last, the
    dashboard's usual views are rendered and stored (``pages.prerender``), so the first visit
    after a change reads HTML instead of drawing 96 districts. Derived data of no person: no
    actor, no audit entry.
    """
    today = today or timezone.localdate()
    if years is None:
        years = set(selectors.demand_years(municipality)) | set(
            selectors.snapshot_years(municipality)
        )
    stored = []
    for year in sorted(set(years)):
        version = selectors.data_version(municipality, today)
        demand = selectors.demand_by_district(municipality, year, today=today)
        placements = selectors.placement_counts(municipality, year)
        values = {
            "data_version": version,
            "computed_at": timezone.now(),
            "demand": [
                [home, band, d["applicants"], d["unmet"], d["waited"], d["wait_days"]]
                for (home, band), d in sorted(demand.items(), key=_key)
            ],
            "placements": [
                [home, place, seat_type, n]
                for (home, place, seat_type), n in sorted(placements.items(), key=_key)
            ],
        }
        stored.append(_store(municipality, year, values))
        report.protect_figures(municipality, year, today=today)
    # The HTML of the old figures can never be asked for again (its key named them).
    RenderedDashboard.objects.filter(municipality=municipality).delete()
    pages.prerender(municipality, [snapshot.year for snapshot in stored], today=today)
    return stored


def _key(item: tuple) -> tuple:
    # Sort keys with None (families without a home district) first, deterministically.
    return tuple((part is not None, part) for part in item[0])


def _store(municipality: str, year: int, values: dict) -> FigureSnapshot:
    try:
        with transaction.atomic(durable=True):
            snapshot, _ = FigureSnapshot.objects.update_or_create(
                municipality=municipality, year=year, defaults=values
            )
    except IntegrityError:  # another process stored the same year at the same moment
        snapshot = FigureSnapshot.objects.get(municipality=municipality, year=year)
    return snapshot


def rendered_dashboard_store(
    municipality: str, key: str, language: str, html: dict[str, str]
) -> None:
    """Store a dashboard view's HTML (``pages``); a view stored meanwhile by another process
    under the same key is the same HTML."""
    RenderedDashboard.objects.get_or_create(
        key=key, defaults={"municipality": municipality, "language": language, **html}
    )


#: A stored dashboard view is removed this long after it was rendered (views of seats or
#: population that changed since are never asked for again; a refresh removes all at once).
RENDERED_KEEP = dt.timedelta(days=7)


def rendered_dashboards_prune(now: dt.datetime | None = None) -> int:
    """Remove stored dashboard views rendered more than ``RENDERED_KEEP`` ago (the periodic
    job); the next visit of such a view draws and stores it again. Returns how many."""
    before = (now or timezone.now()) - RENDERED_KEEP
    removed, _ = RenderedDashboard.objects.filter(rendered_at__lt=before).delete()
    return removed


def figures_refresh_later(municipality: str, *, version: str | None = None) -> None:
    """Recompute the municipality's figures in the background once the transaction commits.

    Call it after changing what planning counts (a published round, an import, seats). With a
    ``version`` (a page found outdated figures) it asks once per data version, so many
    visits in a row queue one recompute.
    """
    from .tasks import refresh_figures_task  # tasks import this module

    if version and not cache.add(
        f"planning:refresh:{municipality}:{version}", True, REFRESH_DEDUP_SECONDS
    ):
        return
    transaction.on_commit(lambda: refresh_figures_task.enqueue(municipality=municipality))
