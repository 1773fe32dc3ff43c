"""Information pages the Jugendamt writes itself: every save is a new version per language.

A page (legal claim, costs, allocation explained, FAQ, Impressum, accessibility statement,
Leichte Sprache) has versions per language; the public sees the newest *published* version in
their language. Nothing is edited in place, so every change can be compared and restored.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import language_choices


class InfoPage(models.Model):
    class Kind(models.TextChoices):
        LEGAL_CLAIM = "legal_claim", _("Legal claim to a place")
        COSTS = "costs", _("Costs and fee relief")
        ALLOCATION = "allocation", _("How places are allocated")
        FAQ = "faq", _("Frequently asked questions")
        EASY_LANGUAGE = "easy_language", _("Easy language")
        ACCESSIBILITY = "accessibility", _("Accessibility statement")
        IMPRINT = "imprint", _("Imprint")
        OTHER = "other", _("Other page")

    slug = models.SlugField(_("address"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    position = models.PositiveSmallIntegerField(_("position in the footer"), default=100)
    in_footer = models.BooleanField(_("linked in every page's footer"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("information page")
        verbose_name_plural = _("information pages")

    def __str__(self) -> str:
        return self.slug


class PageVersion(models.Model):
    page = models.ForeignKey(InfoPage, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"), help_text=_("Markdown: ## heading, **bold**, - list, | table |, [link](url).")
    )
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["page", "language", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "language", "number"], name="infopage_version_unique"
            )
        ]
        verbose_name = _("page version")
        verbose_name_plural = _("page versions")

    def __str__(self) -> str:
        return f"{self.page.slug} [{self.language}] v{self.number}"


class AccessibilityFeedback(models.Model):
    """A report of a barrier (BITV 2.0 § 7): stored, mailed to the municipality, confirmed."""

    message = models.TextField(_("message"))
    page_url = models.CharField(_("page concerned"), max_length=500, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("accessibility feedback")
        verbose_name_plural = _("accessibility feedback")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.message[:40]}"


auditlog.register(InfoPage)
auditlog.register(PageVersion)
auditlog.register(AccessibilityFeedback)
