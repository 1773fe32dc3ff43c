"""Reads for news. The public sees published posts whose publication time has come; editors
see their own organisations' posts (another organisation's post is a 404)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation

from lotse.accounts.models import STAFF_ROLES, Organisation, User
from lotse.accounts.selectors import organisations_for_user

from .models import File, Post, PostTopic, PostTranslation, Subscription

#: Who may write and publish news for an organisation: every staff role of that organisation
#: (coordinators of associations, networks and funders, counsellors of a counselling service,
#: the Jugendamt's planners and administrators, the staff of a facility that is a model site).
#: Each acts only for the organisations of their own memberships; parents never.
EDITOR_ROLES = tuple(sorted(str(role) for role in STAFF_ROLES))


@dataclass(frozen=True)
class NewsQuery:
    """A validated filter of the combined news page (built by ``NewsFilterForm``)."""

    organisation: int | None = None
    topic: str = ""
    district: int | None = None


# --- Public ------------------------------------------------------------------------------------


def _visible(now: datetime | None = None) -> Q:
    return Q(status=Post.Status.PUBLISHED, publish_at__lte=now or timezone.now())


def _public_base() -> QuerySet[Post]:
    return (
        Post.objects.filter(_visible())
        .select_related("organisation", "district")
        .prefetch_related("topics", "translations")
        .order_by("-publish_at", "-id")
    )


def published_posts(query: NewsQuery | None = None) -> QuerySet[Post]:
    """Posts the public sees, newest first, filtered by organisation, topic and district."""
    query = query or NewsQuery()
    qs = _public_base()
    if query.organisation:
        qs = qs.filter(organisation_id=query.organisation)
    if query.topic:
        qs = qs.filter(Exists(PostTopic.objects.filter(post=OuterRef("pk"), topic=query.topic)))
    if query.district:
        qs = qs.filter(district_id=query.district)
    return qs


def latest_posts(limit: int = 3) -> list[Post]:
    return list(_public_base()[:limit])


def get_public_post(pk: int) -> Post:
    """A published post; drafts, scheduled posts and unknown numbers are a 404."""
    return get_object_or_404(
        _public_base().select_related("event", "call", "call__funder", "network__organisation"),
        pk=pk,
    )


def get_post_with_image(user: User, pk: int) -> Post:
    """The post whose image is asked for: a published one, or a draft of the user's own
    organisations (editing and preview show the image before publication)."""
    post = Post.objects.filter(_visible(), pk=pk).first()
    if post is None and user.is_authenticated:
        post = posts_for_editor(user).filter(pk=pk).first()
    if post is None or not post.image:
        raise Http404
    return post


def publishing_organisations() -> QuerySet[Organisation]:
    """Organisations that have published at least one post (the filter's choices)."""
    return Organisation.objects.filter(
        Exists(Post.objects.filter(_visible(), organisation=OuterRef("pk")))
    ).order_by("name")


def get_public_organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug)


def posts_mentioning(
    *, event_id: int | None = None, call_id: int | None = None, network_id: int | None = None
) -> list[Post]:
    """Published posts that point to an event, a programme call or a network."""
    condition = Q()
    if event_id:
        condition |= Q(event_id=event_id)
    if call_id:
        condition |= Q(call_id=call_id)
    if network_id:
        condition |= Q(network_id=network_id)
    if not condition:
        return []
    return list(_public_base().filter(condition)[:5])


def in_language(post: Post, language: str | None = None) -> Post | PostTranslation:
    """The text to show: the translation into ``language`` (default: the page's language)
    when the organisation wrote one, else the original."""
    language = language or translation.get_language() or post.language
    if language == post.language:
        return post
    for item in post.translations.all():
        if item.language == language:
            return item
    return post


def post_languages(post: Post) -> list[str]:
    return [post.language, *(t.language for t in post.translations.all())]


# --- Files and documentation -------------------------------------------------------------------


def _file_is_public() -> Q:
    """A file of a visible post, or documentation of a published (or cancelled) event."""
    now = timezone.now()
    return Q(post__status=Post.Status.PUBLISHED, post__publish_at__lte=now) | Q(
        post__isnull=True, event__status__in=["published", "cancelled"]
    )


def get_public_file(pk: int) -> File:
    return get_object_or_404(File.objects.filter(_file_is_public()), pk=pk)


def public_files_of_post(post: Post) -> list[File]:
    return list(post.files.order_by("kind", "id"))


def files_of_event(event_id: int) -> list[File]:
    return list(File.objects.filter(_file_is_public(), event_id=event_id).order_by("id"))


@dataclass(frozen=True)
class DocumentationEntry:
    title: str
    url: str
    occasion: str
    kind: str
    file_type: str
    size: int
    consent_note: str = ""


@dataclass(frozen=True)
class DocumentationYear:
    year: int
    entries: list[DocumentationEntry]


