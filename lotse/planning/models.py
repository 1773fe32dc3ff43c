"""Population statistics the Jugendamt plans with: residents per district, year and age group,
and births per district and year. Aggregates from official statistics, no personal data.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lotse.directory.models import District


class PopulationCount(models.Model):
    """Residents of one district in one year whose age lies in ``[age_from, age_to)`` years.

    Sources publish coarse and overlapping groups (e.g. "under 18" and "0 to under 7" side by
    side); ``lotse.planning.population`` turns them into single-year estimates.
    """

    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.CASCADE,
        related_name="population_counts",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), help_text=_("Residents on 31 December of this year.")
    )
    age_from = models.PositiveSmallIntegerField(_("from age (years)"))
    age_to = models.PositiveSmallIntegerField(_("to age (years, exclusive)"))
    count = models.PositiveIntegerField(_("residents"))
    source = models.CharField(_("import source"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("population count")
        verbose_name_plural = _("population counts")
        ordering = ["district__name", "year", "age_from", "age_to"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "age_from", "age_to"],
                name="population_unique_group",
            ),
            models.CheckConstraint(
                condition=Q(age_from__lt=F("age_to")), name="population_age_range_ordered"
            ),
            models.CheckConstraint(condition=Q(count__gte=0), name="population_count_not_negative"),
        ]
        indexes = [models.Index(fields=["year"])]

    def __str__(self) -> str:
        return f"{self.district} {self.year} {self.age_from}–{self.age_to}: {self.count}"


class BirthCount(models.Model):
    """Live births to residents of one district in one calendar year."""

    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.CASCADE, related_name="births"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    count = models.PositiveIntegerField(_("births"))
    source = models.CharField(_("import source"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("births")
        verbose_name_plural = _("births")
        ordering = ["district__name", "year"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="births_unique_year"),
            models.CheckConstraint(condition=Q(count__gte=0), name="births_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.district} {self.year}: {self.count}"


class FigureSnapshot(models.Model):
    """The costly planning figures of one municipality and year, computed once per change.

    Aggregates of applications and offers per home district and age band (children applying,
    legal claims without an offer, waiting times) and placements per pair of districts and
    seat type: counts only, unsuppressed (suppression happens in ``report.build_report``).
    ``data_version`` fingerprints the data they were computed from; a page that finds a
    different fingerprint shows these figures marked as older and asks for a recompute
    (``services.figures_refresh_later``). Derived data: not audited, rebuilt at any time.
    """

    municipality = models.CharField(_("municipality"), max_length=120)
    year = models.PositiveSmallIntegerField(_("year"))
    data_version = models.CharField(_("data version"), max_length=64)
    computed_at = models.DateTimeField(_("computed at"))
    #: [[home district id or null, band, applicants, unmet claims, waited, mean wait days], …]
    demand = models.JSONField(_("demand figures"), default=list)
    #: [[home district id or null, facility district id, seat type, placements], …]
    placements = models.JSONField(_("placements"), default=list)

    class Meta:
        verbose_name = _("planning figures")
        verbose_name_plural = _("planning figures")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year"], name="planning_snapshot_unique_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.year} ({self.computed_at:%Y-%m-%d %H:%M})"


class DistrictMap(models.Model):
    """The municipality's districts projected and simplified for the SVG map, stored so that a
    page never reads the (large) boundaries again until they change (``fingerprint``)."""

    municipality = models.CharField(_("municipality"), max_length=120, unique=True)
    fingerprint = models.CharField(_("fingerprint of the boundaries"), max_length=64)
    height = models.PositiveIntegerField(_("height"))
    #: {district id: [SVG path, label x, label y]}
    shapes = models.JSONField(_("shapes"), default=dict)

    class Meta:
        verbose_name = _("district map")
        verbose_name_plural = _("district maps")

    def __str__(self) -> str:
        return self.municipality


# Only aggregates of official statistics, but an import changes planning figures: keep a trail.
auditlog.register(PopulationCount)
auditlog.register(BirthCount)


class ProtectedFigures(models.Model):
    """A protected table of planning figures (``protection.py``), stored once per input.

    Secondary suppression takes seconds for a city (a linear programme per hidden cell), so it
    runs when the figures change — in the background refresh — and every page, in every web
    process, reads the result; the shared cache holds it in front of this table. ``key``
    fingerprints the kind of table and every count it was computed from: a change of the data
    gives a new key, never a stale result. ``scope`` (municipality, kind, year) lets older
    results of the same table be removed. Derived counts of no person: not audited.
    """

    scope = models.CharField(_("scope"), max_length=200, db_index=True)
    key = models.CharField(_("key"), max_length=40, unique=True)
    #: {"tables": {name: [[cell key, value, hidden], …]}, "pairs": bool}
    figures = models.JSONField(_("figures"))
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("protected planning figures")
        verbose_name_plural = _("protected planning figures")

    def __str__(self) -> str:
        return f"{self.scope} ({self.computed_at:%Y-%m-%d %H:%M})"


class RenderedDashboard(models.Model):
    """The dashboard's figures as HTML, rendered once per change of what they show.

    Rendering 96 districts' tables, map and charts costs more than reading every figure, so
    the background refresh that stores the figures also renders the dashboard's usual views
    (each refreshed year, the opening view; German and English), and a page stores any other
    view it had to render. ``key`` fingerprints everything the HTML rests on (municipality,
    language, filters and address, the stored figures, districts, population, seats, the code);
    any change gives a new key, never stale HTML. Derived from aggregates: not audited.
    """

    municipality = models.CharField(_("municipality"), max_length=120, db_index=True)
    key = models.CharField(_("key"), max_length=40, unique=True)
    language = models.CharField(_("language"), max_length=10)
    #: the key figures (the top of the page)
    head = models.TextField(_("HTML of the key figures"))
    #: map, tables, charts, forecast, commuting and method (below the export links)
    body = models.TextField(_("HTML of the figures"))
    rendered_at = models.DateTimeField(_("rendered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rendered planning dashboard")
        verbose_name_plural = _("rendered planning dashboards")

    def __str__(self) -> str:
        return f"{self.municipality} {self.language} ({self.rendered_at:%Y-%m-%d %H:%M})"
