"""State changes of rules and rounds: snapshot → simulate → publish → offers → re-run.

A published run writes all offers, outcomes and status changes in one transaction with bulk
statements (60,000 applications in seconds), plus one audit entry per changed application and
offer. Mails go out afterwards through one background task per run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lotse.accounts.models import Organisation, User
from lotse.applications.models import Application, Offer, SeatQuota, Wish
from lotse.applications.services import (
    NewOffer,
    applications_begin_allocation,
    offers_publish,
    sync_free_places,
)
from lotse.core.audit import chunks, entry_point, insert_rows
from lotse.directory.models import DEFAULT_MIXED_WEIGHT, MAX_MIXED_WEIGHT, MIN_MIXED_WEIGHT

from . import engine_io, runs
from .models import AllocationRules, Criterion, Outcome, Round, Simulation
from .notifications import notify_outcome
from .selectors import jugendamt_organisations
from .snapshot import Snapshot


def _require_jugendamt(actor: User | None, organisation: Organisation) -> None:
    if actor is None:  # background tasks act for the system
        return
    if not jugendamt_organisations(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied


def _deadline(days: int) -> dt.datetime:
    """End of the day ``days`` days from now (Europe/Berlin)."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


# --------------------------------------------------------------------------- rules


def _clean_rules(
    criteria: Sequence[str], max_wishes: int, answer_days: int, mixed_under3_weight: int
) -> list[str]:
    known = {c.value for c in Criterion}
    errors: dict[str, str] = {}
    cleaned = [c for c in criteria if c]
    if any(c not in known for c in cleaned):
        errors["criteria"] = _("Unknown priority criterion.")
    elif len(set(cleaned)) != len(cleaned):
        errors["criteria"] = _("Each criterion can be used only once.")
    if not 1 <= max_wishes <= 20:
        errors["max_wishes"] = _("Allow between 1 and 20 wishes.")
    if not 1 <= answer_days <= 90:
        errors["answer_days"] = _("Families need between 1 and 90 days to answer.")
    if not MIN_MIXED_WEIGHT <= mixed_under3_weight <= MAX_MIXED_WEIGHT:
        errors["mixed_under3_weight"] = _(
            "A child under 3 counts between %(low)d and %(high)d places in a mixed group."
        ) % {"low": MIN_MIXED_WEIGHT, "high": MAX_MIXED_WEIGHT}
    if errors:
        raise ValidationError(errors)
    return cleaned


@entry_point
def rules_save(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    criteria: Sequence[str],
    max_wishes: int = 5,
    application_deadline: dt.date | None = None,
    answer_days: int = 14,
    tie_breaking: str = AllocationRules.TieBreaking.SINGLE,
    is_active: bool = False,
    rules: AllocationRules | None = None,
    mechanism: str = "child_da",
    mixed_under3_weight: int | None = None,
) -> AllocationRules:
    """Create or change a rule set. The lottery seed is drawn once and never changes after it
    has been published. ``mixed_under3_weight``: places an under-3 child counts in a mixed
    group (1 to 6 years) in the runs with these rules (None: unchanged, 2 for a new rule set);
    it is fixed once a round was published with the rules."""
    _require_jugendamt(actor, organisation)
    if mixed_under3_weight is None:
        mixed_under3_weight = rules.mixed_under3_weight if rules else DEFAULT_MIXED_WEIGHT
    cleaned = _clean_rules(criteria, max_wishes, answer_days, mixed_under3_weight)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Please give the rule set a name.")})
    clash = AllocationRules.objects.filter(organisation=organisation, name=name)
    if rules is not None:
        clash = clash.exclude(pk=rules.pk)
    if clash.exists():
        raise ValidationError({"name": _("A rule set with this name already exists.")})
    if is_active:
        others = AllocationRules.objects.filter(organisation=organisation, is_active=True)
        if rules is not None:
            others = others.exclude(pk=rules.pk)
        others.update(is_active=False)
    if rules is None:
        rules = AllocationRules(organisation=organisation, lottery_seed=secrets.randbits(48))
    else:
        rules = AllocationRules.objects.select_for_update().get(pk=rules.pk)
        if rules.organisation_id != organisation.pk:
            raise PermissionDenied
    rules.name = name
    rules.criteria = cleaned
    rules.max_wishes = max_wishes
    rules.application_deadline = application_deadline
    rules.answer_days = answer_days
    rules.tie_breaking = tie_breaking
    if mechanism not in engine_io.MECHANISMS:
        raise ValidationError({"mechanism": _("Please choose an allocation method.")})
    rules.mechanism = mechanism
    if (
        rules.pk is not None
        and mixed_under3_weight != rules.mixed_under3_weight
        and Round.objects.filter(published_rules=rules).exists()
    ):
        # Offers of a published round hold places by this weight, and its re-runs weigh the
        # children holding them by it: changing it would break the count of places.
        raise ValidationError(
            {
                "mixed_under3_weight": _(
                    "A round was published with these rules, so the places a child under 3 "
                    "counts in a mixed group can no longer change. Create a new rule set."
                )
            }
        )
    rules.mixed_under3_weight = mixed_under3_weight
    rules.is_active = is_active
    rules.save()
    return rules


