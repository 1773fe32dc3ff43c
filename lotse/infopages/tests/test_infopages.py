"""Information pages: versions, preview, publishing, restore, language fallback, feedback."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lotse.accounts.models import Organisation, Role
from lotse.infopages import services
from lotse.infopages.models import AccessibilityFeedback, InfoPage, PageVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def jugendamt(make_org):
    return make_org(kind=Organisation.Kind.JUGENDAMT)


@pytest.fixture
def planner(make_user, jugendamt):
    return make_user(role=Role.PLANNER, organisation=jugendamt)


@pytest.fixture
def costs():
    return InfoPage.objects.create(slug="kosten", kind=InfoPage.Kind.COSTS, position=20)


def test_every_save_is_a_version_and_only_published_ones_are_public(planner, costs, client):
    v1 = services.page_version_save(
        actor=planner,
        page=costs,
        language="de",
        title="Kosten",
        body="| Stunden | Euro |\n|---|---:|\n| 25 | 0 |",
    )
    assert client.get("/info/kosten/").status_code == 404  # nothing published yet
    services.page_version_publish(actor=planner, version=v1)
    v2 = services.page_version_save(
        actor=planner,
        page=costs,
        language="de",
        title="Kosten",
        body="| Stunden | Euro |\n|---|---:|\n| 25 | 10 |",
    )
    html = client.get("/info/kosten/", headers={"accept-language": "de"}).content.decode()
    assert '<td align="right">0</td>' in html  # the public still sees version 1
    assert (v1.number, v2.number) == (1, 2)
    services.page_version_publish(actor=planner, version=v2)
    html = client.get("/info/kosten/", headers={"accept-language": "de"}).content.decode()
    assert '<td align="right">10</td>' in html  # a new fee table without any code change
    assert "Kosten" in client.get("/", headers={"accept-language": "de"}).content.decode()  # footer


def test_restore_brings_an_old_text_back_as_a_new_version(planner, costs):
    old = services.page_version_save(
        actor=planner, page=costs, language="de", title="A", body="alt"
    )
    services.page_version_save(actor=planner, page=costs, language="de", title="B", body="neu")
    restored = services.page_version_restore(actor=planner, version=old)
    assert (restored.number, restored.body, restored.published_at) == (3, "alt\n", None)
    assert PageVersion.objects.filter(page=costs).count() == 3


def test_only_the_jugendamt_edits(make_user, costs):
    parent = make_user()
    with pytest.raises(PermissionDenied):
        services.page_version_save(actor=parent, page=costs, language="de", title="x", body="y")


def test_editor_pages_preview_diff_and_publish(planner, costs, client_for):
    client = client_for(planner)
    url = reverse("infopages:edit", args=["kosten", "ar"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "التكاليف", "body": "## الرسوم\n\nنص", "note": ""})
    version = PageVersion.objects.get(page=costs, language="ar")
    assert response.status_code == 302 and response.url == reverse(
        "infopages:version", args=[version.pk]
    )
    preview = client.get(response.url).content.decode()
    assert "<h2>الرسوم</h2>" in preview and 'dir="rtl"' in preview  # no level skipped
    client.post(reverse("infopages:publish", args=[version.pk]))
    client.post(url, {"title": "التكاليف", "body": "## الرسوم\n\nنص جديد", "note": "x"})
    newer = PageVersion.objects.filter(page=costs, language="ar").first()
    diff = client.get(reverse("infopages:version", args=[newer.pk])).content.decode()
    assert 'class="diff-add"' in diff and 'class="diff-del"' in diff
    assert client.get(reverse("infopages:manage")).status_code == 200


def test_editor_pages_are_hidden_from_others(make_user, client_for, costs):
    assert client_for(make_user()).get(reverse("infopages:manage")).status_code == 403
    assert client_for(None).get(reverse("infopages:manage")).status_code == 302  # to sign-in


def test_page_falls_back_to_german_and_says_so(planner, costs, client):
    v = services.page_version_save(
        actor=planner, page=costs, language="de", title="Kosten", body="Text"
    )
    services.page_version_publish(actor=planner, version=v)
    html = client.get("/info/kosten/", headers={"accept-language": "fa"}).content.decode()
    assert 'lang="de" dir="ltr"' in html and '<html lang="fa" dir="rtl">' in html


def test_accessibility_feedback_is_stored_mailed_and_confirmed(
    planner, client, django_capture_on_commit_callbacks
):
    page = InfoPage.objects.create(slug="barrierefreiheit", kind=InfoPage.Kind.ACCESSIBILITY)
    v = services.page_version_save(
        actor=planner, page=page, language="de", title="Barrierefreiheit", body="Text"
    )
    services.page_version_publish(actor=planner, version=v)
    assert 'action="/info/feedback/"' in client.get("/info/barrierefreiheit/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/info/feedback/",
            {
                "message": "Der Kartenknopf ist mit Tastatur nicht erreichbar.",
                "email": "Hana@test.example",
            },
            headers={"accept-language": "tr"},
        )
    assert response.status_code == 200
    feedback = AccessibilityFeedback.objects.get()
    assert feedback.language == "tr" and feedback.email == "hana@test.example"
    to = {tuple(m.to) for m in mail.outbox}
    assert (planner.email,) in to and ("hana@test.example",) in to
    confirmation = next(m for m in mail.outbox if m.to == ["hana@test.example"])
    assert (
        "Flensburg" in confirmation.body
        or "engel" in confirmation.subject.lower()
        or confirmation.subject
    )


def test_empty_feedback_gets_an_error_not_a_500(planner, client):
    page = InfoPage.objects.create(slug="barrierefreiheit", kind=InfoPage.Kind.ACCESSIBILITY)
    v = services.page_version_save(actor=planner, page=page, language="de", title="B", body="T")
    services.page_version_publish(actor=planner, version=v)
    response = client.post("/info/feedback/", {"message": ""})
    assert response.status_code == 400 and not AccessibilityFeedback.objects.exists()


def test_demo_content_exists_in_every_language():
    from django.conf import settings

    from lotse.infopages import demo

    demo.load()
    for slug, _kind, _position in demo.PAGES:
        languages = set(
            PageVersion.objects.filter(page__slug=slug).values_list("language", flat=True)
        )
        assert languages == {code for code, _ in settings.LANGUAGES}, slug


def test_index_lists_published_pages_in_the_readers_language(planner, costs, client):
    v = services.page_version_save(
        actor=planner, page=costs, language="uk", title="Витрати", body="x"
    )
    services.page_version_publish(actor=planner, version=v)
    html = client.get(
        reverse("infopages:index"), headers={"accept-language": "uk"}
    ).content.decode()
    assert "Витрати" in html
