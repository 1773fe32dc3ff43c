"""Allocation rules per municipality, rounds, their snapshots, simulations and outcomes."""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING, Any

from auditlog.registry import auditlog
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation
from lotse.applications.models import Application, Offer
from lotse.directory.models import DEFAULT_MIXED_WEIGHT, MAX_MIXED_WEIGHT, MIN_MIXED_WEIGHT

if TYPE_CHECKING:
    from .snapshot import Snapshot


class Criterion(models.TextChoices):
    """Priority criteria a municipality may order (compiled into the engine's criteria)."""

    SIBLING = "sibling", _("Sibling already attends the facility")
    SOCIAL_URGENCY = "social_urgency", _("Social urgency (set by the Jugendamt)")
    CATCHMENT = "catchment", _("Lives in the facility's district")
    STAFF_CHILD = "staff_child", _("A parent works at the facility")
    EMPLOYMENT = "employment", _("Parents employed or in training")
    SINGLE_PARENT = "single_parent", _("Single parent")
    AGE = "age", _("Older children first")
    APPLICATION_DATE = "application_date", _("Earlier application first")


DEFAULT_CRITERIA = [
    Criterion.SIBLING.value,
    Criterion.SOCIAL_URGENCY.value,
    Criterion.CATCHMENT.value,
    Criterion.EMPLOYMENT.value,
    Criterion.AGE.value,
]


