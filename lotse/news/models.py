"""News ("Aktuelles") of organisations: posts, their translations, files, documentation and the
e-mail subscriptions to an organisation's news.

A post is visible to the public when it is published and its publication time has come
(``publish_at <= now``): scheduled publishing needs no job, the selectors simply compare with
the clock. The database refuses a published post without a publication time, an image without
alternative text and a photo without a consent note.
"""

from __future__ import annotations

import secrets
import uuid

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation

from .topics import Topic

models.CharField.register_lookup(Length)

#: Languages a post can be written or translated in: the languages of the families Lotse
#: serves, independent of the languages the interface offers at the moment.
POST_LANGUAGES = [
    ("de", "Deutsch"),
    ("en", "English"),
    ("tr", "Türkçe"),
    ("ar", "العربية"),
    ("uk", "Українська"),
    ("ru", "Русский"),
    ("fa", "فارسی"),
]
RTL_LANGUAGES = frozenset({"ar", "fa"})

TITLE_MAX = 200
TEASER_MAX = 400


def _image_path(instance: Post, filename: str) -> str:
    # The stored name never comes from the uploader; the extension is the checked type's
    # (the service names the file image.png or image.jpg after decoding it).
    extension = "jpg" if filename.lower().endswith(".jpg") else "png"
    return f"news/{instance.organisation_id}/images/{uuid.uuid4().hex}.{extension}"


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        FAMILIES = "families", _("Families")
        PROFESSIONALS = "professionals", _("Professionals")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="news_posts",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    language = models.CharField(
        _("language of the text"), max_length=8, choices=POST_LANGUAGES, default="de"
    )
    audience = models.CharField(
        _("written for"), max_length=16, choices=Audience.choices, default=Audience.PUBLIC
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    teaser = models.CharField(
        _("teaser"),
        max_length=TEASER_MAX,
        help_text=_("One or two sentences shown in lists, feeds and e-mails."),
    )
    body = models.TextField(
        _("text"),
        blank=True,
        help_text=_(
            "Markdown: **bold**, *italic*, ## heading, - list, [link text](https://…). "
            "HTML is not accepted."
        ),
    )
    image = models.FileField(_("image"), upload_to=_image_path, blank=True, max_length=300)
    image_alt = models.CharField(
        _("image description (alternative text)"),
        max_length=300,
        blank=True,
        help_text=_("What the image shows, for people who cannot see it. Required with an image."),
    )
    image_credit = models.CharField(_("image credit"), max_length=200, blank=True)
    publish_at = models.DateTimeField(
        _("publication time"),
        null=True,
        blank=True,
        help_text=_("A time in the future schedules the post; it appears by itself then."),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    district = models.ForeignKey(
        "directory.District",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the post concerns the whole municipality."),
    )
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="news_posts",
    )
    call = models.ForeignKey(
        "networks.ProgrammeCall",
        verbose_name=_("programme call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="news_posts",
    )
    network = models.ForeignKey(
        "networks.Network",
        verbose_name=_("network"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="news_posts",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("news post")
        verbose_name_plural = _("news posts")
        ordering = ["-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(publish_at__isnull=False),
                name="news_post_published_has_time",
            ),
            models.CheckConstraint(
                condition=Q(image="") | ~Q(image_alt=""), name="news_post_image_has_alt"
            ),
            models.CheckConstraint(
                condition=Q(title__length__gte=1, title__length__lte=TITLE_MAX),
                name="news_post_title_length",
            ),
            models.CheckConstraint(
                condition=Q(teaser__length__lte=TEASER_MAX), name="news_post_teaser_length"
            ),
            models.CheckConstraint(
                condition=Q(event__isnull=True) | Q(call__isnull=True),
                name="news_post_event_or_call",
            ),
        ]
        indexes = [models.Index(fields=["status", "publish_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_rtl(self) -> bool:
        return self.language in RTL_LANGUAGES


class PostTopic(models.Model):
    """One topic of a post (a row per topic, so the filter works on every database)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="topics")
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = [models.UniqueConstraint(fields=["post", "topic"], name="news_topic_unique")]

    def __str__(self) -> str:
        return str(self.get_topic_display())


class PostTranslation(models.Model):
    """The post in another language, written by the organisation (never machine-made)."""

    post = models.ForeignKey(
        Post, verbose_name=_("news post"), on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(_("language"), max_length=8, choices=POST_LANGUAGES)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    teaser = models.CharField(_("teaser"), max_length=TEASER_MAX)
    body = models.TextField(_("text"), blank=True)
    image_alt = models.CharField(
        _("image description (alternative text)"), max_length=300, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["post", "language"], name="news_translation_unique"),
            models.CheckConstraint(
                condition=Q(title__length__gte=1, title__length__lte=TITLE_MAX),
                name="news_translation_title_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def is_rtl(self) -> bool:
        return self.language in RTL_LANGUAGES


def _file_path(instance: File, filename: str) -> str:
    return f"news/{instance.organisation_id}/files/{uuid.uuid4().hex}"


class File(models.Model):
    """A file of a post (attachment) or documentation of a post or an event (slides, flyer,
    photos). Documentation appears in the organisation's archive, by year."""

    class Kind(models.TextChoices):
        ATTACHMENT = "attachment", _("Attachment")
        SLIDES = "slides", _("Slides")
        FLYER = "flyer", _("Flyer")
        PHOTO = "photo", _("Photo")
        REPORT = "report", _("Report or minutes")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("news post"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="files",
    )
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="news_files",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    is_documentation = models.BooleanField(
        _("documentation"),
        default=False,
        help_text=_("Listed in the organisation's documentation archive."),
    )
    documented_on = models.DateField(_("date of the occasion"), null=True, blank=True)
    consent_note = models.CharField(
        _("consent note"),
        max_length=300,
        blank=True,
        help_text=_(
            "For photos of people: whose consent to publish was obtained, e.g. 'All people "
            "shown agreed in writing on 12.03.2026'."
        ),
    )
    file = models.FileField(_("file"), upload_to=_file_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    file_type = models.CharField(_("file type"), max_length=10)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("file")
        verbose_name_plural = _("files")
        ordering = ["-documented_on", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(post__isnull=False) & Q(event__isnull=True))
                | (Q(post__isnull=True) & Q(event__isnull=False)),
                name="news_file_post_xor_event",
            ),
            models.CheckConstraint(
                condition=~Q(kind="photo") | ~Q(consent_note=""),
                name="news_file_photo_has_consent",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """An e-mail address that follows an organisation's news. Pending until the address is
    confirmed (double opt-in); unsubscribing deletes the row."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="news_subscriptions",
    )
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=8, default="de")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="news_subscriptions",
    )
    #: The key of the confirmation and unsubscribe links (a secret, never shown elsewhere).
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    created_at = models.DateTimeField(_("subscribed"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], name="news_subscription_unique"
            )
        ]
        indexes = [models.Index(fields=["organisation", "confirmed_at"])]

    def __str__(self) -> str:
        return f"{self.email} · {self.organisation}"


class Mailing(models.Model):
    """The sending of one post to its organisation's subscribers, in batches by the worker.
    ``last_subscription_id`` is the cursor: a batch that ran is never sent again."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="mailing")
    last_subscription_id = models.BigIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")

    def __str__(self) -> str:
        return f"{self.post} · {self.sent}"


# Posts, translations and files: who wrote, changed and published what. Subscriptions are not
# in the audit log: it would keep a copy of the address after the person unsubscribed.
auditlog.register(Post, exclude_fields=["updated_at"])
auditlog.register(PostTopic)
auditlog.register(PostTranslation, exclude_fields=["updated_at"])
auditlog.register(File, exclude_fields=["file"])
