from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "lotse.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        post_migrate.connect(sync_site, dispatch_uid="lotse.core.sync_site")
        # Django 6.1's empty choice "- Select an option -" has no German (or Turkish, Arabic,
        # Persian …) translation and showed in English in every German form; ours is in every
        # language of the site. Django reads this name at each use, made for ready() to set.
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = BLANK_CHOICE_LABEL


#: The empty entry of every drop-down built from a model field's choices.
BLANK_CHOICE_LABEL = _("– please choose –")


def sync_site(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    """Keep django.contrib.sites' row (allauth reads it) equal to LOTSE_SITE_URL, so no page or
    mail ever names "example.com"."""
    if getattr(sender, "label", None) != "sites":
        return
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site
    from django.utils import translation

    from .mail import site_name

    with translation.override(settings.LANGUAGE_CODE):
        name = site_name()
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": urlsplit(settings.SITE_URL).netloc, "name": name},
    )
