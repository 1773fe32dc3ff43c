"""Template helpers of the news app: the text in the page's language, and
the news boxes other pages include (home page, events, programme calls, networks)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import selectors
from ..models import Post, PostTranslation

register = template.Library()


@register.filter
def shown(post: Post) -> Post | PostTranslation:
    """The post's text in the page's language when the organisation translated it."""
    return selectors.in_language(post)


@register.inclusion_tag("news/_mentioning.html")
def news_mentioning(event: Any = None, call: Any = None, network: Any = None) -> dict[str, Any]:
    """Published posts that point to this event, programme call or network."""
    return {
        "posts": selectors.posts_mentioning(
            event_id=getattr(event, "pk", None),
            call_id=getattr(call, "pk", None),
            network_id=getattr(network, "pk", None),
        )
    }
