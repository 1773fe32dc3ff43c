"""Public pages, editor pages and who may open them; JSON-LD; bad input through the forms."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lotse.news import services
from lotse.news.models import Post

from .conftest import png_upload

pytestmark = pytest.mark.django_db


def test_public_pages(client, make_post, association):
    post = make_post()
    assert client.get(reverse("news:index")).status_code == 200
    page = client.get(reverse("news:detail", args=[post.pk]))
    assert page.status_code == 200
    assert "<strong>Galerie-Rundgang</strong>" in page.content.decode()
    organisation = client.get(reverse("news:organisation", args=[association.slug]))
    assert post.title in organisation.content.decode()


def test_drafts_and_scheduled_posts_are_404_for_the_public(client, make_post):
    draft = make_post(publish=False, title="Entwurf")
    later = make_post(title="Später", publish_at=timezone.now() + timedelta(days=1))
    for post in (draft, later):
        assert client.get(reverse("news:detail", args=[post.pk])).status_code == 404
    listing = client.get(reverse("news:index")).content.decode()
    assert "Entwurf" not in listing and "Später" not in listing


def test_filters(client, make_post, other_editor, other_org):
    make_post(title="Kita-Fachtag", topics=("training",))
    make_post(
        title="Netzwerk gestartet", topics=("networks",), actor=other_editor, organisation=other_org
    )
    by_topic = client.get(reverse("news:index"), {"topic": "networks"}).content.decode()
    assert "Netzwerk gestartet" in by_topic and "Kita-Fachtag" not in by_topic
    by_org = client.get(reverse("news:index"), {"organisation": other_org.pk}).content.decode()
    assert "Netzwerk gestartet" in by_org and "Kita-Fachtag" not in by_org
    # A broken filter is a message, not an error page.
    assert client.get(reverse("news:index"), {"organisation": "x"}).status_code == 200


def test_jsonld_news_article_and_script_escape(client, make_post):
    post = make_post(title="Gefährlich </script><script>alert(1)</script>")
    html = client.get(reverse("news:detail", args=[post.pk])).content.decode()
    assert "</script><script>alert(1)" not in html
    block = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    data = json.loads(block[1])
    assert data["@type"] == "NewsArticle"
    assert data["headline"].startswith("Gefährlich </script>")
    assert data["publisher"]["name"] == post.organisation.name


def test_translation_shown_in_its_language_and_direction(client, make_post, editor):
    post = make_post()
    services.translation_save(
        actor=editor, post=post, language="ar", title="لطفلك الحق", teaser="نص", body="نص"
    )
    html = client.get(reverse("news:detail", args=[post.pk]), {"lang": "ar"}).content.decode()
    assert 'lang="ar" dir="rtl"' in html and "لطفلك الحق" in html


def test_post_points_to_event_with_dates_and_register_button(client, make_post, association):
    from lotse.events.models import Event, Session

    now = timezone.now()
    event = Event.objects.create(
        organiser=association,
        title="Fachtag EKiZ",
        topic="network",
        capacity=100,
        status=Event.Status.PUBLISHED,
        registration_opens=now - timedelta(days=1),
        registration_closes=now + timedelta(days=10),
    )
    Session.objects.create(
        event=event, starts_at=now + timedelta(days=12), ends_at=now + timedelta(days=12, hours=6)
    )
    post = make_post(event_id=event.pk)
    html = client.get(reverse("news:detail", args=[post.pk])).content.decode()
    assert reverse("events:detail", args=[event.pk]) + "#register-heading" in html
    # … and the event's page links back to the post.
    event_page = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert reverse("news:detail", args=[post.pk]) in event_page


def test_home_page_shows_the_latest_three(client, make_post):
    for n in range(4):
        make_post(title=f"Beitrag {n}")
    html = client.get("/").content.decode()
    assert "Beitrag 3" in html and "Beitrag 1" in html and "Beitrag 0" not in html


EDITOR_URLS = [
    ("news:manage", False, "get"),
    ("news:post_create", False, "get"),
    ("news:documentation", False, "get"),
    ("news:post_edit", True, "get"),
    ("news:post_preview", True, "get"),
    ("news:post_publish", True, "post"),
    ("news:post_unpublish", True, "post"),
    ("news:post_delete", True, "post"),
    ("news:file_add", True, "post"),
]


@pytest.mark.parametrize(("name", "with_post", "method"), EDITOR_URLS)
def test_editor_pages_access(
    name, with_post, method, client_for, make_post, editor, other_editor, parent
):
    post = make_post(publish=False)
    url = reverse(name, args=[post.pk] if with_post else [])
    anonymous = getattr(client_for(None), method)(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert getattr(client_for(parent), method)(url).status_code == 403
    if with_post:
        assert getattr(client_for(other_editor), method)(url).status_code == 404
    assert getattr(client_for(editor), method)(url).status_code in (200, 302, 422)


def test_translation_and_file_urls_of_another_organisation_are_404(
    client_for, make_post, editor, other_editor
):
    post = make_post()
    services.translation_save(actor=editor, post=post, language="en", title="T", teaser="x")
    other = client_for(other_editor)
    assert other.get(reverse("news:translation_edit", args=[post.pk, "en"])).status_code == 404
    assert other.post(reverse("news:translation_delete", args=[post.pk, "en"])).status_code == 404


def test_writing_through_the_form_with_bad_input_shows_errors(client_for, editor, association):
    client = client_for(editor)
    response = client.post(
        reverse("news:post_create"),
        {
            "organisation": association.pk,
            "title": "T" * 10_000,
            "teaser": "kurz",
            "body": "<script>alert(1)</script>",
            "language": "de",
            "audience": "public",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html
    assert Post.objects.count() == 0
    response = client.post(
        reverse("news:post_create"),
        {
            "organisation": association.pk,
            "title": "Mit Bild",
            "teaser": "kurz",
            "body": "ok",
            "language": "de",
            "audience": "public",
            "image": png_upload(),
        },
    )
    assert response.status_code == 200 and Post.objects.count() == 0  # no alternative text


def test_write_preview_publish_through_the_pages(client_for, editor, association, client):
    editor_client = client_for(editor)
    response = editor_client.post(
        reverse("news:post_create"),
        {
            "organisation": association.pk,
            "title": "Neue Fortbildungen",
            "teaser": "Das Programm für das Frühjahr.",
            "body": "# Programm\n\n- Kinderschutz\n- Sprache",
            "language": "de",
            "audience": "professionals",
            "topics": ["training"],
            "image": png_upload(),
            "image_alt": "Programmheft auf einem Tisch",
        },
    )
    post = Post.objects.get()
    assert response.status_code == 302
    preview = editor_client.get(reverse("news:post_preview", args=[post.pk]))
    assert "<h2>Programm</h2>" in preview.content.decode()
    assert client.get(reverse("news:detail", args=[post.pk])).status_code == 404
    editor_client.post(reverse("news:post_publish", args=[post.pk]), {"publish_at": ""})
    page = client.get(reverse("news:detail", args=[post.pk]))
    assert page.status_code == 200
    assert 'alt="Programmheft auf einem Tisch"' in page.content.decode()
    assert client.get(reverse("news:image", args=[post.pk]))["Content-Type"] == "image/png"


def test_api_lists_published_posts_only(client, make_post):
    make_post(title="Öffentlich")
    make_post(title="Entwurf", publish=False)
    data = client.get("/api/v1/news/posts").json()
    assert [r["title"] for r in data["results"]] == ["Öffentlich"]
    assert client.get(f"/api/v1/news/posts/{data['results'][0]['id']}").status_code == 200
