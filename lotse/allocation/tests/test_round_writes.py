"""What a round writes in bulk (set-based on PostgreSQL, chunked on SQLite): statuses, offers,
outcomes and one audit entry per changed row with its old and new value; a re-run rewrites only
what changed. The suite runs on both databases (CI: SQLite, then PostgreSQL)."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from lotse.allocation.models import Outcome
from lotse.applications import services
from lotse.applications.models import Application, Offer
from lotse.applications.tests.helpers import (
    apply,
    committed,
    jugendamt,
    next_august,
    published_round,
    rules,
    seats,
)


def _log(model, pk):
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_pk=str(pk)
        ).order_by("pk")
    )


def _world(make_org, make_user, make_facility, n=4):
    """Two kitas with one seat each, ``n`` children wishing A then B; apart from them, kita C
    with one seat and two children wishing only C."""
    org, planner = jugendamt(make_org, make_user)
    a, b, c = make_facility(name="A"), make_facility(name="B"), make_facility(name="C")
    for kita in (a, b, c):
        seats(kita, 1, next_august())
    parents = [make_user() for _ in range(n)]
    apps = [apply(p, [a, b], name=f"Kind{i}") for i, p in enumerate(parents)]
    for i in range(2):
        apply(make_user(), [c], name=f"Anders{i}")
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]))
    return planner, parents, apps, round_


def _full_recompute(round_):
    """What a re-run computes for every child in play right now (no digests): reasons without
    the deciding criterion (which names the state of the run that wrote it) and positions."""
    from lotse.allocation import engine_io
    from lotse.allocation.services import _in_play, _live_free_seats

    snapshot = round_.snapshot
    play = _in_play(round_, snapshot)
    prepared = engine_io.build(
        snapshot,
        round_.published_rules,
        rows=play.rows,
        max_rank=play.max_rank,
        current_facility=play.current,
        free=_live_free_seats(
            snapshot["quota"]["id"], {o.pk: o.quota_id for o in play.offers.values()}
        ),
        # The published lottery numbers, as every re-run uses them.
        draws=engine_io.lottery_draws(
            snapshot, len(snapshot["application"]), round_.published_rules.tie_breaking, []
        ),
    )
    result = engine_io.run(prepared)
    waiting = engine_io.waiting_positions(prepared, result)
    keep = ("wish", "reason", "capacity", "higher_priority_count", "room_left")
    out = {}
    for child, app_id in enumerate(prepared.applications.tolist()):
        reasons = [
            {k: (int(r[k]) if k == "facility" else r[k]) for k in keep if k in r}
            | {"facility": int(r["facility"])}
            for r in result.explanations.for_child(child)
        ]
        out[app_id] = (reasons, [{"facility": f, "position": p} for f, p in waiting[child]])
    return out


def test_publish_audits_every_row_with_old_and_new_value(make_org, make_user, make_facility):
    planner, _parents, apps, _round = _world(make_org, make_user, make_facility)
    offers = list(Offer.objects.filter(status=Offer.Status.OFFERED))
    assert len(offers) == 3
    for offer in offers:
        [created] = [e for e in _log(Offer, offer.pk) if e.action == LogEntry.Action.CREATE]
        assert created.actor == planner
        assert created.changes_dict == {
            "status": ["", "offered"],
            "facility": ["", str(offer.facility_id)],
        }
    for app in apps:
        app.refresh_from_db()
        changes = [e.changes_dict["status"] for e in _log(Application, app.pk) if e.actor]
        assert ["submitted", "in_allocation"] in changes
        assert ["in_allocation", app.status] in changes
        assert app.status in (Application.Status.OFFERED, Application.Status.WAITING)
    assert Outcome.objects.count() == len(apps) + 2


def test_rerun_writes_only_the_chain_of_the_freed_seat(make_org, make_user, make_facility):
    _planner, parents, apps, round_ = _world(make_org, make_user, make_facility)
    at_a = Offer.objects.get(status=Offer.Status.OFFERED, facility__name="A")
    holder = parents[[a.pk for a in apps].index(at_a.application_id)]
    before = {o.application_id: (o.run, o.reasons, o.waiting) for o in Outcome.objects.all()}
    entries_before = LogEntry.objects.count()
    with committed():  # the re-run is queued after the decline commits
        services.offer_decline(actor=holder, offer=at_a)
    round_.refresh_from_db()
    assert round_.reruns == 1
    # The seat at A went to the next child in line; whoever held B moved up or kept it.
    new_a = Offer.objects.get(status=Offer.Status.OFFERED, facility__name="A")
    assert new_a.application_id != at_a.application_id
    after = {o.application_id: (o.run, o.reasons, o.waiting) for o in Outcome.objects.all()}
    for app_id, (run, reasons, waiting) in after.items():
        if (reasons, waiting) == before[app_id][1:]:
            assert run == 0, "an unchanged outcome is not rewritten"
        else:
            assert run == 1
    # Audit entries: the declined offer and application, the new offers and the statuses that
    # changed — not one per child of the round.
    written = LogEntry.objects.filter(pk__gt=0).count() - entries_before
    assert 0 < written < 4 + 2 * len(apps)
    # Whatever was not rewritten still says what a full re-run would say now.
    keep = ("wish", "reason", "capacity", "higher_priority_count", "room_left", "facility")
    stored = {o.application_id: o for o in Outcome.objects.all()}
    for app_id, (reasons, waiting) in _full_recompute(round_).items():
        outcome = stored[app_id]
        assert [{k: r[k] for k in keep if k in r} for r in outcome.reasons] == reasons
        assert outcome.waiting == waiting
    # Kita C's children were not part of the chain: not even compared, nothing written.
    assert {
        o.run for o in Outcome.objects.filter(application__child__first_name__startswith="Anders")
    } == {0}
    for offer in Offer.objects.filter(status=Offer.Status.SUPERSEDED):
        assert any(
            e.changes_dict.get("status") == ["offered", "superseded"] for e in _log(Offer, offer.pk)
        )
