"""State changes of news: write, translate, attach, publish, withdraw; subscribe with double
opt-in, confirm, unsubscribe; send a published post to the subscribers in batches.

Every editor action checks that the actor may write for the post's organisation, runs in one
durable transaction and is audit-logged by django-auditlog with the actor (``set_actor`` makes
this hold outside requests too). Everything is validated before anything is stored, and a file
written to storage is removed again if the transaction fails, so bad input leaves nothing
half-published. Mails leave through the task worker after the commit.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation, User
from lotse.core.mail import queue_mail
from lotse.core.richtext import validate_markdown
from lotse.core.uploads import DOCUMENTS, IMAGES, MB, UploadPolicy, validate_upload

from . import selectors
from .models import POST_LANGUAGES, TITLE_MAX, File, Mailing, Post, PostTopic, PostTranslation

#: Images are shown on the page: PNG or JPEG up to 5 MB and 40 megapixels. They are decoded
#: and stored anew, which also removes camera metadata (place, time, device) from photos.
IMAGE_POLICY = UploadPolicy(IMAGES.kinds, 5 * MB)
IMAGE_MAX_PIXELS = 40_000_000
#: Attachments and documentation: the project's document policy (office documents, PDF,
#: images, text; 20 MB), without CSV (a data export is no publication).
FILE_POLICY = DOCUMENTS.only(DOCUMENTS.kinds - {"csv"})
#: Subscribers per batch of the mail worker; the next batch is a new task.
BATCH_SIZE = 50
LANGUAGE_CODES = frozenset(code for code, _name in POST_LANGUAGES)


@dataclass(frozen=True)
class PostData:
    title: str
    teaser: str
    body: str = ""
    language: str = "de"
    audience: str = Post.Audience.PUBLIC
    image_alt: str = ""
    image_credit: str = ""
    district_id: int | None = None
    event_id: int | None = None
    call_id: int | None = None
    network_id: int | None = None
    topics: tuple[str, ...] = field(default_factory=tuple)


# --- Checks ------------------------------------------------------------------------------------


def _require_editor(actor: User, organisation: Organisation) -> None:
    if not actor.is_authenticated or not selectors.may_edit(actor, organisation):
        raise PermissionDenied


def _check_text(*, title: str, teaser: str, body: str) -> None:
    """Clear messages per field before the model's own validation (which would report a
    10,000-character title as well, but after the Markdown check of the body)."""
    errors: dict[str, list[ValidationError]] = {}
    if len(title) > TITLE_MAX:
        errors["title"] = [
            ValidationError(
                _("The title is too long (%(length)s characters). The limit is %(limit)s."),
                code="too_long",
                params={"length": len(title), "limit": TITLE_MAX},
            )
        ]
    try:
        validate_markdown(body)
    except ValidationError as exc:
        errors["body"] = [exc]
    if errors:
        raise ValidationError(errors)


def _check_links(data: PostData) -> None:
    if data.event_id and data.call_id:
        raise ValidationError(
            _("A post can point to an event or to a programme call, not to both."), code="both"
        )
    if data.event_id and not selectors.linkable_events().filter(pk=data.event_id).exists():
        raise ValidationError({"event": _("Choose a published event.")})
    if data.call_id and not selectors.linkable_calls().filter(pk=data.call_id).exists():
        raise ValidationError({"call": _("Choose a published programme call.")})
    if data.network_id and not selectors.linkable_networks().filter(pk=data.network_id).exists():
        raise ValidationError({"network": _("Choose a public network.")})


def prepare_image(upload: UploadedFile) -> tuple[ContentFile, str]:
    """Check an uploaded image and store it anew without metadata; (file, kind)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    kind = validate_upload(upload, IMAGE_POLICY)
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            width, height = probe.size
            if width * height > IMAGE_MAX_PIXELS:
                raise ValidationError(
                    _("The image is too large (%(width)s × %(height)s pixels)."),
                    code="too_many_pixels",
                    params={"width": width, "height": height},
                )
            probe.load()
            image = ImageOps.exif_transpose(probe)
            out = io.BytesIO()
            if kind == "jpeg":
                image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
            else:
                image.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("The image could not be read. Please upload a PNG or JPEG photo."), code="broken"
        ) from exc
    finally:
        upload.seek(0)
    return ContentFile(out.getvalue(), name="image"), kind


