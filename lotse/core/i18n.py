"""Which texts must exist in every language of ``settings.LANGUAGES`` (docs/i18n.md).

German and English cover everything. The family languages (all others: tr, ar, uk, ru, fa, and
whatever is added next) cover everything a family or the public sees:

* the whole catalogue of the apps in ``PUBLIC_APPS`` (pages, forms, errors, e-mails, PDFs);
* in apps whose pages are mostly for staff, the texts of the source files listed in
  ``PUBLIC_FILES`` (paths relative to ``lotse/<app>/``, globs allowed).

Staff pages may stay German/English: an untranslated text falls back to German there.
``lotse/core/tests/test_translations.py`` fails on a missing, fuzzy or placeholder-breaking
entry of this set, and ``scripts/update-messages`` keeps every catalogue in step.
"""

from __future__ import annotations

from django.conf import settings

#: Apps whose every text a family or the public may meet.
PUBLIC_APPS = ("core", "accounts", "directory", "applications", "infopages")

#: Family- or public-facing files of apps that are otherwise for staff.
PUBLIC_FILES: dict[str, tuple[str, ...]] = {
    # The explanation of an outcome on the status page and in the offer mail; published rules
    # and their criteria (model choices).
    "allocation": ("explain.py", "models.py", "templates/allocation/public_rules.html"),
    # Help from a person: the family's request form, its messages and confirmation mail.
    "counselling": (
        "forms_help.py",
        "services_help.py",
        "views_help.py",
        "templates/counselling/help/request.html",
        "templates/counselling/mail/help_request_received_*.txt",
    ),
    # The public news pages, feeds, subscription pages and mails; not the editors' pages.
    "news": (
        "views.py",
        "feeds.py",
        "forms_public.py",
        "topics.py",
        "templates/news/*.html",
        "templates/news/mail/*.txt",
    ),
    # Public calendar, event pages, registration (form, confirmation, waiting list, offer,
    # cancellation), the participants' e-mails, the certificate of attendance; the labels of
    # kinds, topics, target groups and statuses (models).
    "events": (
        "forms.py",
        "models.py",
        "templates/events/calendar.html",
        "templates/events/detail.html",
        "templates/events/registration.html",
        "templates/events/registered.html",
        "templates/events/confirm_email.html",
        "templates/events/cancel.html",
        "templates/events/link_problem.html",
        "templates/events/offer.html",
        "templates/events/_*.html",
        "templates/events/mail/*.txt",
        "templates/events/pdf/certificate.html",
    ),
}

#: German and English are complete for every app; these two are the base of every catalogue.
BASE_LANGUAGES = ("de", "en")


def family_languages() -> list[str]:
    """Every configured language beyond German and English."""
    return [code for code, _name in settings.LANGUAGES if code not in BASE_LANGUAGES]
