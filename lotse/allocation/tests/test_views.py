import datetime as dt

import pytest
from django.urls import reverse

from lotse.accounts.models import Organisation, Role
from lotse.allocation.models import AllocationRules, Round
from lotse.applications.models import Application, Offer
from lotse.applications.tests.helpers import (
    apply,
    committed,
    jugendamt,
    next_august,
    publish,
    seats,
)

pytestmark = pytest.mark.django_db


def test_jugendamt_journey_through_the_pages(client_for, make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    f, g = make_facility(name="Kita Nord"), make_facility(name="Kita Süd")
    seats(f, 1, next_august())
    seats(g, 1, next_august())
    start = next_august()
    for i in range(3):
        apply(make_user(), [f, g], birth_date=dt.date(start.year - 5, 1 + i, 1))
    client = client_for(planner)
    assert client.get(reverse("allocation:index")).status_code == 200
    data = {
        "organisation": org.pk,
        "name": "Nach Alter",
        "max_wishes": 5,
        "answer_days": 10,
        "tie_breaking": "single",
        "is_active": "on",
        "criterion_1": "age",
    }
    response = client.post(reverse("allocation:rules_new"), data)
    assert response.status_code == 302
    by_age = AllocationRules.objects.get(name="Nach Alter")
    data |= {"name": "Nach Datum", "criterion_1": "application_date", "is_active": ""}
    client.post(reverse("allocation:rules_new"), data)
    by_date = AllocationRules.objects.get(name="Nach Datum")
    seed_url = reverse("allocation:rules_publish_seed", args=[by_age.pk])
    assert str(by_age.lottery_seed) in client.get(seed_url).content.decode()
    client.post(seed_url, {"seed": by_age.lottery_seed + 1})  # not the seed shown: refused
    by_age.refresh_from_db()
    assert by_age.seed_published_at is None
    client.post(seed_url, {"seed": by_age.lottery_seed})
    response = client.post(
        reverse("allocation:round_new"),
        {
            "organisation": org.pk,
            "name": "Kita-Jahr",
            "rules": by_age.pk,
            "start_from": f"{start:%Y-%m}",
            "start_until": f"{start:%Y-%m}",
        },
    )
    round_ = Round.objects.get()
    assert response.status_code == 302
    client.post(reverse("allocation:round_snapshot", args=[round_.pk]))
    assert Application.objects.filter(status="in_allocation").count() == 3
    # What if Kita Nord had one more place? All three children get one; nothing is written.
    what_if = reverse("allocation:round_what_if", args=[round_.pk])
    response = client.get(what_if, {"quota": f"{f.pk}:ue3", "seats": 1})
    outcome = response.context["outcome"]
    assert (outcome.placed, outcome.more_placed) == ((2, 3), 1)
    assert "+1" in response.content.decode()
    assert client.get(what_if, {"quota": "nonsense", "seats": 1}).context["outcome"] is None
    assert not Offer.objects.exists()
    client.post(reverse("allocation:round_simulate", args=[round_.pk]), {"rules": by_age.pk})
    client.post(reverse("allocation:round_simulate", args=[round_.pk]), {"rules": by_date.pk})
    html = client.get(reverse("allocation:round_compare", args=[round_.pk])).content.decode()
    assert "Nach Alter" in html and "Nach Datum" in html
    html = client.get(reverse("allocation:round", args=[round_.pk])).content.decode()
    assert "67 %" in html  # 2 of 3 children got their 1st wish… or a place
    # Publishing with an unpublished seed is refused with a clear message.
    review = reverse("allocation:round_publish_review", args=[round_.pk])
    response = client.post(review, {"rules": by_date.pk}, follow=True)
    assert "Startwert" in response.content.decode()
    assert not Offer.objects.exists()
    # Review: the page states what will happen (2 new offers, names), nothing is written yet.
    response = client.post(review, {"rules": by_age.pk}, follow=True)
    page = response.content.decode()
    assert response.context["counts"] == {"gain": 2, "lose": 0, "change": 0, "same": 0}
    gained = {row["child"] for row in response.context["gain"]}
    assert len(gained) == 2 and all(name in page for name in gained)
    assert not Offer.objects.exists()
    publish = reverse("allocation:round_publish", args=[round_.pk])
    client.post(publish, {"confirmation": "forged"})  # not the reviewed run: refused
    assert not Offer.objects.exists()
    with committed():
        client.post(publish, {"confirmation": response.context["digest"]})
    assert Offer.objects.count() == 2
    _certificate_is_downloadable_and_verifies(client, round_, make_org, make_user, client_for)
    with committed():
        response = client.post(reverse("allocation:round_rerun", args=[round_.pk]))
    assert response.status_code == 302
    assert client.get(reverse("allocation:applications")).status_code == 200
    app = Application.objects.first()
    response = client.post(reverse("allocation:urgency", args=[app.pk]), {"urgent": "on"})
    app.refresh_from_db()
    assert app.social_urgency


def test_access(client_for, make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    other_org, other_planner = jugendamt(make_org, make_user, municipality="Kiel")
    from lotse.applications.tests.helpers import rules

    rule_set = rules(org, planner)
    start = next_august()
    from lotse.allocation import services

    round_ = services.round_create(
        actor=planner,
        organisation=org,
        name="R",
        rules=rule_set,
        start_from=start,
        start_until=start,
    )
    app = apply(make_user(), [make_facility()])
    anonymous, parent = client_for(None), client_for(make_user())
    intruder = client_for(other_planner)
    object_urls = [
        reverse("allocation:rules", args=[rule_set.pk]),
        reverse("allocation:round", args=[round_.pk]),
        reverse("allocation:round_compare", args=[round_.pk]),
        reverse("allocation:urgency", args=[app.pk]),
    ]
    post_urls = [
        reverse("allocation:rules_publish_seed", args=[rule_set.pk]),
        reverse("allocation:round_snapshot", args=[round_.pk]),
        reverse("allocation:round_simulate", args=[round_.pk]),
        reverse("allocation:round_publish", args=[round_.pk]),
        reverse("allocation:round_publish_review", args=[round_.pk]),
        reverse("allocation:round_rerun", args=[round_.pk]),
    ]
    list_urls = [
        reverse("allocation:index"),
        reverse("allocation:rules_new"),
        reverse("allocation:round_new"),
        reverse("allocation:applications"),
    ]
    for url in object_urls + list_urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert parent.get(url).status_code == 403, url
    for url in object_urls:
        assert intruder.get(url).status_code == 404, url
    for url in post_urls:
        assert intruder.post(url).status_code == 404, url
        assert parent.post(url).status_code == 403, url
    html = intruder.get(reverse("allocation:applications")).content.decode()
    assert app.child.last_name not in html
    # The published rules are public.
    assert anonymous.get(reverse("allocation:public_rules")).status_code == 200
    staff = make_user(
        role=Role.FACILITY_STAFF, organisation=make_org(kind=Organisation.Kind.FACILITY)
    )
    assert client_for(staff).get(reverse("allocation:index")).status_code == 403


def _certificate_is_downloadable_and_verifies(client, round_, make_org, make_user, client_for):
    """The published run's certificate: a JSON download that the standalone verifier confirms
    and that names no family; another Jugendamt gets a 404."""
    import json

    from lotse.matching.certificate import verify_certificate

    url = reverse("allocation:round_certificate", args=[round_.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    cert = json.loads(response.content)
    report = verify_certificate(cert)
    assert report.confirmed, report.problems
    assert report.facts["reproduced"] is True
    placed = {c for c, f in cert["assignment"].items() if f is not None}
    offered = {str(pk) for pk in Offer.objects.values_list("application_id", flat=True)}
    assert placed == offered
    assert "@" not in response.content.decode()  # no e-mail addresses, ids only
    _, other_planner = jugendamt(make_org, make_user, municipality="Kiel")
    assert client_for(other_planner).get(url).status_code == 404


def test_exact_method_is_published_stored_and_certified(
    client_for, make_org, make_user, make_facility
):
    """A rule set may choose the exact method; what it publishes is stored on the round and
    the certificate certifies exactly that (verified, not re-run)."""
    import json

    from lotse.allocation import services
    from lotse.applications.tests.helpers import rules
    from lotse.matching.certificate import verify_certificate

    org, planner = jugendamt(make_org, make_user)
    f, g = make_facility(name="Kita Nord"), make_facility(name="Kita Süd")
    start = next_august()
    seats(f, 1, start)
    seats(g, 2, start)
    for i in range(4):
        apply(make_user(), [f, g], birth_date=dt.date(start.year - 5, 1 + i, 1))
    rule_set = rules(org, planner, mechanism="exact")
    assert rule_set.mechanism == "exact"
    round_ = services.round_create(
        actor=planner,
        organisation=org,
        name="R",
        rules=rule_set,
        start_from=start,
        start_until=start,
    )
    services.round_snapshot(actor=planner, round_=round_)
    publish(planner, round_, rule_set, notify=False)
    round_.refresh_from_db()
    stored = round_.published_assignment
    assert stored["mechanism"] == "exact"
    assert stored["exact"]["status"] == "stable"
    offered = {str(a) for a in Offer.objects.values_list("application_id", flat=True)}
    assert {c for c, fac in stored["assignment"].items() if fac is not None} == offered
    response = client_for(planner).get(reverse("allocation:round_certificate", args=[round_.pk]))
    cert = json.loads(response.content)
    assert cert["rules"]["mechanism"] == "exact"
    report = verify_certificate(cert)
    assert report.confirmed, report.problems
    assert report.facts["reproduced"] is None
