"""Declining an offer keeps the wishes ranked higher on their waiting lists; the offered wish and
the lower ones end (docs/applications.md, "Declining an offer"). Declining and withdrawing ask
first and say exactly that."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lotse.allocation.models import Outcome
from lotse.applications import selectors, services
from lotse.applications.models import Application, Offer

from .helpers import apply, committed, jugendamt, next_august, published_round, rules, seats

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(make_org, make_user, make_facility):
    """A and B have one seat each, C two. x (oldest) gets A; y wants A, B, C and gets C
    because z (older than y) holds B."""
    org, planner = jugendamt(make_org, make_user)
    a, b, c = (make_facility(name=n) for n in ("Kita A", "Kita B", "Kita C"))
    start = next_august()
    seats(a, 1, start)
    seats(b, 1, start)
    seats(c, 2, start)
    p = [make_user() for _ in range(3)]
    x = apply(p[0], [a], birth_date=dt.date(start.year - 5, 1, 1))
    z = apply(p[2], [b], birth_date=dt.date(start.year - 5, 2, 1))
    y = apply(p[1], [a, b, c], birth_date=dt.date(start.year - 5, 3, 1))
    round_ = published_round(org, planner, rules(org, planner, criteria=["age"]))
    return {"a": a, "b": b, "c": c, "x": x, "y": y, "z": z, "p": p, "round": round_}


def test_consequences_name_kept_and_ended_wishes(market):
    offer = Offer.objects.get(application=market["y"], status="offered")
    assert offer.facility == market["c"] and offer.wish_rank == 3
    consequences = selectors.decline_consequences(offer)
    assert [w.facility for w in consequences.kept] == [market["a"], market["b"]]
    assert [w.facility for w in consequences.ended] == [market["c"]]
    assert not consequences.closes_application


def test_decline_keeps_higher_wishes_waiting_and_rerun_offers_one(market, mailoutbox):
    y, p = market["y"], market["p"]
    offer = Offer.objects.get(application=y, status="offered")
    with committed():
        services.offer_decline(actor=p[1], offer=offer)
    y.refresh_from_db()
    assert y.status == Application.Status.WAITING  # not closed: A and B stay on the lists
    mail = next(m for m in mailoutbox if "declined" in m.body or "abgelehnt" in m.body)
    assert "Kita A" in mail.body and "Kita B" in mail.body
    # The re-run kept y's higher wishes only: the freed seat at C is not offered back to y.
    assert not Offer.objects.filter(application=y, status="offered").exists()
    outcome = Outcome.objects.get(application=y, round=market["round"])
    assert {r["facility"] for r in outcome.reasons} == {market["a"].pk, market["b"].pk}
    # z declines B: the seat goes to y, whose wish B stayed on the waiting list.
    with committed():
        services.offer_decline(
            actor=p[2], offer=Offer.objects.get(application=market["z"], status="offered")
        )
    new = Offer.objects.get(application=y, status="offered")
    assert new.facility == market["b"] and new.wish_rank == 2


def test_declining_the_first_wish_closes_the_application(market):
    x, p = market["x"], market["p"]
    with committed():
        services.offer_decline(actor=p[0], offer=Offer.objects.get(application=x))
    x.refresh_from_db()
    assert x.status == Application.Status.DECLINED


def test_decline_page_asks_first_and_says_what_happens(client_for, market):
    y, p = market["y"], market["p"]
    offer = Offer.objects.get(application=y, status="offered")
    client = client_for(p[1])
    url = reverse("applications:offer_decline", args=[offer.pk])
    html = client.get(url, headers={"accept-language": "en"}).content.decode()
    kept = html.split("data-kept")[1].split("</ul>")[0]
    ended = html.split("data-ended")[1].split("</ul>")[0]
    assert "Kita A" in kept and "Kita B" in kept and "Kita C" not in kept
    assert "Kita C" in ended
    # A POST without the confirmation (a stray click, an old one-click form) changes nothing.
    client.post(url)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OFFERED
    with committed():
        response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED


def test_status_page_links_to_the_confirmation_not_a_one_click_decline(client_for, market):
    y, p = market["y"], market["p"]
    offer = Offer.objects.get(application=y, status="offered")
    html = client_for(p[1]).get(reverse("applications:detail", args=[y.pk])).content.decode()
    url = reverse("applications:offer_decline", args=[offer.pk])
    assert f'href="{url}"' in html
    assert f'action="{url}"' not in html


def test_offer_for_the_first_wish_shows_no_better_offer_hint(client_for, market):
    x, p = market["x"], market["p"]
    html = (
        client_for(p[0])
        .get(reverse("applications:detail", args=[x.pk]), headers={"accept-language": "en"})
        .content.decode()
    )
    assert "If a seat at a higher wish frees up" not in html
    y_html = (
        client_for(p[1])
        .get(
            reverse("applications:detail", args=[market["y"].pk]), headers={"accept-language": "en"}
        )
        .content.decode()
    )
    assert "If a seat at a higher wish frees up" in y_html


def test_withdraw_asks_first(client_for, market):
    y, p = market["y"], market["p"]
    client = client_for(p[1])
    url = reverse("applications:withdraw", args=[y.pk])
    html = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Kita C" in html and "declined" in html
    client.post(url)
    y.refresh_from_db()
    assert y.status == Application.Status.OFFERED
    with committed():
        client.post(url, {"confirm": "yes"})
    y.refresh_from_db()
    assert y.status == Application.Status.WITHDRAWN