class AllocationRules(models.Model):
    """One rule set of a Jugendamt; the ``is_active`` one applies to new applications."""

    class TieBreaking(models.TextChoices):
        SINGLE = "single", _("One lottery number per child")
        MULTIPLE = "multiple", _("A separate lottery at every facility")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Jugendamt"),
        on_delete=models.CASCADE,
        related_name="allocation_rules",
    )
    name = models.CharField(_("name"), max_length=120)
    criteria = models.JSONField(
        _("priority criteria in order"), default=list, help_text=_("Most important first.")
    )
    max_wishes = models.PositiveSmallIntegerField(_("maximum number of wishes"), default=5)
    application_deadline = models.DateField(_("application deadline"), null=True, blank=True)
    answer_days = models.PositiveSmallIntegerField(_("days to answer an offer"), default=14)
    lottery_seed = models.PositiveBigIntegerField(_("lottery seed"))
    seed_published_at = models.DateTimeField(_("seed published"), null=True, blank=True)
    tie_breaking = models.CharField(
        _("tie-breaking"), max_length=10, choices=TieBreaking.choices, default=TieBreaking.SINGLE
    )
    #: ``child_da`` (deferred acceptance) or ``exact`` (CP-SAT, lotse.matching.exact).
    mechanism = models.CharField(
        _("allocation method"), max_length=12, default="child_da", editable=False
    )
    #: Places an under-3 child counts in a mixed group (1 to 6 years); 1 everywhere else.
    mixed_under3_weight = models.PositiveSmallIntegerField(
        _("places an under-3 child counts in a mixed group"),
        default=DEFAULT_MIXED_WEIGHT,
        validators=[MinValueValidator(MIN_MIXED_WEIGHT), MaxValueValidator(MAX_MIXED_WEIGHT)],
        help_text=_(
            "In a mixed group (1 to 6 years) a child under 3 takes this many places; 2 is the "
            "common rule. Children from 3 count one place."
        ),
    )
    is_active = models.BooleanField(_("applies to new applications"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("allocation rules")
        verbose_name_plural = _("allocation rules")
        ordering = ["organisation", "-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(is_active=True),
                name="rules_one_active_per_organisation",
            ),
            models.UniqueConstraint(fields=["organisation", "name"], name="rules_unique_name"),
            models.CheckConstraint(
                condition=Q(max_wishes__gte=1, max_wishes__lte=20), name="rules_max_wishes_range"
            ),
            models.CheckConstraint(
                condition=Q(answer_days__gte=1, answer_days__lte=90),
                name="rules_answer_days_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    mixed_under3_weight__gte=MIN_MIXED_WEIGHT,
                    mixed_under3_weight__lte=MAX_MIXED_WEIGHT,
                ),
                name="rules_mixed_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def criteria_labels(self) -> list[str]:
        labels = dict(Criterion.choices)
        return [str(labels.get(c, c)) for c in self.criteria]


#: The large JSON of a round: the engine's whole input, the published assignment (one entry
#: per child of the city), its digests and the publish preview. Never loaded by a page that
#: shows one family or a list (offers day: every status page decoded them).
ROUND_LARGE_FIELDS = ("snapshot", "published_assignment", "pool_digests", "publish_preview")


def round_large_fields(prefix: str = "") -> list[str]:
    """The large fields for ``defer()``, e.g. ``round_large_fields("round__")`` on outcomes."""
    return [prefix + name for name in ROUND_LARGE_FIELDS]


class RoundManager(models.Manager["Round"]):
    """Rounds without their large JSON (snapshot, assignment, pool digests, preview) until one
    of them is used: lists, row locks and django-auditlog's re-read of the row before each
    ``save()`` (8 MB of snapshot for a city) stay cheap. Reading the field loads it."""

    def get_queryset(self) -> models.QuerySet[Round]:
        return super().get_queryset().defer(*ROUND_LARGE_FIELDS)


class Round(models.Model):
    """An allocation round: snapshot → simulations → publish → re-runs after declines."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Prepared")
        SNAPSHOT = "snapshot", _("Snapshot taken")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("Jugendamt"), on_delete=models.CASCADE, related_name="rounds"
    )
    name = models.CharField(_("name"), max_length=120)
    rules = models.ForeignKey(
        AllocationRules,
        verbose_name=_("rules"),
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    start_from = models.DateField(_("care starts from"))
    start_until = models.DateField(_("care starts until"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    #: The frozen input of the engine, see :class:`lotse.allocation.snapshot.Snapshot`.
    snapshot: models.JSONField[Snapshot | None, Snapshot | None] = models.JSONField(
        _("snapshot"), null=True, blank=True, editable=False
    )
    snapshot_at = models.DateTimeField(_("snapshot taken"), null=True, blank=True)
    #: When the Jugendamt plans to publish the round (the offers go out); families waiting for
    #: the round read it on their status page (applications.when). Optional, never before the
    #: application deadline or the snapshot (services.round_update).
    planned_publication = models.DateField(_("offers planned to go out on"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_rules = models.ForeignKey(
        AllocationRules,
        verbose_name=_("rules used for publishing"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_rounds",
    )
    #: What was published: {"assignment": {application id: facility id | None},
    #: "seat_types": {...}, "exact": report | None} (the certificate certifies exactly this).
    published_assignment = models.JSONField(
        _("published assignment"), null=True, blank=True, editable=False
    )
    #: Per seat pool of the latest run ("<facility id>/<seat type>"): a digest of what the
    #: outcomes of the children wishing it depend on (engine_io.pool_digests). A re-run rewrites
    #: only the outcomes of children with a wish in a pool whose digest changed.
    pool_digests = models.JSONField(_("pool digests"), default=dict, blank=True, editable=False)
    #: The run the planner reviewed before publishing (services.round_publish_preview): the
    #: assignment, the rules, the difference from what families hold now and its digest,
    #: which ``round_publish`` requires as the confirmation. Cleared when published.
    publish_preview = models.JSONField(
        _("run awaiting confirmation"), null=True, blank=True, editable=False
    )
    reruns = models.PositiveIntegerField(_("re-runs"), default=0)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RoundManager()

    class Meta:
        verbose_name = _("allocation round")
        verbose_name_plural = _("allocation rounds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_from__lte=models.F("start_until")),
                name="round_start_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Simulation(models.Model):
    """The outcome of running the engine on a round's snapshot with one rule set (not binding)."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="simulations"
    )
    rules = models.ForeignKey(
        AllocationRules, verbose_name=_("rules"), on_delete=models.CASCADE, related_name="+"
    )
    stats = models.JSONField(_("statistics"), default=dict)
    #: Per application id: [facility id, wish rank] or [None, None] (engine_io.child_results),
    #: to list the children whose result differs between two rule sets.
    results = models.JSONField(_("result per child"), default=dict, editable=False)
    seconds = models.FloatField(_("run time (s)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("simulation")
        verbose_name_plural = _("simulations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.round} · {self.rules}"


class RunManager(models.Manager["Run"]):
    """Runs without what they used (large) until it is read: the round page lists them."""

    def get_queryset(self) -> models.QuerySet[Run]:
        return super().get_queryset().defer("inputs", "assigned")


def pack(value: Any) -> bytes:
    """JSON, zlib-compressed: a re-run's arrays (one entry per child in play, mostly small
    numbers) take a tenth of their JSON size; every decline starts a re-run."""
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 6)


def unpack(data: bytes | memoryview | None) -> Any:
    return json.loads(zlib.decompress(bytes(data))) if data else None


class Run(models.Model):
    """One binding run of a published round — the publication (number 0) or a re-run (1, 2, …)
    — with what it used, so that its fairness certificate can be recomputed at any time
    (``engine_io.run_certificate``): the rules as they were, the rows of the round's snapshot in
    play with their wish cuts and current places, the live free seats, the late applications
    that had joined, the lottery draws of the late applications, and the assignment."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="runs"
    )
    number = models.PositiveIntegerField(_("run"))
    ran_at = models.DateTimeField(_("run at"))
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: The rule set's values the engine read (criteria, tie-breaking, seed, method, …): a rule
    #: set changed later does not change what this run certifies.
    rules = models.JSONField(_("rules as used"), encoder=DjangoJSONEncoder, editable=False)
    #: A re-run's input besides the round's snapshot (:func:`pack`ed; empty for the
    #: publication): ``rows``, ``max_rank``, ``current`` (per child in play),
    #: ``free`` (quota id → seats), ``late`` (snapshot of the late applications).
    inputs = models.BinaryField(_("input of the run"), default=b"", editable=False)
    #: The lottery draws of the late applications so far, in the order they joined.
    late_draws = models.JSONField(_("lottery draws of late applications"), default=list)
    #: Per child of the run's instance (:func:`pack`ed): the position of the wish it got in
    #: its list, 1-based, 0 = none.
    assigned = models.BinaryField(_("assignment"), default=b"", editable=False)
    mechanism = models.CharField(_("allocation method"), max_length=12, default="child_da")
    exact = models.JSONField(_("exact method's report"), null=True, blank=True, editable=False)
    children = models.PositiveIntegerField(_("children in play"), default=0)
    placed = models.PositiveIntegerField(_("children with a place"), default=0)
    blocking_pairs = models.PositiveIntegerField(_("blocking pairs"), default=0)

    objects = RunManager()

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="run_unique_number"),
            models.CheckConstraint(
                condition=Q(placed__lte=models.F("children")), name="run_placed_le_children"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.number}"


class Outcome(models.Model):
    """What a published round (or its latest re-run) decided for one application."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="outcomes"
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="outcomes",
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outcomes",
    )
    wish_rank = models.PositiveSmallIntegerField(_("wish obtained"), null=True, blank=True)
    #: Engine reasons for every better wish (codes, not prose): see lotse.matching.explain.
    reasons = models.JSONField(_("reasons"), default=list)
    #: Waiting positions per better wish: [{"facility": id, "position": n}, …].
    waiting = models.JSONField(_("waiting positions"), default=list)
    #: For a child in a sibling group: {"with": [application ids], "together": "required" |
    #: "preferred", "placed": "together" | "apart"}; {} otherwise.
    together = models.JSONField(_("placed together with siblings"), default=dict, blank=True)
    run = models.PositiveIntegerField(_("run"), default=0)
    #: Digest of (wish obtained, offer, reasons, waiting positions): a re-run compares it
    #: instead of reading the JSON of every stored outcome (empty for rows written before).
    digest = models.CharField(_("digest"), max_length=32, blank=True, default="", editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "application"], name="outcome_unique_application"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.application_id}"


auditlog.register(AllocationRules)
# The snapshot and the published assignment are large, written once and kept on the round (the
# certificate covers them); every offer and status change of a run has its own audit entry. The
# pool digests are derived bookkeeping of the re-runs.
auditlog.register(
    Round, exclude_fields=["snapshot", "published_assignment", "pool_digests", "publish_preview"]
)
auditlog.register(Simulation, exclude_fields=["stats", "results"])
# A run is written once; its input and assignment are large and covered by its certificate.
auditlog.register(Run, exclude_fields=["inputs", "assigned"])
