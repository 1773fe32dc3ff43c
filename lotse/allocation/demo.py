"""Demo data: seats of the Flensburg Kitas, ~300 families, a published round with offers that
were accepted, declined or expired, a waiting list, a round in progress — and the demo parents
``eltern`` and ``eltern2`` with applications in telling states.

Families are bulk-created (no password, no mails) so that ``make run`` stays fast; the round
itself runs through the real services (snapshot → simulations → publish → re-run).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lotse.accounts.models import User
from lotse.applications.models import (
    Application,
    Child,
    Guardian,
    Offer,
    SeatQuota,
    Wish,
)
from lotse.applications.services import sync_free_places
from lotse.core.demo import DemoContext
from lotse.directory.models import Facility

from . import services
from .models import AllocationRules, Round

ROUND_NAME = "Kita-Jahr {year}/{next} (Demo)"
FIRST_NAMES = [
    "Emma",
    "Mia",
    "Hannah",
    "Ben",
    "Paul",
    "Leon",
    "Lina",
    "Noah",
    "Ella",
    "Finn",
    "Aylin",
    "Elias",
    "Mila",
    "Emil",
    "Ida",
    "Yusuf",
    "Lea",
    "Jonas",
    "Sofia",
    "Mats",
    "Amira",
    "Malte",
    "Frieda",
    "Ole",
    "Nele",
    "Hamza",
    "Greta",
    "Anton",
    "Zeynep",
    "Maja",
    "Oskar",
    "Lotta",
    "Mohammed",
    "Jana",
    "Piet",
]
LAST_NAMES = [
    "Hansen",
    "Jensen",
    "Petersen",
    "Nielsen",
    "Schmidt",
    "Müller",
    "Christiansen",
    "Yılmaz",
    "Kaya",
    "Andersen",
    "Lorenzen",
    "Iwanow",
    "Koval",
    "Haddad",
    "Thomsen",
    "Carstensen",
    "Jacobsen",
    "Demir",
    "Nowak",
    "Brodersen",
]


def _next_august() -> dt.date:
    today = timezone.localdate()
    return dt.date(today.year + (1 if today.month >= 8 else 0), 8, 1)


def load(ctx: DemoContext) -> list[str]:
    # Not one transaction: the round services are entry points with their own (durable) ones.
    org = ctx.organisations.get("jugendamt-flensburg")
    planner = ctx.users.get("planer")
    if org is None or planner is None:
        return []
    start = _next_august()
    name = ROUND_NAME.format(year=start.year, next=start.year + 1)
    if Round.objects.filter(organisation=org, name=name).exists():
        return [f"allocation: demo round “{name}” already loaded"]
    kitas = list(
        Facility.objects.filter(source="flensburg")
        .exclude(seats_under3=0, seats_over3=0, seats_mixed=0)
        .order_by("name")
    )
    if not kitas:
        return ["allocation: no Flensburg Kitas imported, demo round skipped"]
    rng = random.Random(2026)
    _seats(kitas, start)
    standard, by_date = _rules(org, planner)
    families = _families(rng, kitas, start, n=300)
    _demo_parents(ctx, kitas, start)
    round_ = services.round_create(
        actor=planner,
        organisation=org,
        name=name,
        rules=standard,
        start_from=start,
        start_until=start,
    )
    round_ = services.round_snapshot(actor=planner, round_=round_)
    services.round_simulate(actor=planner, round_=round_, rules=standard)
    services.round_simulate(actor=planner, round_=round_, rules=by_date)
    review = services.round_publish_preview(actor=planner, round_=round_, rules=standard)
    round_ = services.round_publish(
        actor=planner,
        round_=round_,
        rules=standard,
        confirmation=review["digest"],
        notify=False,
    )
    answered = _answers(rng, ctx, round_)
    counts = services.round_rerun(actor=planner, round_=round_, notify=False)
    _round_in_progress(ctx, org, planner, standard, kitas, start, rng)
    sync_free_places([k.pk for k in kitas])
    by_status = {s: Application.objects.filter(status=s).count() for s in Application.Status}
    return [
        f"allocation: {families} demo families, round “{name}” published, {answered}; "
        f"re-run gave {counts['offers']} new offers",
        "applications by status: " + ", ".join(f"{k} {v}" for k, v in by_status.items()),
    ]


def _seats(kitas: list[Facility], start: dt.date) -> None:
    quotas = []
    for kita in kitas:
        if kita.seats_under3:
            quotas.append(
                SeatQuota(
                    facility=kita,
                    seat_type="u3",
                    start_month=start,
                    capacity=max(1, kita.seats_under3 // 5),
                )
            )
        if kita.seats_over3:
            quotas.append(
                SeatQuota(
                    facility=kita,
                    seat_type="ue3",
                    start_month=start,
                    capacity=max(1, kita.seats_over3 // 6),
                )
            )
        if kita.seats_mixed:  # the Kitas with mixed groups (1 to 6 years) in the open data
            quotas.append(
                SeatQuota(
                    facility=kita,
                    seat_type="mixed",
                    start_month=start,
                    capacity=max(3, kita.seats_mixed // 4),
                )
            )
    SeatQuota.objects.bulk_create(quotas, ignore_conflicts=True)


def _rules(org, planner) -> tuple[AllocationRules, AllocationRules]:
    standard = AllocationRules.objects.filter(organisation=org, name="Flensburg Standard").first()
    if standard is None:
        standard = services.rules_save(
            actor=planner,
            organisation=org,
            name="Flensburg Standard",
            criteria=["sibling", "social_urgency", "catchment", "employment", "age"],
            max_wishes=5,
            answer_days=14,
            is_active=True,
        )
        standard = services.rules_publish_seed(
            actor=planner, rules=standard, seed=standard.lottery_seed
        )
    by_date = AllocationRules.objects.filter(organisation=org, name="Nach Anmeldedatum").first()
    if by_date is None:
        by_date = services.rules_save(
            actor=planner,
            organisation=org,
            name="Nach Anmeldedatum",
            criteria=["sibling", "social_urgency", "application_date"],
        )
    return standard, by_date


def _app(
    child: Child,
    start: dt.date,
    wishes: list[Facility],
    *,
    user: User | None,
    status: str = "submitted",
    days_ago: int = 30,
    **facts,
) -> Application:
    when = timezone.now() - dt.timedelta(days=days_ago)
    app = Application.objects.create(
        child=child,
        status=status,
        municipality="Flensburg",
        desired_start=start,
        weekly_hours=facts.pop("weekly_hours", 35),
        consent_at=when,
        submitted_at=None if status == "draft" else when,
        created_by=user,
        **facts,
    )
    Wish.objects.bulk_create(
        Wish(application=app, facility=f, rank=i) for i, f in enumerate(wishes, 1)
    )
    return app


def _child(user: User, first: str, last: str, birth: dt.date) -> Child:
    child, _ = Child.objects.get_or_create(first_name=first, last_name=last, birth_date=birth)
    Guardian.objects.get_or_create(child=child, user=user)
    return child


@transaction.atomic
def _demo_parents(ctx: DemoContext, kitas: list[Facility], start: dt.date) -> None:
    """eltern: Can gets an offer (and an explanation); Defne's application is received for
    a later start. eltern2: Mats will accept and have a contract, Frieda waits."""
    by_name = {k.name: k for k in kitas}
    kinderhaus = by_name.get("Kinderhaus", kitas[0])
    # The most sought-after Kitas (first wishes per seat), so the explanation has content.
    demand = {
        k.pk: Wish.objects.filter(facility=k, rank=1).count() / (k.seats_over3 + 1) for k in kitas
    }
    candidates = [k for k in kitas if k != kinderhaus and k.seats_over3]
    busy = sorted(candidates, key=lambda k: -demand[k.pk])[:3]
    eltern, eltern2 = ctx.users.get("eltern"), ctx.users.get("eltern2")
    if eltern is not None:
        can = _child(eltern, "Can", "Yılmaz", dt.date(start.year - 3, 2, 11))
        if not can.applications.exists():
            _app(
                can,
                start,
                [busy[0], busy[1], kinderhaus],
                user=eltern,
                employment=True,
                home_district=kinderhaus.district,
                days_ago=60,
            )
        defne = _child(eltern, "Defne", "Yılmaz", dt.date(start.year - 1, 9, 3))
        if not defne.applications.exists():
            later = dt.date(start.year + 1, 2, 1)
            _app(defne, later, [kinderhaus, busy[2]], user=eltern, weekly_hours=30, days_ago=5)
    if eltern2 is not None:
        mats = _child(eltern2, "Mats", "Petersen", dt.date(start.year - 4, 5, 20))
        if not mats.applications.exists():
            _app(
                mats,
                start,
                [kinderhaus, busy[1]],
                user=eltern2,
                social_urgency=True,
                employment=True,
                single_parent=True,
                days_ago=90,
            )
        frieda = _child(eltern2, "Frieda", "Petersen", dt.date(start.year - 1, 11, 30))
        if not frieda.applications.exists():
            # A Kita without places for under-threes: Frieda waits, and the page says why.
            no_u3 = [k for k in kitas if not k.seats_under3 and not k.seats_mixed] or busy
            _app(frieda, start, no_u3[:2], user=eltern2, days_ago=10)


def _families(rng: random.Random, kitas: list[Facility], start: dt.date, n: int) -> int:
    """Bulk-create ``n`` families with ranked wishes near home (popular Kitas more often)."""
    stamp = timezone.now()
    users = User.objects.bulk_create(
        User(
            email=f"familie{i:03d}@demo.lotse.example",
            full_name=f"Familie {i:03d}",
            password="!",
            language=rng.choice(["de", "de", "de", "en"]),
        )
        for i in range(n)
    )
    children = Child.objects.bulk_create(
        Child(
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            birth_date=start - dt.timedelta(days=rng.randint(400, 5 * 365)),
        )
        for _ in range(n)
    )
    Guardian.objects.bulk_create(
        Guardian(child=c, user=u) for c, u in zip(children, users, strict=True)
    )
    apps = Application.objects.bulk_create(
        Application(
            child=c,
            status="submitted",
            municipality="Flensburg",
            desired_start=start,
            weekly_hours=rng.choice([25, 30, 35, 40, 45]),
            home_district_id=rng.choice(kitas).district_id,
            employment=rng.random() < 0.7,
            single_parent=rng.random() < 0.15,
            social_urgency=rng.random() < 0.04,
            consent_at=stamp,
            submitted_at=stamp - dt.timedelta(days=rng.randint(1, 120)),
            created_by=u,
        )
        for c, u in zip(children, users, strict=True)
    )
    weights = [1 + (k.seats_under3 + k.seats_over3 + k.seats_mixed) / 40 for k in kitas]
    wishes = []
    for app in apps:
        chosen: list[Facility] = []
        for _ in range(rng.randint(1, 5)):
            pick = rng.choices(kitas, weights=weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        wishes += [Wish(application=app, facility=f, rank=i) for i, f in enumerate(chosen, 1)]
    Wish.objects.bulk_create(wishes)
    return n


def _answers(rng: random.Random, ctx: DemoContext, round_: Round) -> str:
    """Most families answered: accept, a few declined, one offer expired, some still open."""
    now = timezone.now()
    offers = list(
        Offer.objects.filter(outcomes__round=round_, status="offered")
        .select_related("application__child")
        .order_by("pk")
    )
    eltern = ctx.users.get("eltern")
    accepted = declined = expired = 0
    for offer in offers:
        names = offer.application.child.guardians.values_list("email", flat=True)
        if eltern is not None and eltern.email in names:
            continue  # Elif still has to answer: she sees her offer on first sign-in
        if "eltern2@lotse.example" in names:
            roll = 0.0
        else:
            roll = rng.random()
        if roll < 0.55:
            _accept(offer, now, confirm=roll < 0.3)
            accepted += 1
        elif roll < 0.65:
            _close(offer, "declined", now)
            declined += 1
        elif roll < 0.68:
            _close(offer, "expired", now)
            expired += 1
    return f"{accepted} offers accepted, {declined} declined, {expired} expired"


def _accept(offer: Offer, now: dt.datetime, *, confirm: bool) -> None:
    # Places, not children: an under-3 child in a mixed group takes its weight.
    SeatQuota.objects.filter(pk=offer.quota_id).update(taken=F("taken") + offer.seats)
    Offer.objects.filter(pk=offer.pk).update(
        status="accepted", answered_at=now, contract_confirmed_at=now if confirm else None
    )
    Application.objects.filter(pk=offer.application_id).update(status="placed")


def _close(offer: Offer, status: str, now: dt.datetime) -> None:
    Offer.objects.filter(pk=offer.pk).update(status=status, answered_at=now)
    Application.objects.filter(pk=offer.application_id).update(status="declined")


def _round_in_progress(ctx, org, planner, rules, kitas, start, rng) -> None:
    """A second, smaller round for February starts with its snapshot taken (in allocation),
    plus a draft and a withdrawn application."""
    february = dt.date(start.year + 1, 2, 1)
    users = User.objects.bulk_create(
        User(
            email=f"familie-feb{i:02d}@demo.lotse.example",
            full_name=f"Familie Feb {i:02d}",
            password="!",
        )
        for i in range(12)
    )
    for i, user in enumerate(users):
        child = _child(
            user,
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            february - dt.timedelta(days=rng.randint(400, 900)),
        )
        status = "draft" if i == 0 else ("withdrawn" if i == 1 else "submitted")
        _app(child, february, rng.sample(kitas, 3), user=user, status=status, days_ago=3)
    r2 = services.round_create(
        actor=planner,
        organisation=org,
        name="Krippe Februar (Demo)",
        rules=rules,
        start_from=february,
        start_until=february,
    )
    # The demo parent's application for February stays "received": it arrived after this
    # snapshot (two days ago, after the other families' applications), a day ago. Its dates
    # say so too, or the status page would call it part of the frozen round.
    defne = Application.objects.filter(child__first_name="Defne", desired_start=february)
    keep = list(defne.values_list("pk", flat=True))
    Application.objects.filter(pk__in=keep).update(status="draft")
    services.round_snapshot(actor=planner, round_=r2)
    now = timezone.now()
    Round.objects.filter(pk=r2.pk).update(snapshot_at=now - dt.timedelta(days=2))
    Application.objects.filter(pk__in=keep).update(
        status="submitted", submitted_at=now - dt.timedelta(days=1)
    )
