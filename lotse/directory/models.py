"""The public directory: districts, childcare facilities, and services and people on the map."""

from __future__ import annotations

import math

from auditlog.registry import auditlog
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lotse.accounts.models import Organisation


class AgeBand(models.TextChoices):
    """Seat types by age, as the Länder count them."""

    UNDER_3 = "u3", _("Under 3")
    OVER_3 = "ue3", _("3 to school entry")
    SCHOOL = "school", _("School children")


class SeatType(models.TextChoices):
    """Kinds of seats a facility declares: one per age band, and places in mixed groups.

    A mixed group (altersgemischte Gruppe) takes children from their first birthday to school
    entry; a child under 3 counts more than one place there, by the municipality's rule
    (``AllocationRules.mixed_under3_weight``, commonly 2).
    """

    UNDER_3 = "u3", _("Under 3")
    OVER_3 = "ue3", _("3 to school entry")
    SCHOOL = "school", _("School children")
    MIXED = "mixed", _("Mixed group (1 to 6 years)")


#: Ages in months at the start that may take a place in a mixed group: from the first
#: birthday until school entry (the ``ue3`` band ends at 72 months).
MIXED_FROM_MONTHS, MIXED_UNTIL_MONTHS = 12, 72


#: Places an under-3 child may count in a mixed group, by municipal rule (2 is common).
MIN_MIXED_WEIGHT, MAX_MIXED_WEIGHT, DEFAULT_MIXED_WEIGHT = 1, 3, 2


def fits_mixed_group(months: int) -> bool:
    """A child of this age (months at the start) may take a place in a mixed group."""
    return MIXED_FROM_MONTHS <= months < MIXED_UNTIL_MONTHS


#: Columns derived from a facility's own fields in ``Facility.derive_search_fields``.
DERIVED_FIELDS = ("search_text", "geo_cell", "geo_x", "geo_y", "geo_z")
GEO_CELL_DEGREES = 0.05  # ≈ 5.6 km north–south, ≈ 3.3 km east–west at 54° N


#: Coordinates outside these ranges are not on Earth (e.g. latitude 200): forms refuse them.
LATITUDE_VALIDATORS = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
LONGITUDE_VALIDATORS = [MinValueValidator(-180.0), MaxValueValidator(180.0)]


def geo_cell(latitude: float, longitude: float) -> int:
    """Grid cell number of a point; a radius search reads only the cells around its centre."""
    row = math.floor((latitude + 90) / GEO_CELL_DEGREES)
    col = math.floor((longitude + 180) / GEO_CELL_DEGREES)
    return row * 10_000 + col


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    """The point on the unit sphere (x, y, z). The straight-line distance between two such
    points orders places exactly as the distance along the earth does, with plain arithmetic
    (SQLite) or a nearest-neighbour index (PostgreSQL's ``cube``)."""
    lat, lon = math.radians(latitude), math.radians(longitude)
    return math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)


