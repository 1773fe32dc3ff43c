"""Atom feeds read by a real feed client (feedparser)."""

from __future__ import annotations

import feedparser
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_overall_feed(client, make_post):
    make_post(title="Erster Beitrag", body="Mit **fett** & Umlauten: äöü")
    make_post(title="Entwurf", publish=False)
    feed = _parse(client, reverse("news:feed"))
    titles = [entry.title for entry in feed.entries]
    assert titles == ["Erster Beitrag"]
    entry = feed.entries[0]
    assert entry.summary == "Modellstandorte stellen sich vor."
    assert "<strong>fett</strong>" in entry.content[0].value
    assert entry.link.endswith("/news/" + entry.link.rstrip("/").rsplit("/", 1)[-1] + "/")
    assert entry.author == "Verband der Elterninitiativen"


def test_organisation_and_topic_feeds(client, make_post, other_editor, other_org, association):
    make_post(title="Verband", topics=("policy",))
    make_post(title="Netzwerk", topics=("networks",), actor=other_editor, organisation=other_org)
    org_feed = _parse(client, reverse("news:organisation_feed", args=[other_org.slug]))
    assert [e.title for e in org_feed.entries] == ["Netzwerk"]
    assert other_org.name in org_feed.feed.title
    topic_feed = _parse(client, reverse("news:topic_feed", args=["policy"]))
    assert [e.title for e in topic_feed.entries] == ["Verband"]
    assert client.get(reverse("news:topic_feed", args=["nonsense"])).status_code == 404


def test_feed_escapes_markup_in_titles(client, make_post):
    make_post(title="<script>alert(1)</script> & Co")
    feed = _parse(client, reverse("news:feed"))
    assert feed.entries[0].title == "<script>alert(1)</script> & Co"
    assert b"<script>alert" not in client.get(reverse("news:feed")).content