def _apply(post: Post, data: PostData) -> None:
    for name in (
        "title",
        "teaser",
        "body",
        "language",
        "audience",
        "image_alt",
        "image_credit",
        "district_id",
        "event_id",
        "call_id",
        "network_id",
    ):
        value = getattr(data, name)
        setattr(post, name, value.strip() if isinstance(value, str) else value)


def _set_topics(post: Post, topics: Iterable[str]) -> None:
    wanted = set(topics)
    post.topics.exclude(topic__in=wanted).delete()
    have = set(post.topics.values_list("topic", flat=True))
    for topic in sorted(wanted - have):  # save() per topic: the audit log sees each
        PostTopic.objects.create(post=post, topic=topic)


def _save_post(post: Post, data: PostData, image: UploadedFile | None, remove_image: bool) -> None:
    """Validate everything, then store the image and the row; a failure removes the image."""
    _check_text(title=data.title, teaser=data.teaser, body=data.body)
    _check_links(data)
    _apply(post, data)
    prepared = prepare_image(image) if image is not None else None
    old_image = post.image.name if (prepared or remove_image) and post.image else ""
    if remove_image:
        post.image = ""
        post.image_alt = post.image_alt if prepared else ""
    if prepared is None and not post.image:
        post.image_credit = ""
    if prepared is not None and not post.image_alt:
        raise ValidationError({"image_alt": _("Describe the image for people who cannot see it.")})
    post.full_clean(exclude=["image"])
    stored = ""
    try:
        if prepared is not None:
            content, kind = prepared
            post.image.save(f"image.{'jpg' if kind == 'jpeg' else 'png'}", content, save=False)
            stored = post.image.name or ""
        post.save()
        _set_topics(post, data.topics)
    except Exception:
        if stored:
            post.image.storage.delete(stored)
        raise
    if old_image:
        storage = post.image.storage
        transaction.on_commit(lambda: storage.delete(old_image))


# --- Posts -------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def post_create(
    *,
    actor: User,
    organisation: Organisation,
    data: PostData,
    image: UploadedFile | None = None,
) -> Post:
    """A new post as a draft of ``organisation``."""
    _require_editor(actor, organisation)
    with set_actor(actor):
        post = Post(organisation=organisation, created_by=actor, status=Post.Status.DRAFT)
        _save_post(post, data, image, remove_image=False)
    return post


@transaction.atomic(durable=True)
def post_update(
    *,
    actor: User,
    post: Post,
    data: PostData,
    image: UploadedFile | None = None,
    remove_image: bool = False,
) -> Post:
    """Change a post (also a published one: the public sees the change at once)."""
    _require_editor(actor, post.organisation)
    locked = Post.objects.select_for_update().get(pk=post.pk)
    with set_actor(actor):
        _save_post(locked, data, image, remove_image)
    return locked


@transaction.atomic(durable=True)
def post_publish(*, actor: User, post: Post, publish_at: datetime | None = None) -> Post:
    """Publish now or at ``publish_at`` (scheduled); the subscribers get it by e-mail then.

    The audit log records the status change with the actor; ``published_by`` shows it on the
    editor's pages.
    """
    _require_editor(actor, post.organisation)
    locked = Post.objects.select_for_update().get(pk=post.pk)
    now = timezone.now()
    moment = publish_at or now
    if publish_at is not None and publish_at < now - timedelta(minutes=5):
        raise ValidationError(
            {"publish_at": _("The publication time lies in the past. Leave it empty for now.")}
        )
    _check_text(title=locked.title, teaser=locked.teaser, body=locked.body)
    with set_actor(actor):
        locked.status = Post.Status.PUBLISHED
        locked.publish_at = moment
        locked.published_by = actor
        locked.full_clean(exclude=["image"])
        locked.save(update_fields=["status", "publish_at", "published_by", "updated_at"])
    Mailing.objects.get_or_create(post=locked)
    transaction.on_commit(lambda: _enqueue_mailing(locked.pk, moment))
    return locked


@transaction.atomic(durable=True)
def post_unpublish(*, actor: User, post: Post) -> Post:
    """Take a post back to draft: it disappears from every public page and feed."""
    _require_editor(actor, post.organisation)
    locked = Post.objects.select_for_update().get(pk=post.pk)
    with set_actor(actor):
        locked.status = Post.Status.DRAFT
        locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic(durable=True)