@entry_point
def rules_publish_seed(*, actor: User | None, rules: AllocationRules, seed: int) -> AllocationRules:
    """Publish the lottery seed; from then on it is fixed and rounds may use the rule set.

    ``seed`` is the confirmation: the planner confirms the number shown to them (the page
    says what publishing means); any other number is refused, so a seed is never published by
    a stray request or for a rule set that was re-drawn in between."""
    _require_jugendamt(actor, rules.organisation)
    rules = AllocationRules.objects.select_for_update().get(pk=rules.pk)
    if seed != rules.lottery_seed:
        raise ValidationError(
            _("Please confirm the lottery seed %(seed)s shown on the page to publish it.")
            % {"seed": rules.lottery_seed}
        )
    if rules.seed_published_at is None:
        rules.seed_published_at = timezone.now()
        rules.save(update_fields=["seed_published_at", "updated_at"])
    return rules


# --------------------------------------------------------------------------- rounds


@entry_point
def round_create(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    rules: AllocationRules,
    start_from: dt.date,
    start_until: dt.date,
    planned_publication: dt.date | None = None,
) -> Round:
    _require_jugendamt(actor, organisation)
    if rules.organisation_id != organisation.pk:
        raise PermissionDenied
    start_from, start_until = start_from.replace(day=1), start_until.replace(day=1)
    if start_until < start_from:
        raise ValidationError({"start_until": _("The end lies before the beginning.")})
    if not organisation.municipality:
        raise ValidationError(_("The Jugendamt has no municipality set; ask an administrator."))
    overlapping = Round.objects.filter(
        organisation=organisation,
        status__in=[Round.Status.DRAFT, Round.Status.SNAPSHOT],
        start_from__lte=start_until,
        start_until__gte=start_from,
    )
    if overlapping.exists():
        raise ValidationError(
            _("Another unpublished round covers these months; finish or delete it first.")
        )
    round_ = Round(
        organisation=organisation,
        name=" ".join(name.split()) or _("Allocation round"),
        rules=rules,
        start_from=start_from,
        start_until=start_until,
        planned_publication=planned_publication,
        created_by=actor,
    )
    _clean_planned_publication(round_, planned_publication)
    round_.save()
    return round_


def _clean_planned_publication(round_: Round, planned: dt.date | None) -> None:
    """A planned publication day lies on or after the application deadline of the round's
    rules and the day of its snapshot: the families read it as the day offers go out."""
    if planned is None:
        return
    deadline = round_.rules.application_deadline
    if deadline is not None and planned < deadline:
        raise ValidationError(
            {
                "planned_publication": _(
                    "The offers cannot go out before the application deadline (%(date)s)."
                )
                % {"date": formats.date_format(deadline, "DATE_FORMAT")}
            }
        )
    if round_.snapshot_at is not None:
        frozen = timezone.localtime(round_.snapshot_at).date()
        if planned < frozen:
            raise ValidationError(
                {
                    "planned_publication": _(
                        "The offers cannot go out before the snapshot of the applications "
                        "(%(date)s)."
                    )
                    % {"date": formats.date_format(frozen, "DATE_FORMAT")}
                }
            )


@entry_point
def round_update(
    *, actor: User, round_: Round, name: str, planned_publication: dt.date | None
) -> Round:
    """Rename a round and set (or clear) the day its offers are planned to go out.

    The planned day can change until the round is published (then the families read the real
    date); the change is in the audit log like every change of a round."""
    round_ = _lock_round(round_)
    _require_jugendamt(actor, round_.organisation)
    fields = ["name"]
    if planned_publication != round_.planned_publication:
        if round_.status not in (Round.Status.DRAFT, Round.Status.SNAPSHOT):
            raise ValidationError(
                {
                    "planned_publication": _(
                        "The round is already published; its offers went out on the day of "
                        "publication."
                    )
                }
            )
        _clean_planned_publication(round_, planned_publication)
        round_.planned_publication = planned_publication
        fields.append("planned_publication")
    round_.name = " ".join(name.split()) or round_.name
    round_.save(update_fields=fields)  # audit-logged (auditlog.register(Round))
    return round_


def _frozen(round_: Round) -> Snapshot:
    """The round's snapshot; a round without one cannot be simulated, published or re-run."""
    if round_.snapshot is None:
        raise ValidationError(_("Take a snapshot of the applications first."))
    return round_.snapshot


def _lock_round(round_: Round) -> Round:
    return (
        Round.objects.select_for_update().select_related("organisation", "rules").get(pk=round_.pk)
    )


@entry_point
def round_snapshot(*, actor: User | None, round_: Round) -> Round:
    """Freeze the applications and free seats of the round; applications go "in allocation"."""
    round_ = _lock_round(round_)
    _require_jugendamt(actor, round_.organisation)
    if round_.status not in (Round.Status.DRAFT, Round.Status.SNAPSHOT):
        raise ValidationError(_("A published round cannot take a new snapshot."))
    applications = engine_io.eligible_applications(
        round_.organisation.municipality, round_.start_from, round_.start_until
    )
    snapshot = engine_io.take_snapshot(applications)
    applications_begin_allocation(
        actor=actor, municipality=round_.organisation.municipality, applications=applications
    )
    round_.snapshot = snapshot
    round_.snapshot_at = timezone.now()
    round_.status = Round.Status.SNAPSHOT
    round_.publish_preview = None  # a review of the old snapshot no longer holds
    round_.save(update_fields=["snapshot", "snapshot_at", "status", "publish_preview"])
    return round_


@entry_point
def round_simulate(*, actor: User | None, round_: Round, rules: AllocationRules) -> Simulation:
    """Run the engine on the snapshot with a rule set and store the statistics (not binding)."""
    round_ = Round.objects.select_related("organisation").get(pk=round_.pk)
    _require_jugendamt(actor, round_.organisation)
    if rules.organisation_id != round_.organisation_id:
        raise PermissionDenied
    snapshot = _frozen(round_)
    started = time.perf_counter()
    prepared = engine_io.build(snapshot, rules)
    result = engine_io.run(prepared, rules.mechanism)
    stats = engine_io.district_and_band_stats(snapshot, prepared, result)
    stats["stability"] = engine_io.stability(result)
    stats["seats"] = int(prepared.instance.capacity.sum())
    return Simulation.objects.create(
        round=round_,
        rules=rules,
        stats=stats,
        results=engine_io.child_results(prepared, result),
        seconds=round(time.perf_counter() - started, 3),
        created_by=actor,
    )