class District(models.Model):
    municipality = models.CharField(_("municipality"), max_length=120)
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=40, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=LATITUDE_VALIDATORS
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=LONGITUDE_VALIDATORS
    )

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="district_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Concept(models.Model):
    """A pedagogical concept (Montessori, Waldorf, Wald- und Naturpädagogik, …)."""

    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("pedagogical concept")
        verbose_name_plural = _("pedagogical concepts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    class Kind(models.TextChoices):
        KRIPPE = "krippe", _("Krippe (under 3)")
        KINDERGARTEN = "kindergarten", _("Kindergarten (3 to school)")
        KITA = "kita", _("Kita (mixed ages)")
        HORT = "hort", _("Hort (school children)")
        ELTERNINITIATIVE = "elterninitiative", _("Parent initiative (Elterninitiative)")
        MITTAGSBETREUUNG = "mittagsbetreuung", _("Lunchtime care (Mittagsbetreuung)")
        TAGESPFLEGE = "tagespflege", _("Childminder (Kindertagespflege)")
        FAMILIENZENTRUM = "familienzentrum", _("Parent-child centre (Familienzentrum)")

    source = models.CharField(_("import source"), max_length=40, blank=True)
    external_id = models.CharField(_("ID in the source"), max_length=120, blank=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.KITA)
    operator_name = models.CharField(_("operator (Träger)"), max_length=200, blank=True)
    operator = models.ForeignKey(
        Organisation,
        verbose_name=_("operator organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="operated_facilities",
    )
    # The organisation whose staff maintain this facility's profile and seats.
    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("facility organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facility",
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilities",
    )
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=LATITUDE_VALIDATORS
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=LONGITUDE_VALIDATORS
    )
    age_from_months = models.PositiveSmallIntegerField(
        _("from age (months)"), null=True, blank=True
    )
    age_to_months = models.PositiveSmallIntegerField(_("to age (months)"), null=True, blank=True)
    opening_hours = models.JSONField(
        _("opening hours"),
        default=dict,
        blank=True,
        help_text=_('Per weekday, e.g. {"mon": ["07:30", "16:30"]}.'),
    )
    min_weekly_hours = models.PositiveSmallIntegerField(
        _("shortest care option (hours per week)"), null=True, blank=True
    )
    max_weekly_hours = models.PositiveSmallIntegerField(
        _("longest care option (hours per week)"), null=True, blank=True
    )
    languages = models.ManyToManyField(
        Language, verbose_name=_("languages"), blank=True, related_name="facilities"
    )
    concepts = models.ManyToManyField(
        Concept, verbose_name=_("pedagogical concepts"), blank=True, related_name="facilities"
    )
    inclusion = models.BooleanField(_("inclusion (integration places)"), default=False)
    barrier_free = models.BooleanField(_("barrier-free"), null=True, blank=True)
    meals = models.BooleanField(_("lunch offered"), null=True, blank=True)
    national_minority = models.CharField(
        _("national-minority binding"),
        max_length=60,
        blank=True,
        help_text=_("E.g. Danish minority facilities in Schleswig-Holstein."),
    )
    online_application = models.BooleanField(_("online application"), default=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    places_total = models.PositiveIntegerField(_("licensed places"), default=0)
    seats_under3 = models.PositiveIntegerField(_("places under 3"), default=0)
    seats_over3 = models.PositiveIntegerField(_("places 3 to school entry"), default=0)
    seats_school = models.PositiveIntegerField(_("places for school children"), default=0)
    seats_mixed = models.PositiveIntegerField(
        _("places in mixed groups (1 to 6 years)"),
        default=0,
        help_text=_(
            "Places in age-mixed groups from the first birthday to school entry; a child under "
            "3 counts more than one place there, by the municipality's rule."
        ),
    )
    free_places = models.PositiveIntegerField(
        _("free places reported"),
        default=0,
        help_text=_("Maintained by the facility or computed from its seats per start month."),
    )
    # Lower-cased name, operator, street, postcode and city: one column for the text search,
    # trigram-indexed on PostgreSQL. Derived from the row itself, so it is kept in save().
    search_text = models.TextField(editable=False, blank=True, default="")
    geo_cell = models.IntegerField(editable=False, null=True, db_index=True)
    # The location on the unit sphere (``unit_vector``), for distances; GiST-indexed on
    # PostgreSQL. Derived from latitude and longitude in save(), like ``geo_cell``.
    geo_x = models.FloatField(editable=False, null=True)
    geo_y = models.FloatField(editable=False, null=True)
    geo_z = models.FloatField(editable=False, null=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="facility_unique_source_id",
            ),
            models.CheckConstraint(
                condition=Q(age_from_months__isnull=True)
                | Q(age_to_months__isnull=True)
                | Q(age_from_months__lte=models.F("age_to_months")),
                name="facility_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="facility_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="facility_longitude_range",
            ),
        ]
        indexes = [
            models.Index(fields=["kind"]),
            models.Index(fields=["latitude", "longitude"]),
            models.Index(fields=["age_from_months", "age_to_months"]),
            models.Index(fields=["free_places"]),
            models.Index(fields=["name", "id"], name="facility_name_order"),
            models.Index(
                fields=["postcode", "latitude", "longitude"], name="facility_postcode_geo"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.derive_search_fields()
        if kwargs.get("update_fields") is not None:
            # A partial save (e.g. a profile edit of the address) keeps them in step too.
            kwargs["update_fields"] = {*kwargs["update_fields"], *DERIVED_FIELDS}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def derive_search_fields(self) -> None:
        """Fill the columns the search reads (also for ``bulk_create``, which skips save())."""
        self.search_text = self.build_search_text()
        if self.has_location:
            self.geo_cell = geo_cell(self.latitude, self.longitude)  # type: ignore[arg-type]
            self.geo_x, self.geo_y, self.geo_z = unit_vector(self.latitude, self.longitude)  # type: ignore[arg-type]
        else:
            self.geo_cell = self.geo_x = self.geo_y = self.geo_z = None

    def build_search_text(self) -> str:
        parts = [self.name, self.operator_name, self.street, self.postcode, self.city]
        return " ".join(p for p in parts if p).lower()

    @property
    def address(self) -> str:
        return ", ".join(p for p in [self.street, f"{self.postcode} {self.city}".strip()] if p)

    @property
    def age_label(self) -> str:
        """The ages the facility takes, as parents say them: "1–6 years", not "12 to 83
        months"; a start below the first birthday stays in months ("8 months to 3 years")."""
        return age_range_label(self.age_from_months, self.age_to_months)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def seats_for(self, seat_type: str) -> int:
        return {
            SeatType.UNDER_3: self.seats_under3,
            SeatType.OVER_3: self.seats_over3,
            SeatType.SCHOOL: self.seats_school,
            SeatType.MIXED: self.seats_mixed,
        }[SeatType(seat_type)]


class Service(models.Model):
    """A counselling service, Jugendamt office or person (e.g. a family manager) on the map."""

    class Kind(models.TextChoices):
        COUNSELLING = "counselling", _("Counselling service")
        JUGENDAMT = "jugendamt", _("Jugendamt")
        FAMILY_MANAGER = "family_manager", _("Family manager")
        FAMILY_CENTRE = "family_centre", _("Family centre")
        OTHER = "other", _("Other service")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    description = models.TextField(_("description"), blank=True)
    area_of_activity = models.CharField(_("area of activity"), max_length=200, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    district = models.ForeignKey(
        District, verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL
    )
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=LATITUDE_VALIDATORS
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=LONGITUDE_VALIDATORS
    )
    languages = models.ManyToManyField(Language, verbose_name=_("languages"), blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    is_public = models.BooleanField(_("shown on the public map"), default=True)
    opening_hours = models.JSONField(
        _("opening hours"),
        default=dict,
        blank=True,
        help_text=_('Per weekday, e.g. {"mon": ["09:00", "12:00"]}.'),
    )
    opening_note = models.CharField(
        _("note on opening hours"),
        max_length=200,
        blank=True,
        help_text=_("E.g. “open consultation without appointment on Tuesdays”."),
    )

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return ", ".join(p for p in [self.street, f"{self.postcode} {self.city}".strip()] if p)

    def opening_rows(self) -> list[tuple[str, str]]:
        """(weekday, "09:00–12:00") in week order, for the contact card."""
        hours = self.opening_hours or {}
        return [
            (str(label), f"{hours[key][0]}–{hours[key][1]}")
            for key, label in WEEKDAYS
            if isinstance(hours.get(key), list) and len(hours[key]) == 2
        ]


WEEKDAYS = [
    ("mon", _("Monday")),
    ("tue", _("Tuesday")),
    ("wed", _("Wednesday")),
    ("thu", _("Thursday")),
    ("fri", _("Friday")),
    ("sat", _("Saturday")),
    ("sun", _("Sunday")),
]


auditlog.register(Facility, m2m_fields={"languages", "concepts"})
auditlog.register(Service)


#: The days of an opening-hours table, in order (keys of ``Facility.opening_hours``).
WEEKDAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}


def age_range_label(from_months: int | None, to_months: int | None) -> str:
    """``12, 83`` → "1–6 years"; ``8, 47`` → "8 months to 3 years"; a full year counts once
    it is reached (83 months are 6 years and 11 months: "6")."""
    if from_months is None or to_months is None:
        return ""
    end = to_months // 12
    if from_months % 12 and from_months < 12:
        return ngettext(
            "%(start)s months to %(end)s year", "%(start)s months to %(end)s years", end
        ) % {"start": from_months, "end": end}
    start = from_months // 12
    if start == end:
        return ngettext("%(end)s year", "%(end)s years", end) % {"end": end}
    return ngettext("%(start)s–%(end)s year", "%(start)s–%(end)s years", end) % {
        "start": start,
        "end": end,
    }