def post_delete(*, actor: User, post: Post) -> None:
    """Delete a draft with its translations and files (published posts are withdrawn first)."""
    _require_editor(actor, post.organisation)
    locked = Post.objects.select_for_update().get(pk=post.pk)
    if locked.status != Post.Status.DRAFT:
        raise ValidationError(_("Withdraw the post before deleting it."), code="published")
    names = [f.file.name for f in locked.files.all()] + [locked.image.name]
    paths = [name for name in names if name]
    storage = locked.image.storage
    with set_actor(actor):
        locked.delete()
    transaction.on_commit(lambda: _delete_files(storage, paths))


# --- Translations ------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def translation_save(
    *,
    actor: User,
    post: Post,
    language: str,
    title: str,
    teaser: str,
    body: str = "",
    image_alt: str = "",
) -> PostTranslation:
    """Add or change the post's text in another language."""
    _require_editor(actor, post.organisation)
    if language not in LANGUAGE_CODES or language == post.language:
        raise ValidationError({"language": _("Choose a language other than the original's.")})
    _check_text(title=title, teaser=teaser, body=body)
    if post.image and not image_alt.strip():
        raise ValidationError({"image_alt": _("Describe the image in this language too.")})
    with set_actor(actor):
        item = PostTranslation.objects.filter(post=post, language=language).first()
        item = item or PostTranslation(post=post, language=language)
        item.title, item.teaser, item.body = title.strip(), teaser.strip(), body
        item.image_alt = image_alt.strip()
        item.full_clean()
        item.save()
    return item


@transaction.atomic(durable=True)
def translation_delete(*, actor: User, item: PostTranslation) -> None:
    _require_editor(actor, item.post.organisation)
    with set_actor(actor):
        item.delete()


# --- Files and documentation -------------------------------------------------------------------


@dataclass(frozen=True)
class FileData:
    title: str
    kind: str = File.Kind.ATTACHMENT
    is_documentation: bool = False
    documented_on: date | None = None
    consent_note: str = ""


@transaction.atomic(durable=True)
def file_add(
    *,
    actor: User,
    upload: UploadedFile,
    data: FileData,
    post: Post | None = None,
    event: Any = None,
) -> File:
    """Attach a file to a post, or documentation to an event of the actor's organisation."""
    if (post is None) == (event is None):
        raise ValueError("a file belongs to a post or to an event")
    organisation = post.organisation if post is not None else event.organiser
    _require_editor(actor, organisation)
    file_type = validate_upload(upload, FILE_POLICY)
    if data.kind == File.Kind.PHOTO and not data.consent_note.strip():
        raise ValidationError(
            {"consent_note": _("Photos of people need a note on their consent to publication.")}
        )
    name = Path(upload.name or "file").name[:150]
    item = File(
        organisation=organisation,
        post=post,
        event=event,
        kind=data.kind,
        title=data.title.strip() or name,
        is_documentation=data.is_documentation or event is not None,
        documented_on=data.documented_on,
        consent_note=data.consent_note.strip(),
        filename=name,
        file_type=file_type,
        size=upload.size or 0,
        uploaded_by=actor,
    )
    item.full_clean(exclude=["file"])
    with set_actor(actor):
        item.file.save(name, upload, save=False)
        try:
            item.save()
        except Exception:
            _delete_files(item.file.storage, [item.file.name or ""])
            raise
    return item


def _delete_files(storage: Storage, paths: list[str]) -> None:
    for path in paths:
        if path:
            storage.delete(path)


@transaction.atomic(durable=True)
def file_delete(*, actor: User, item: File) -> None:
    _require_editor(actor, item.organisation)
    storage, path = item.file.storage, item.file.name or ""
    with set_actor(actor):
        item.delete()
    transaction.on_commit(lambda: _delete_files(storage, [path]))


# --- Subscriptions -----------------------------------------------------------------------------


def _absolute(name: str, *args: object) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


@transaction.atomic(durable=True)
def subscription_request(
    *, organisation: Organisation, email: str, language: str, user: User | None = None
) -> None:
    """Anyone may ask to follow an organisation's news; the address must confirm (double
    opt-in) before any news is sent. The answer is the same whether the address was known, so
    the form reveals nobody's subscriptions."""
    from .models import Subscription

    email = email.strip().lower()
    item, created = Subscription.objects.get_or_create(
        organisation=organisation,
        email=email,
        defaults={"language": language, "user": user if user and user.is_authenticated else None},
    )
    if item.confirmed_at is not None:
        return
    if not created:
        item.language = language
        item.save(update_fields=["language"])
    queue_mail(
        to=email,
        language=language,
        template="news/mail/confirm",
        context={
            "organisation_name": organisation.name,
            "confirm_url": _absolute("news:subscription_confirm", item.token),
        },
    )


