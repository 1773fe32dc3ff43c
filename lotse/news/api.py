"""Public, read-only API of the news (published posts only; no personal data)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from lotse.core.forms import MAX_INTEGER
from lotse.core.richtext import render_markdown

from .models import Post, Topic
from .selectors import NewsQuery, get_public_post, published_posts

router = Router(tags=["news"])
PAGE_SIZE = 50


class NewsFilter(Schema):
    organisation: int | None = Field(None, ge=1, le=MAX_INTEGER)
    topic: str | None = None
    district: int | None = Field(None, ge=1, le=MAX_INTEGER)
    page: int = Field(1, ge=1, le=10_000)


class TranslationOut(Schema):
    language: str
    title: str
    teaser: str


class PostOut(Schema):
    id: int
    url: str
    organisation: str
    organisation_slug: str
    title: str
    teaser: str
    body_html: str
    language: str
    audience: str
    topics: list[str]
    district: str | None
    published_at: datetime | None
    event_id: int | None
    call_id: int | None
    network_id: int | None
    translations: list[TranslationOut]


class PostPage(Schema):
    count: int
    page: int
    pages: int
    results: list[PostOut]


def _out(post: Post) -> dict:
    return {
        "id": post.pk,
        "url": reverse("news:detail", args=[post.pk]),
        "organisation": post.organisation.name,
        "organisation_slug": post.organisation.slug,
        "title": post.title,
        "teaser": post.teaser,
        "body_html": str(render_markdown(post.body)),
        "language": post.language,
        "audience": post.audience,
        "topics": [t.topic for t in post.topics.all()],
        "district": post.district.name if post.district else None,
        "published_at": post.publish_at,
        "event_id": post.event_id,
        "call_id": post.call_id,
        "network_id": post.network_id,
        "translations": [
            {"language": t.language, "title": t.title, "teaser": t.teaser}
            for t in post.translations.all()
        ],
    }


@router.get("/posts", response=PostPage, summary="Published news posts")
def list_posts(request: HttpRequest, filters: Query[NewsFilter]) -> dict:
    topic = filters.topic if filters.topic in Topic.values else ""
    qs = published_posts(
        NewsQuery(organisation=filters.organisation, topic=topic, district=filters.district)
    )
    count = qs.count()
    pages = max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(filters.page, 1), pages)
    rows = qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {"count": count, "page": page, "pages": pages, "results": [_out(p) for p in rows]}


@router.get("/posts/{post_id}", response=PostOut, summary="One published news post")
def get_post(request: HttpRequest, post_id: int) -> dict:
    return _out(get_public_post(post_id))
