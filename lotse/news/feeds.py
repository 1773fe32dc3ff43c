"""Atom feeds (Django's syndication framework): all news, one organisation's, one topic's.

Entries carry the teaser as summary and the sanitised text as HTML content, so feed readers
show the whole post; the ids are the posts' permanent addresses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from lotse.accounts.models import Organisation
from lotse.core.richtext import render_markdown

from . import selectors
from .models import Post, Topic

FEED_SIZE = 30


class AtomWithContent(Atom1Feed):
    """Atom 1.0 with ``<content type="html">`` (Django writes only the summary)."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class NewsFeed(Feed):
    feed_type = AtomWithContent

    def title(self, obj: Any = None) -> str:
        return _("News")

    def subtitle(self, obj: Any = None) -> str:
        return _("News from associations, networks, programmes and the Jugendamt.")

    def link(self, obj: Any = None) -> str:
        return reverse("news:index")

    def query(self, obj: Any) -> selectors.NewsQuery:
        return selectors.NewsQuery()

    def items(self, obj: Any = None) -> list[Post]:
        return list(selectors.published_posts(self.query(obj))[:FEED_SIZE])

    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        return item.teaser

    def item_link(self, item: Post) -> str:
        return reverse("news:detail", args=[item.pk])

    def item_pubdate(self, item: Post) -> datetime | None:
        return item.publish_at

    def item_updateddate(self, item: Post) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Post) -> str:
        return item.organisation.name

    def item_categories(self, item: Post) -> list[str]:
        return [str(t.get_topic_display()) for t in item.topics.all()]

    def item_extra_kwargs(self, item: Post) -> dict[str, Any]:
        return {"content_html": str(render_markdown(item.body))}


class OrganisationFeed(NewsFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Organisation:  # type: ignore[override]
        return selectors.get_public_organisation(slug)

    def title(self, obj: Organisation | None = None) -> str:
        return _("News from %(name)s") % {"name": obj.name if obj else ""}

    def link(self, obj: Organisation | None = None) -> str:
        return reverse("news:organisation", args=[obj.slug]) if obj else reverse("news:index")

    def query(self, obj: Organisation) -> selectors.NewsQuery:
        return selectors.NewsQuery(organisation=obj.pk)


class TopicFeed(NewsFeed):
    def get_object(self, request: HttpRequest, topic: str) -> str:  # type: ignore[override]
        if topic not in Topic.values:
            raise Http404
        return topic

    def title(self, obj: str | None = None) -> str:
        label = Topic(obj).label if obj else ""
        return _("News on %(topic)s") % {"topic": label}

    def link(self, obj: str | None = None) -> str:
        return reverse("news:index") + (f"?topic={obj}" if obj else "")

    def query(self, obj: str) -> selectors.NewsQuery:
        return selectors.NewsQuery(topic=obj)
