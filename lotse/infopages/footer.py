"""Links for every page's footer (found by name by ``lotse.core.context_processors``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language

from .selectors import footer_pages


def footer_links(request: HttpRequest) -> list[tuple[str, str]]:
    language = (get_language() or "de").split("-")[0]
    pages = footer_pages(language)
    return [(reverse("infopages:page", args=[slug]), title) for slug, title in pages]
