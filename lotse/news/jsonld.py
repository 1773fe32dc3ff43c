"""schema.org ``NewsArticle`` of a post for search engines (escaped for the script block by the
``jsonld`` template filter, so a title containing ``</script>`` cannot end the block)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from lotse.core.richtext import plain_text

from .models import Post, PostTranslation


def post_jsonld(post: Post, text: Post | PostTranslation, request: HttpRequest) -> dict[str, Any]:
    url = request.build_absolute_uri(reverse("news:detail", args=[post.pk]))
    organisation = {"@type": "Organization", "name": post.organisation.name}
    if post.organisation.website:
        organisation["url"] = post.organisation.website
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": text.title[:110],
        "description": text.teaser,
        "articleBody": plain_text(text.body),
        "inLanguage": getattr(text, "language", post.language),
        "datePublished": post.publish_at.isoformat() if post.publish_at else None,
        "dateModified": post.updated_at.isoformat(),
        "author": organisation,
        "publisher": organisation,
        "keywords": [str(t.get_topic_display()) for t in post.topics.all()],
    }
    if post.image:
        data["image"] = request.build_absolute_uri(reverse("news:image", args=[post.pk]))
    return data
