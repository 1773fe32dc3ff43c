"""Reads of information pages: what the public sees, and what editors may change."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from lotse.accounts.models import Role, User
from lotse.accounts.selectors import user_has_role

from .models import InfoPage, PageVersion

#: Who may write information pages: the Jugendamt's planners and administrators.
EDITOR_ROLES = (Role.PLANNER, Role.ADMIN)


@dataclass(frozen=True)
class ShownPage:
    page: InfoPage
    version: PageVersion
    #: False when the page does not exist in the reader's language yet and another is shown.
    in_requested_language: bool


def can_edit(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user_has_role(user, EDITOR_ROLES))


def published_version(page: InfoPage, language: str) -> PageVersion | None:
    return (
        page.versions.filter(language=language, published_at__isnull=False)
        .order_by("-published_at", "-number")
        .first()
    )


def shown_page(slug: str, language: str) -> ShownPage:
    """The published page in ``language``; else German, else English; 404 when none exists."""
    page = InfoPage.objects.filter(slug=slug).first()
    if page is None:
        raise Http404
    for candidate in dict.fromkeys([language, settings.LANGUAGE_CODE, "en"]):
        version = published_version(page, candidate)
        if version is not None:
            return ShownPage(page, version, candidate == language)
    raise Http404


def page_list(language: str) -> list[ShownPage]:
    """Every page that is published in some language, for the index and the footer."""
    shown = []
    for page in InfoPage.objects.all():
        try:
            shown.append(shown_page(page.slug, language))
        except Http404:
            continue
    return shown


def footer_pages(language: str) -> list[tuple[str, str]]:
    """(slug, title) of the footer's pages in ``language``: two queries, whatever the count."""
    pages = list(InfoPage.objects.filter(in_footer=True))
    versions = PageVersion.objects.filter(
        page__in=pages, published_at__isnull=False, language__in={language, settings.LANGUAGE_CODE}
    ).order_by("published_at", "number")
    titles: dict[tuple[int, str], str] = {(v.page_id, v.language): v.title for v in versions}
    result = []
    for page in pages:
        title = titles.get((page.pk, language)) or titles.get((page.pk, settings.LANGUAGE_CODE))
        if title:
            result.append((page.slug, title))
    return result


def versions_of(page: InfoPage, language: str) -> QuerySet[PageVersion]:
    return page.versions.filter(language=language).select_related("created_by")


def editable_version(user: User, pk: int) -> PageVersion:
    if not can_edit(user):
        raise Http404
    version = PageVersion.objects.select_related("page").filter(pk=pk).first()
    if version is None:
        raise Http404
    return version
