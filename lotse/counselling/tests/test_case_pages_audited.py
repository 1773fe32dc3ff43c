"""Every page that shows a counselling case leaves an access entry (issue 13, finding 6).

The test walks every URL of the app that takes a case (``cases/<int:pk>/…``): the detail page
and its sub-pages (edit, contacts, consent, referral, tasks, apply). A new page about a case
that does not record the read fails here.
"""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.urls import URLPattern, get_resolver, reverse

from lotse.counselling.models import Case, Consent

pytestmark = pytest.mark.django_db


def case_pages() -> list[str]:
    resolver = get_resolver()
    names = []
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) != "counselling":
            continue
        for inner in pattern.url_patterns:
            if isinstance(inner, URLPattern) and str(inner.pattern).startswith("cases/<int:pk>"):
                names.append(f"counselling:{inner.name}")
    return sorted(names)


def test_the_walk_finds_the_case_pages():
    assert {
        "counselling:case",
        "counselling:case_edit",
        "counselling:contact_add",
        "counselling:consent_add",
        "counselling:referral_add",
        "counselling:follow_up_add",
        "counselling:apply_on_behalf",
    } <= set(case_pages())


@pytest.mark.parametrize("name", case_pages())
def test_every_page_showing_a_case_is_audit_logged(name, world, open_case, consent, client_for):
    case = open_case()
    consent(case, Consent.Purpose.APPLY_ON_BEHALF)  # so that the "apply" page shows its form
    entries = LogEntry.objects.get_for_model(Case).filter(
        object_pk=str(case.pk), action=LogEntry.Action.ACCESS
    )
    assert not entries.exists()
    response = client_for(world.lotsin2).get(reverse(name, args=[case.pk]))
    assert response.status_code == 200
    assert case.client.alias in response.content.decode()  # the page shows the case …
    assert [e.actor for e in entries] == [world.lotsin2]  # … and records who read it