def documentation_by_year(organisation: Organisation) -> list[DocumentationYear]:
    """The organisation's documentation archive, newest year first.

    Documentation of the organisation's posts and events from this app, and the public
    documents of its events (the events app's documentation after an event).
    """
    from lotse.events.models import Document as EventDocument

    files = (
        File.objects.filter(_file_is_public(), organisation=organisation, is_documentation=True)
        .select_related("post", "event")
        .order_by("-documented_on", "-uploaded_at")
    )
    by_year: dict[int, list[DocumentationEntry]] = defaultdict(list)
    for item in files:
        day = item.documented_on or timezone.localtime(item.uploaded_at).date()
        occasion = item.post.title if item.post else item.event.title  # type: ignore[union-attr]
        by_year[day.year].append(
            DocumentationEntry(
                title=item.title,
                url=reverse("news:file", args=[item.pk]),
                occasion=occasion,
                kind=str(item.get_kind_display()),
                file_type=item.file_type,
                size=item.size,
                consent_note=item.consent_note,
            )
        )
    event_documents = EventDocument.objects.filter(
        event__organiser=organisation,
        event__status__in=["published", "cancelled"],
        visibility=EventDocument.Visibility.PUBLIC,
    ).select_related("event")
    for document in event_documents.order_by("-uploaded_at"):
        by_year[timezone.localtime(document.uploaded_at).year].append(
            DocumentationEntry(
                title=document.title,
                url=reverse("events:document", args=[document.event_id, document.pk]),
                occasion=document.event.title,
                kind="",
                file_type=document.kind,
                size=document.size,
            )
        )
    return [DocumentationYear(year, by_year[year]) for year in sorted(by_year, reverse=True)]


# --- Editors -----------------------------------------------------------------------------------


def editor_organisations(user: User) -> QuerySet[Organisation]:
    """Organisations the user may write news for."""
    return organisations_for_user(user, EDITOR_ROLES).order_by("name")


def may_edit(user: User, organisation: Organisation) -> bool:
    return editor_organisations(user).filter(pk=organisation.pk).exists()


def posts_for_editor(user: User) -> QuerySet[Post]:
    return (
        Post.objects.filter(organisation__in=editor_organisations(user))
        .select_related("organisation", "published_by", "created_by")
        .prefetch_related("topics", "translations")
        .order_by("-updated_at", "-id")
    )


def get_post_for_editor(user: User, pk: int) -> Post:
    return get_object_or_404(
        posts_for_editor(user).prefetch_related(
            Prefetch("files", queryset=File.objects.order_by("id"))
        ),
        pk=pk,
    )


def get_file_for_editor(user: User, pk: int) -> File:
    return get_object_or_404(
        File.objects.filter(organisation__in=editor_organisations(user)), pk=pk
    )


def event_documentation_for_editor(user: User) -> QuerySet[File]:
    return (
        File.objects.filter(organisation__in=editor_organisations(user), event__isnull=False)
        .select_related("event", "organisation")
        .order_by("-uploaded_at")
    )


def events_for_editor(user: User) -> QuerySet:
    """Events of the user's organisations (a post may point to them, documentation may be
    attached to them)."""
    from lotse.events.models import Event

    return Event.objects.filter(organiser__in=editor_organisations(user)).order_by(
        "-registration_opens"
    )


def linkable_events() -> QuerySet:
    """Published events any post may point to (a network's post about a Fachtag, say)."""
    from lotse.events.models import Event

    return Event.objects.filter(status="published").select_related("organiser").order_by("title")


def linkable_calls() -> QuerySet:
    from lotse.networks.models import ProgrammeCall

    return ProgrammeCall.objects.filter(status__in=["published", "closed"]).order_by("-deadline")


def linkable_networks() -> QuerySet:
    from lotse.networks.models import Network

    return (
        Network.objects.filter(visibility=Network.Visibility.PUBLIC)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def subscriber_counts(user: User) -> list[tuple[Organisation, int, int]]:
    """(organisation, confirmed, pending) for the editor's organisations: counts only, the
    addresses are for sending, not for reading."""
    rows = []
    for organisation in editor_organisations(user):
        subs = Subscription.objects.filter(organisation=organisation)
        rows.append(
            (
                organisation,
                subs.filter(confirmed_at__isnull=False).count(),
                subs.filter(confirmed_at__isnull=True).count(),
            )
        )
    return rows


# --- Subscriptions -----------------------------------------------------------------------------


def subscription_by_token(token: str) -> Subscription:
    if not token or len(token) > 64:
        raise Http404
    return get_object_or_404(Subscription.objects.select_related("organisation"), token=token)


def confirmed_subscriptions_after(organisation_id: int, last_id: int) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        organisation_id=organisation_id, confirmed_at__isnull=False, pk__gt=last_id
    ).order_by("pk")


#: The editor's list filters: a scheduled post is published with a time still to come.
POST_STATES = ("draft", "scheduled", "published")


def _state_condition(state: str, now: datetime) -> Q:
    if state == "draft":
        return Q(status=Post.Status.DRAFT)
    scheduled = Q(status=Post.Status.PUBLISHED, publish_at__gt=now)
    return scheduled if state == "scheduled" else Q(status=Post.Status.PUBLISHED) & ~scheduled


def posts_in_state(
    posts: QuerySet[Post], state: str, now: datetime | None = None
) -> QuerySet[Post]:
    """Drafts, scheduled or published posts of ``posts`` (an unknown state: all)."""
    if state not in POST_STATES:
        return posts
    return posts.filter(_state_condition(state, now or timezone.now()))


def post_state_counts(user: User, now: datetime | None = None) -> dict[str, int]:
    """How many of the editor's posts are drafts, scheduled, published, and ``all``."""
    now = now or timezone.now()
    qs = Post.objects.filter(organisation__in=editor_organisations(user)).order_by()
    counts = qs.aggregate(
        **{state: Count("id", filter=_state_condition(state, now)) for state in POST_STATES}
    )
    return {**counts, "all": sum(counts.values())}


def post_state(post: Post, now: datetime | None = None) -> str:
    """``draft``, ``scheduled`` or ``published``, as the list filters them."""
    if post.status == Post.Status.DRAFT:
        return "draft"
    return (
        "scheduled"
        if post.publish_at and post.publish_at > (now or timezone.now())
        else "published"
    )