def _check_publishable(round_: Round, rules: AllocationRules) -> None:
    if round_.status != Round.Status.SNAPSHOT or round_.snapshot is None:
        raise ValidationError(
            _("Only a round with a snapshot that is not yet published can be published.")
        )
    if rules.organisation_id != round_.organisation_id:
        raise PermissionDenied
    if rules.seed_published_at is None or rules.seed_published_at > timezone.now():
        raise ValidationError(
            _("Publish the lottery seed of the rule set “%(name)s” before the binding run.")
            % {"name": rules.name}
        )


def _held_now(application_ids: list[int]) -> dict[int, int | None]:
    """The facility of each application's open or accepted offer now (the last published
    state the families hold, from any earlier round or re-run), None = no offer."""
    held: dict[int, int | None] = dict.fromkeys(application_ids)
    for chunk in chunks(application_ids):
        held.update(
            Offer.objects.filter(
                application_id__in=chunk,
                status__in=[Offer.Status.OFFERED, Offer.Status.ACCEPTED],
            ).values_list("application_id", "facility_id")
        )
    return held


def _preview_digest(
    round_: Round, rules: AllocationRules, published: dict[str, Any], before: dict[int, Any]
) -> str:
    """What the planner confirms: this round, these rules as they are now, this snapshot, this
    assignment, and the offers the families hold now. Any change needs a new review."""
    payload = {
        "round": round_.pk,
        "rules": rules.pk,
        "rules_updated": rules.updated_at.isoformat(),
        "seed": int(rules.lottery_seed),
        "snapshot": _frozen(round_)["taken_at"],
        "assignment": published["assignment"],
        "before": {str(k): v for k, v in before.items()},
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


@entry_point
def round_publish_preview(
    *, actor: User | None, round_: Round, rules: AllocationRules
) -> dict[str, Any]:
    """Compute the binding run without publishing it and keep it for the confirmation.

    Returns (and stores in ``Round.publish_preview``) the difference from what the families
    hold now — who gains an offer, who loses one, who changes facility, by application id —
    with the counts and a ``digest`` that :func:`round_publish` requires as the confirmation.
    """
    round_ = _lock_round(round_)
    _require_jugendamt(actor, round_.organisation)
    rules = AllocationRules.objects.get(pk=rules.pk)
    _check_publishable(round_, rules)
    snapshot = _frozen(round_)
    prepared = engine_io.build(snapshot, rules)
    result = engine_io.run(prepared, rules.mechanism)
    published = engine_io.published_assignment(result)
    after = {
        int(a): (int(f) if f is not None else None) for a, f in published["assignment"].items()
    }
    before = _held_now(sorted(after))
    stats = result.stats
    preview = {
        **published,
        "rules": rules.pk,
        "diff": engine_io.run_diff(before, after),
        "placed": int(stats.assigned),
        "waiting": int(stats.unassigned),
        "stability": engine_io.stability(result),
        "digest": _preview_digest(round_, rules, published, before),
        "prepared_at": timezone.now().isoformat(),
    }
    round_.publish_preview = preview
    round_.save(update_fields=["publish_preview"])
    return preview


@entry_point
def round_publish(
    *,
    actor: User | None,
    round_: Round,
    rules: AllocationRules,
    confirmation: str,
    notify: bool = True,
) -> Round:
    """The binding run: offers for assigned children, waiting list for the others.

    Publishes exactly the run the planner reviewed with :func:`round_publish_preview`;
    ``confirmation`` must be that preview's digest, and the digest must still hold (same rules,
    snapshot, assignment and offers held now) — otherwise nothing is published and the planner
    has to review the changes again. ``notify=False`` skips the mails (demo data and
    benchmarks only)."""
    round_ = _lock_round(round_)
    _require_jugendamt(actor, round_.organisation)
    rules = AllocationRules.objects.get(pk=rules.pk)
    _check_publishable(round_, rules)
    preview = round_.publish_preview
    if not preview or not confirmation or preview.get("digest") != confirmation:
        raise ValidationError(
            _("Review the changes this run makes for the families and confirm them first.")
        )
    before = _held_now(sorted(int(a) for a in preview["assignment"]))
    if preview["rules"] != rules.pk or _preview_digest(round_, rules, preview, before) != (
        confirmation
    ):
        raise ValidationError(
            _(
                "The rules, the snapshot or the offers changed after your review; please "
                "review the changes again."
            )
        )
    prepared = engine_io.build(_frozen(round_), rules)
    result = engine_io.stored_result(prepared, preview)
    now = timezone.now()
    round_.status = Round.Status.PUBLISHED
    round_.published_at = now
    round_.published_rules = rules
    round_.last_run_at = now
    round_.published_assignment = engine_io.published_assignment(result)
    round_.pool_digests = engine_io.pool_digests(prepared, result)
    round_.publish_preview = None
    round_.save(
        update_fields=[
            "status",
            "published_at",
            "published_rules",
            "last_run_at",
            "published_assignment",
            "pool_digests",
            "publish_preview",
        ]
    )
    runs.record(
        round_,
        0,
        actor=actor,
        rules=rules,
        prepared=prepared,
        result=result,
        inputs={},
        stability=preview["stability"],
    )
    _write_run(round_, rules, prepared, result, actor=actor, previous={}, notify=notify)
    return round_


@dataclass
class _RunPlan:
    """What one run changes: new offers, replaced offers, waiting children, wish obtained."""

    new: list[NewOffer] = field(default_factory=list)
    superseded: list[HeldOffer] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    wish_of: dict[int, int | None] = field(default_factory=dict)


def _write_run(
    round_: Round,
    rules: AllocationRules,
    prepared: engine_io.Prepared,
    result: Any,
    *,
    actor: User | None,
    previous: dict[int, HeldOffer],
    notify: bool = True,
    changed: np.ndarray | None = None,
    snapshot: Snapshot | None = None,
    plan: _RunPlan | None = None,
) -> dict[str, int]:
    """Write offers, application statuses and outcomes of one run (first or re-run).

    ``previous`` maps application id → its open offer from this round (re-runs): unchanged
    offers stay, better ones replace them (the old one becomes "superseded"). ``changed``: the
    child indices whose outcome may have changed (None = all). ``snapshot`` is the one the run
    was built from (a re-run's includes the late applications); ``plan`` its offers if the
    caller planned and checked them already (a re-run: :func:`_hold_plan`).
    """
    if plan is None:
        plan = _plan_offers(snapshot or _frozen(round_), prepared, result, previous)
    published = offers_publish(
        actor=actor,
        municipality=round_.organisation.municipality,
        new=plan.new,
        superseded=[o.pk for o in plan.superseded],
        waiting=plan.waiting,
        deadline=_deadline(rules.answer_days),
    )
    _write_outcomes(round_, prepared, result, plan, published.offer_ids, previous, changed)
    # New offers, and every family newly on the waiting list (after a re-run: late ones).
    notify_ids = list(published.offer_ids) + list(published.newly_waiting)
    _after_commit(round_, prepared, notify_ids if notify else [])
    return {
        "offers": len(plan.new),
        "superseded": len(plan.superseded),
        "waiting": len(plan.waiting),
    }


def _plan_offers(
    snapshot: Snapshot,
    prepared: engine_io.Prepared,
    result: Any,
    previous: dict[int, HeldOffer],
) -> _RunPlan:
    """Turn the engine's assignment into offers: keep an unchanged open offer, else a new one."""
    inst = prepared.instance
    quota_start = dict(zip(snapshot["quota"]["id"], snapshot["quota"]["start"], strict=True))
    plan = _RunPlan()
    for child in range(inst.n_children):
        app_id = int(prepared.applications[child])
        entry = int(result.assigned_wish[child])
        if entry < 0:
            plan.wish_of[app_id] = None
            plan.waiting.append(app_id)
            continue
        facility_id = int(inst.facility_ids[int(inst.wish_facility[entry])])
        plan.wish_of[app_id] = int(prepared.wish_rank[entry])
        quota_id = int(prepared.wish_quota[entry])
        old = previous.get(app_id)
        # The same seats: the offer stands. (A child may move up from a mixed group to its
        # band's seats at the same facility: a new offer, the mixed places free up.)
        if old is not None and old.quota_id == quota_id:
            continue
        if old is not None:
            plan.superseded.append(old)
        row = int(prepared.rows[child])
        mixed = prepared.wish_mixed is not None and bool(prepared.wish_mixed[entry])
        plan.new.append(
            NewOffer(
                application_id=app_id,
                facility_id=facility_id,
                quota_id=quota_id,
                seat_type=snapshot["band"][row],
                start_month=max(snapshot["desired_start"][row], quota_start[quota_id]),
                wish_rank=plan.wish_of[app_id] or 0,
                mixed_group=mixed,
                seats=int(inst.wish_weight[entry]),
            )
        )
    return plan


_OUTCOME_COLUMNS = [
    "round_id",
    "application_id",
    "offer_id",
    "wish_rank",
    "reasons",
    "waiting",
    "together",
    "run",
    "updated_at",
    "digest",
]


def _write_outcomes(
    round_: Round,
    prepared: engine_io.Prepared,
    result: Any,
    plan: _RunPlan,
    offer_ids: dict[int, int],
    previous: dict[int, HeldOffer],
    changed: np.ndarray | None = None,
) -> None:
    """Reasons (engine codes) and waiting positions for the children of the run (``changed``:
    only these child indices, plus every child with a new offer). Rows of a re-run are replaced
    only where something changed (compared by their digest); a first run writes them all."""
    apps = prepared.applications
    if changed is None:
        children = np.arange(prepared.instance.n_children, dtype=np.int64)
    else:
        with_offer = np.flatnonzero(np.isin(apps, np.fromiter(offer_ids, np.int64)))
        children = np.union1d(changed, with_offer).astype(np.int64)
    # A re-run (reruns already counted) compares with the stored rows; a first run has none.
    existing = _stored_digests(round_, apps[children].tolist()) if round_.reruns else {}
    waiting = engine_io.waiting_positions(prepared, result, children)
    together_of = engine_io.together_of(prepared, result)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows: list[tuple[Any, ...]] = []
    replaced: list[int] = []
    all_reasons = result.explanations.for_children(children)
    for child, app_id, child_reasons in zip(
        children.tolist(), apps[children].tolist(), all_reasons, strict=True
    ):
        reasons = json.dumps(
            _plain_reasons(_by_wish(prepared, child, child_reasons, plan.wish_of.get(app_id)))
        )
        positions = json.dumps([{"facility": f, "position": p} for f, p in waiting.get(child, [])])
        offer_id = offer_ids.get(app_id)
        if offer_id is None and app_id in previous and plan.wish_of.get(app_id) is not None:
            offer_id = previous[app_id].pk
        wish_rank = plan.wish_of.get(app_id)
        together = json.dumps(together_of.get(child, {}))
        digest = hashlib.blake2b(
            f"{wish_rank}|{offer_id}|{reasons}|{positions}|{together}".encode(), digest_size=16
        ).hexdigest()
        old_row = existing.get(app_id)
        if old_row is not None:
            if old_row[1] == digest:
                continue
            replaced.append(old_row[0])
        rows.append(
            (
                round_.pk,
                app_id,
                offer_id,
                wish_rank,
                reasons,
                positions,
                together,
                round_.reruns,
                now,
                digest,
            )
        )
    for chunk in chunks(replaced):
        Outcome.objects.filter(pk__in=chunk).delete()
    insert_rows(Outcome, _OUTCOME_COLUMNS, rows)


def _stored_digests(round_: Round, app_ids: list[int]) -> dict[int, tuple[int, str]]:
    """application id → (pk, digest) of its stored outcome in the round."""
    out: dict[int, tuple[int, str]] = {}
    for chunk in chunks(app_ids, 10_000):
        for pk, app_id, digest in Outcome.objects.filter(
            round=round_, application_id__in=chunk
        ).values_list("pk", "application_id", "digest"):
            out[app_id] = (pk, digest)
    return out


def _after_commit(round_: Round, prepared: engine_io.Prepared, notify_ids: list[int]) -> None:
    """Once the run commits: refresh the public free places and mail the families."""
    facilities = sorted({int(f) for f in prepared.instance.facility_ids})
    transaction.on_commit(lambda: sync_free_places_task.enqueue(facilities))
    if notify_ids:
        transaction.on_commit(
            lambda: notify_round_task.enqueue(round_id=round_.pk, application_ids=notify_ids)
        )


def _by_wish(
    prepared: engine_io.Prepared,
    child: int,
    reasons: list[dict[str, Any]],
    obtained: int | None,
) -> list[dict[str, Any]]:
    """The engine's reasons per entry as reasons per wish of the family's list.

    ``wish`` becomes the family's rank (a wish for a facility with mixed-group places is two
    engine entries: its band's seats, then the mixed group). A wish with both keeps the
    band's reason, the mixed group's under ``"mixed"``; the wish the child obtained (e.g. the
    mixed group after the crèche seats were taken) is not a "better wish" and is dropped.
    """
    start = int(prepared.instance.wish_ptr[child])
    out: list[dict[str, Any]] = []
    for r in reasons:
        entry = start + int(r["wish"]) - 1
        rank = int(prepared.wish_rank[entry])
        if rank == obtained:
            continue
        item = {**r, "wish": rank}
        if prepared.wish_mixed is not None and prepared.wish_mixed[entry]:
            item["seat"] = "mixed"
            if out and out[-1]["wish"] == rank:
                out[-1]["mixed"] = _plain_reason(
                    {k: v for k, v in item.items() if k not in ("wish", "facility")}
                )
                continue
        out.append(item)
    return out


def _plain_reasons(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the engine's data codes, compacted for storage (facility ids as integers)."""
    return [{**_plain_reason(r), "facility": int(r["facility"])} for r in reasons]


def _plain_reason(reason: dict[str, Any]) -> dict[str, Any]:
    item = {k: v for k, v in reason.items() if k != "seat_type"}
    for key in ("child_value", "cutoff_value"):
        value = item.get(key)
        if isinstance(value, float) and value.is_integer():
            item[key] = int(value)
    return item


# --------------------------------------------------------------------------- re-runs


@entry_point
def round_rerun(*, actor: User | None, round_: Round, notify: bool = True) -> dict[str, int]:
    """Give freed seats to the children with priority for them, keeping accepted places.

    Children in play: those of the round still waiting, and those holding an open offer (their
    wishes cut at the offered one, the offered facility as their current place so they cannot
    lose it but may move up). Accepted places are out of the instance; their seats are taken.
    Capacities are the live free seats. Child-proposing deferred acceptance on this instance is
    stable: no child in play envies another with lower priority (checked after the run).

    Families answer while the run computes. Before writing, the offers it replaces are locked
    and must still be open (:func:`_hold_plan`); if a family answered one meanwhile, the run is
    computed again from what is true now (its seat may have been taken by that family).
    """
    round_ = _lock_round(round_)
    _require_jugendamt(actor, round_.organisation)
    if round_.status != Round.Status.PUBLISHED or round_.published_rules is None:
        raise ValidationError(_("Only a published round can be re-run."))
    for _attempt in range(RERUN_ATTEMPTS):
        try:
            return _rerun_once(round_, actor=actor, notify=notify)
        except _FamiliesAnswered:
            continue
    raise RerunCrowded(
        _(
            "Families were answering their offers while the re-run ran; nothing was changed. "
            "Please try again in a moment."
        )
    )


class RerunCrowded(ValidationError):
    """Every attempt of a re-run met families answering the offers it would replace."""


#: How often a re-run is computed again when families answered the offers it would replace.
RERUN_ATTEMPTS = 3


class _FamiliesAnswered(Exception):
    """An offer the run would replace was answered after the run read it."""


def _rerun_once(round_: Round, *, actor: User | None, notify: bool) -> dict[str, int]:
    rules = round_.published_rules
    assert rules is not None  # checked by round_rerun
    on_time = len(_frozen(round_)["application"])
    snapshot, late_rows = _with_late_applications(round_, actor)
    play = _in_play(round_, snapshot, late=snapshot["application"][on_time:])
    # Every child keeps its published lottery number; late applications are drawn after.
    late_draws = runs.late_draws(round_, snapshot, on_time, rules.tie_breaking)
    free = _live_free_seats(
        snapshot["quota"]["id"],
        {o.pk: o.quota_id for o in play.offers.values()},
        held_places={o.pk: o.seats for o in play.offers.values()},
    )
    held_quota = _held_quotas(snapshot, play)
    prepared = engine_io.build(
        snapshot,
        rules,
        rows=play.rows,
        max_rank=play.max_rank,
        current_facility=play.current,
        held_quota=held_quota,
        free=free,
        draws=engine_io.lottery_draws(snapshot, on_time, rules.tie_breaking, late_draws),
    )
    result = engine_io.run(prepared, rules.mechanism)
    report = engine_io.stability(result)
    if report["blocking_pairs"] or not report["feasible"]:
        raise ValidationError(_("The re-run would not be stable; nothing was changed."))
    plan = _plan_offers(snapshot, prepared, result, play.offers)
    _hold_plan(plan)  # raises _FamiliesAnswered: nothing was written yet
    digests = engine_io.pool_digests(prepared, result)
    # Only the freed seats' chain: children with a wish in a pool whose seats, admitted children
    # or waiting list changed since the last run (all of them for rounds without digests).
    changed = (
        engine_io.changed_children(prepared, round_.pool_digests, digests)
        if round_.pool_digests
        else None
    )
    round_.reruns += 1
    round_.last_run_at = timezone.now()
    round_.pool_digests = digests
    round_.save(update_fields=["reruns", "last_run_at", "pool_digests"])  # audit-logged
    runs.record(
        round_,
        round_.reruns,
        actor=actor,
        rules=rules,
        prepared=prepared,
        result=result,
        inputs={
            "rows": play.rows.tolist(),
            "max_rank": play.max_rank.tolist(),
            "current": play.current.tolist(),
            "held_quota": held_quota.tolist(),
            "free": {str(k): v for k, v in free.items()},
            "late": late_rows,
        },
        stability=report,
        late_draws=late_draws,
    )
    return _write_run(
        round_,
        rules,
        prepared,
        result,
        actor=actor,
        previous=play.offers,
        notify=notify,
        changed=changed,
        snapshot=snapshot,
        plan=plan,
    )


def _hold_plan(plan: _RunPlan) -> None:
    """Lock what a re-run changes and check it is still as the run read it.

    The offers it replaces must still be open: a family that accepted one meanwhile keeps its
    place, and the seats the run freed by moving the child up are not free at all (writing
    anyway would supersede an accepted offer and oversell its seats) — :class:`_FamiliesAnswered`.
    A child that left the round meanwhile (withdrew, was placed elsewhere) gets no new offer;
    its seat waits for the next re-run (and ``offers_publish`` puts only children still in
    allocation on the waiting list, never a withdrawn one back). The row locks
    (offers first, then applications, each in id order) hold until the run commits, so an
    answer cannot slip in between this check and the writes.
    """
    replaced = sorted(o.pk for o in plan.superseded)
    still_open = list(
        Offer.objects.select_for_update()
        .filter(pk__in=replaced, status=Offer.Status.OFFERED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(still_open) != len(replaced):
        raise _FamiliesAnswered
    offered = sorted({o.application_id for o in plan.new})
    in_play = {
        Application.Status.WAITING,
        Application.Status.OFFERED,
        Application.Status.IN_ALLOCATION,
    }
    left: set[int] = set()
    for part in chunks(offered):
        left |= {
            pk
            for pk, status in Application.objects.select_for_update()
            .filter(pk__in=part)
            .order_by("pk")
            .values_list("pk", "status")
            if status not in in_play
        }
    if left:
        plan.new = [o for o in plan.new if o.application_id not in left]
        for app_id in left:
            plan.wish_of[app_id] = None


# ---------------------------------------------------------------- intake through the year


def _late_applications(round_: Round, snapshot: Snapshot) -> QuerySet[Application]:
    """What a re-run reads afresh besides the frozen snapshot: the applications for the
    round's months that arrived after its snapshot — those that joined an earlier re-run and
    still take part (they have an outcome in this round), and new *received* ones — and the
    on-time applications still in play that added a wish after the deadline (``Wish.late``;
    ``engine_io.merge_snapshots`` appends only those wishes to their frozen rows)."""
    known = set(snapshot["application"])
    late_wishes = {
        pk
        for pk in Wish.objects.filter(
            late=True,
            # Waiting, or holding an offer the late wish brought (its current place).
            application__status__in=[Application.Status.WAITING, Application.Status.OFFERED],
            application__municipality=round_.organisation.municipality,
            application__desired_start__gte=round_.start_from,
            application__desired_start__lte=round_.start_until,
        ).values_list("application_id", flat=True)
        if pk in known
    }
    joined = [
        pk
        for pk in Outcome.objects.filter(round=round_).values_list("application_id", flat=True)
        if pk not in known
    ]
    taking_part = Application.objects.filter(
        pk__in=joined,
        status__in=[
            Application.Status.IN_ALLOCATION,
            Application.Status.OFFERED,
            Application.Status.WAITING,
        ],
    )
    new = engine_io.eligible_applications(
        round_.organisation.municipality, round_.start_from, round_.start_until
    ).filter(status=Application.Status.SUBMITTED)
    # Ids now: once the new ones are "in allocation", ``new`` would no longer find them.
    ids = list(taking_part.values_list("pk", flat=True)) + list(new.values_list("pk", flat=True))
    return Application.objects.filter(pk__in=ids + sorted(late_wishes))


@transaction.atomic  # inside round_rerun's transaction
def _with_late_applications(round_: Round, actor: User | None) -> tuple[Snapshot, Snapshot | None]:
    """The round's snapshot plus the late applications (read now, appended as rows), and the
    snapshot of the late applications alone (None if there are none; the run stores it).

    A late application for the round's months joins the round at its next re-run: it is
    frozen ("in allocation") like the others and competes with its priority for the seats
    still free or freed later — offers already made and accepted places are never taken away
    (docs/allocation.md, "Intake through the year"). An on-time application that added a
    wish after the deadline is read as well; only that wish is appended to its frozen row
    (``engine_io.merge_snapshots``), ranked after every frozen wish at its facility. The stored
    snapshot stays as published, so the certificate of the publication still certifies it;
    each re-run's record and certificate include the rows it read afresh.
    """
    snapshot = _frozen(round_)
    late = _late_applications(round_, snapshot)
    if not late.exists():
        return snapshot, None
    applications_begin_allocation(
        actor=actor,
        municipality=round_.organisation.municipality,
        applications=late.filter(status=Application.Status.SUBMITTED),
    )
    extra = engine_io.take_snapshot(late)
    return engine_io.merge_snapshots(snapshot, extra), extra


def _published_rounds_covering(municipality: str, month: dt.date) -> list[int]:
    """Published rounds of the municipality whose months include ``month`` (newest first)."""
    return list(
        Round.objects.filter(
            status=Round.Status.PUBLISHED,
            organisation__municipality=municipality,
            start_from__lte=month,
            start_until__gte=month,
        )
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)
    )


def schedule_rerun_for_application(application: Application) -> None:
    """A late application for the months of a published round: re-run the newest such round
    once the submission commits, so that the child competes for the free seats at once."""
    rounds = _published_rounds_covering(application.municipality, application.desired_start)
    if rounds:
        transaction.on_commit(partial(rerun_round_task.enqueue, round_id=rounds[0]))


def schedule_rerun_for_seats(quota: SeatQuota) -> None:
    """New seats: re-run every published round of the facility's municipality whose children
    can use them (the seats are free from the quota's month on) once the change commits."""
    from lotse.applications.services import facility_municipality

    municipality = facility_municipality(quota.facility)
    round_ids = Round.objects.filter(
        status=Round.Status.PUBLISHED,
        organisation__municipality=municipality,
        start_until__gte=quota.start_month,
    ).values_list("pk", flat=True)
    for round_id in round_ids:
        transaction.on_commit(partial(rerun_round_task.enqueue, round_id=round_id))


class HeldOffer(NamedTuple):
    """An open offer a child in play holds: what a re-run reads of it (no model instances:
    tens of thousands of them on offers day)."""

    pk: int
    application_id: int
    facility_id: int
    quota_id: int
    wish_rank: int | None
    seats: int


@dataclass(frozen=True)
class _InPlay:
    """The snapshot rows a re-run reconsiders, with what each of them holds."""

    rows: np.ndarray  # snapshot rows: children still waiting or holding an open offer
    max_rank: np.ndarray  # wishes cut at the offered one (0 = all wishes)
    current: np.ndarray  # facility of the open offer (-1 = none)
    offers: dict[int, HeldOffer]  # application id → its open offer from this round


def _in_play(round_: Round, snapshot: Snapshot, *, late: Sequence[int] = ()) -> _InPlay:
    app_ids = np.asarray(snapshot["application"], dtype=np.int64)
    waiting = set(
        Application.objects.filter(
            outcomes__round=round_, status=Application.Status.WAITING
        ).values_list("pk", flat=True)
    )
    # Late applications joining now have no outcome yet; they take part like waiting ones.
    waiting |= set(
        Application.objects.filter(
            pk__in=list(late), status=Application.Status.IN_ALLOCATION
        ).values_list("pk", flat=True)
    )
    offers = {
        row[1]: HeldOffer(*row)
        for row in Offer.objects.filter(
            outcomes__round=round_, status=Offer.Status.OFFERED
        ).values_list("pk", "application_id", "facility_id", "quota_id", "wish_rank", "seats")
    }
    rows = np.flatnonzero([a in waiting or a in offers for a in app_ids.tolist()]).astype(np.int64)
    in_play = app_ids[rows].tolist()
    held = [offers.get(a) for a in in_play]
    declined = _declined_ranks(round_)
    held_cut = np.asarray([_wish_cut(o, None) for o in held], dtype=np.int64)
    declined_cut = np.asarray([_wish_cut(None, declined.get(a)) for a in in_play], dtype=np.int64)
    # A sibling group shares the cut of what its members hold; a declined wish ends for the
    # member who declined it whatever the group holds (the group then takes part apart in
    # this run, engine_io._sibling_groups: its lists differ).
    max_rank = _tighter(_group_cuts(snapshot, rows, held_cut), declined_cut)
    return _InPlay(
        rows=rows,
        max_rank=max_rank,
        current=np.asarray([o.facility_id if o else -1 for o in held], dtype=np.int64),
        offers=offers,
    )


def _held_quotas(snapshot: Snapshot, play: _InPlay) -> np.ndarray:
    """Quota id of the open offer each child in play holds (0 = none): which seats at its
    facility it holds — its band's or the mixed group's (engine_io.build)."""
    apps = np.asarray(snapshot["application"], dtype=np.int64)[play.rows].tolist()
    return np.asarray(
        [play.offers[a].quota_id if a in play.offers else 0 for a in apps], dtype=np.int64
    )


def _group_cuts(snapshot: Snapshot, rows: np.ndarray, max_rank: np.ndarray) -> np.ndarray:
    """Cut the wishes of sibling group members in play at the same rank, so that the group
    keeps one shared list: the worst offer any member holds, or none if one holds none.
    (Each member keeps its own offer as its current place, which it cannot lose.)"""
    raw = snapshot.get("group")
    if not raw:
        return max_rank
    gid = np.asarray(raw, dtype=np.int64)[rows]
    out = max_rank.copy()
    for key in np.unique(gid[gid > 0]).tolist():
        ms = np.flatnonzero(gid == key)
        cut = 0 if np.any(max_rank[ms] == 0) else int(max_rank[ms].max())
        out[ms] = cut
    return out


def _tighter(cut: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The shorter of two wish cuts per child (0 = no cut)."""
    return np.where(cut == 0, other, np.where(other == 0, cut, np.minimum(cut, other)))


def _declined_ranks(round_: Round) -> dict[int, int]:
    """Application id → the best wish rank it declined an offer for (its wishes end there)."""
    out: dict[int, int] = {}
    rows = Offer.objects.filter(
        application__outcomes__round=round_, status=Offer.Status.DECLINED, wish_rank__gte=1
    ).values_list("application_id", "wish_rank")
    for app_id, rank in rows:
        if rank:
            out[app_id] = min(rank, out.get(app_id, rank))
    return out


def _wish_cut(held: HeldOffer | None, declined_rank: int | None) -> int:
    """How many of a child's wishes a re-run keeps (0 = all): up to the offer it holds (it can
    only move up), and above a declined offer (declining ends that wish and every lower one,
    applications.services.offer_decline)."""
    cuts = [held.wish_rank or 0] if held else []
    if declined_rank:
        cuts.append(declined_rank - 1)
    cuts = [c for c in cuts if c > 0]
    return min(cuts) if cuts else 0


def _live_free_seats(
    quota_ids: list[int], held: dict[int, int], *, held_places: dict[int, int] | None = None
) -> dict[int, int]:
    """Free places per quota now: capacity − taken − the places of open offers not held by
    children in play (``held``: offer id → quota id of the offers the children in play hold;
    ``held_places``: offer id → the places it holds, 1 where not given). An under-3 child's
    offer in a mixed group holds its weight (``Offer.seats``)."""
    wanted = set(quota_ids)
    facility_ids = (
        set(SeatQuota.objects.filter(pk__in=quota_ids).values_list("facility_id", flat=True))
        if len(quota_ids) < 5000
        else None
    )
    quotas = SeatQuota.objects.all()
    offers = Offer.objects.filter(status=Offer.Status.OFFERED)
    if facility_ids is not None:
        quotas = quotas.filter(facility_id__in=facility_ids)
        offers = offers.filter(facility_id__in=facility_ids)
    free = {
        pk: cap - taken
        for pk, cap, taken in quotas.values_list("pk", "capacity", "taken")
        if pk in wanted
    }
    for pk, quota_id, seats in offers.values_list("pk", "quota_id", "seats"):
        if quota_id in free and pk not in held:
            free[quota_id] -= seats
    # Offers and seat counters are read at different moments: a family accepting its held
    # offer in between is counted in ``taken`` and still holds its place in the instance,
    # which then needs a seat more than "free" (the engine refuses: "every current place must
    # fit"). The holders' places are never more than what is really there, so the larger of
    # the two never oversells; at worst a freed seat waits for the next re-run.
    places = held_places or {}
    holders: Counter[int] = Counter()
    for pk, quota_id in held.items():
        holders[quota_id] += places.get(pk, 1)
    return {pk: max(v, holders[pk], 0) for pk, v in free.items()}


def schedule_rerun_for_offer(offer: Offer) -> None:
    """After a decline or expiry: re-run the offer's published round once the change commits."""
    round_ids = list(
        Outcome.objects.filter(offer=offer, round__status=Round.Status.PUBLISHED).values_list(
            "round_id", flat=True
        )
    )
    for round_id in round_ids:
        transaction.on_commit(partial(rerun_round_task.enqueue, round_id=round_id))


# --------------------------------------------------------------------------- tasks


@task()
def rerun_round_task(round_id: int) -> dict[str, int]:
    round_ = Round.objects.filter(pk=round_id, status=Round.Status.PUBLISHED).first()
    if round_ is None:
        return {}
    try:
        return round_rerun(actor=None, round_=round_)
    except RerunCrowded:
        from django.tasks import default_task_backend

        if not default_task_backend.supports_defer:
            raise
        # Families kept answering the offers this run would replace: try again shortly, so
        # the freed seat does not wait for the next decline.
        rerun_round_task.using(
            run_after=timezone.now() + dt.timedelta(seconds=RERUN_RETRY_SECONDS)
        ).enqueue(round_id=round_id)
        return {}


#: Seconds a re-run waits after families kept answering while it ran.
RERUN_RETRY_SECONDS = 30


@task()
def sync_free_places_task(facility_ids: list[int]) -> None:
    sync_free_places(facility_ids)


@task()
def notify_round_task(round_id: int, application_ids: list[int]) -> int:
    """Mail every family of a run: the offer with its deadline, or the waiting list."""
    sent = 0
    for chunk in chunks(application_ids, 500):
        outcomes = Outcome.objects.filter(
            round_id=round_id, application_id__in=chunk
        ).select_related("application__child", "offer__facility")
        for outcome in outcomes:
            sent += notify_outcome(outcome.application, outcome.offer)
    return sent


__all__ = [
    "round_create",
    "round_publish",
    "round_publish_preview",
    "round_rerun",
    "round_simulate",
    "round_snapshot",
    "round_update",
    "rules_publish_seed",
    "rules_save",
    "schedule_rerun_for_offer",
]