@transaction.atomic(durable=True)
def subscription_confirm(*, token: str) -> Any:
    item = selectors.subscription_by_token(token)
    if item.confirmed_at is None:
        item.confirmed_at = timezone.now()
        item.save(update_fields=["confirmed_at"])
    return item


@transaction.atomic(durable=True)
def subscription_cancel(*, token: str) -> Organisation:
    """Unsubscribe: the address is deleted, not kept as 'unsubscribed'."""
    item = selectors.subscription_by_token(token)
    organisation = item.organisation
    item.delete()
    return organisation


# --- Sending a post to the subscribers ----------------------------------------------------------


def _enqueue_mailing(post_id: int, moment: datetime) -> None:
    from django.tasks import default_task_backend

    from .tasks import send_post_batch

    task = send_post_batch
    if moment > timezone.now() and default_task_backend.supports_defer:
        task = task.using(run_after=moment)
    task.enqueue(post_id=post_id)


def _message(post: Post, subscription: Any, cache: dict[str, tuple[str, str]]) -> EmailMessage:
    language = subscription.language
    unsubscribe = _absolute("news:unsubscribe", subscription.token)
    if language not in cache:
        text = selectors.in_language(post, language)
        with translation.override(language):
            context = {
                "post": post,
                "text": text,
                "post_url": _absolute("news:detail", post.pk),
                "organisation_name": post.organisation.name,
                "unsubscribe_url": "{unsubscribe_url}",
            }
            subject = " ".join(text.title.split())
            body: str = render_to_string("news/mail/post_body.txt", context)
        cache[language] = (subject, body)
    subject, body = cache[language]
    return EmailMessage(
        subject=subject,
        body=body.replace("{unsubscribe_url}", unsubscribe),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers={
            # RFC 2369 and RFC 8058: mail clients show an "Unsubscribe" button that POSTs.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"<news-{post.organisation.slug}.lotse>",
        },
    )


def mailing_send_batch(*, post_id: int, batch_size: int = BATCH_SIZE) -> int:
    """Send the next batch of a published post to confirmed subscribers; queue the next
    batch when more remain. Returns the number of mails sent by this batch.

    The mailing row is locked while its batch is sent and the cursor moves in the same
    transaction, so two workers never send the same batch twice. A post that was withdrawn or
    moved to a later time sends nothing now (its new time queues it again).
    """
    with transaction.atomic():
        mailing = (
            Mailing.objects.select_for_update()
            .select_related("post__organisation")
            .filter(post_id=post_id)
            .first()
        )
        if mailing is None or mailing.finished_at is not None:
            return 0
        post = mailing.post
        now = timezone.now()
        if post.status != Post.Status.PUBLISHED or post.publish_at is None:
            return 0
        if post.publish_at > now:
            return 0
        batch = list(
            selectors.confirmed_subscriptions_after(
                post.organisation_id, mailing.last_subscription_id
            )[: batch_size + 1]
        )
        more, batch = len(batch) > batch_size, batch[:batch_size]
        cache: dict[str, tuple[str, str]] = {}
        messages = [_message(post, s, cache) for s in batch]
        sent = mailers.default.send_messages(messages) if messages else 0
        if batch:
            mailing.last_subscription_id = batch[-1].pk
        mailing.sent += sent or 0
        if not more:
            mailing.finished_at = now
        mailing.save()
        if more:
            transaction.on_commit(lambda: _enqueue_mailing(post_id, now))
    return sent or 0


def mailings_send_due(*, now: datetime | None = None) -> int:
    """Start the mailings of posts whose time has come (for backends that cannot defer a
    task, and as a safety net after a worker outage); returns how many were started."""
    now = now or timezone.now()
    due = Mailing.objects.filter(
        finished_at__isnull=True,
        post__status=Post.Status.PUBLISHED,
        post__publish_at__lte=now,
    ).values_list("post_id", flat=True)
    count = 0
    for post_id in list(due):
        mailing_send_batch(post_id=post_id)
        count += 1
    return count
