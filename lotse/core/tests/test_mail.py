"""E-mails that look real: the site's name and address from the settings, one form of address,
plain text never HTML-escaped, an HTML alternative, links to LOTSE_SITE_URL."""

from __future__ import annotations

import re

import pytest
from django.contrib.sites.models import Site
from django.core import mail

from lotse.applications.tests.helpers import apply, next_august
from lotse.core.apps import sync_site
from lotse.core.mail import render_mail

pytestmark = pytest.mark.django_db

#: German informal address ("du"); Lotse writes to families with "Sie".
INFORMAL = re.compile(r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|Du|Dein|Deine)\b")


def html_of(message) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


def test_application_mail_is_plain_text_with_html_alternative(settings, make_user, make_facility):
    settings.SITE_URL = "https://kita.flensburg.example"
    parent = make_user(language="de")
    kita = make_facility(name="Kinder & Familie „Sonnenschein“")
    with pytest.MonkeyPatch.context():
        apply(parent, [kita], name="Ja'far", start=next_august())
    message = mail.outbox[-1]
    # Plain text: the name and the facility exactly as typed, not HTML-escaped.
    assert "Ja'far" in message.subject and "&#x27;" not in message.subject
    assert "Ja'far" in message.body and "&#x27;" not in message.body
    assert "Kinder & Familie „Sonnenschein“" in message.body and "&amp;" not in message.body
    # Links start with the configured address; no example.com, no port 8000.
    assert "https://kita.flensburg.example/applications/" in message.body
    assert "example.com" not in message.body and ":8000" not in message.body
    assert "Lotse Flensburg" in message.body  # the site's name in the closing
    assert not INFORMAL.search(message.body)
    # The HTML alternative: escaped exactly once, the links clickable, the site's name on top.
    html = html_of(message)
    assert "Ja&#x27;far" in html and "&amp;#x27;" not in html
    assert "Kinder &amp; Familie" in html and "&amp;amp;" not in html
    assert re.search(r'<a href="https://kita\.flensburg\.example/applications/\d+/"', html)
    assert '<html lang="de" dir="ltr">' in html and "Lotse Flensburg" in html


def test_rtl_mail_has_rtl_html(make_user, make_facility):
    parent = make_user(language="ar")
    apply(parent, [make_facility()], name="Amira")
    html = html_of(mail.outbox[-1])
    assert '<html lang="ar" dir="rtl">' in html


def test_text_templates_are_never_escaped():
    subject, body = render_mail(
        "applications/mail/withdrawn",
        {"child": {"first_name": "<Zoë & Ja'far>"}, "status_url": "https://x.example/1/"},
        "en",
    )
    assert "<Zoë & Ja'far>" in subject and "<Zoë & Ja'far>" in body


def test_sign_up_mail_names_the_site_not_example_com(client, settings):
    settings.SITE_URL = "http://127.0.0.1:8110"
    sync_site(sender=type("Sites", (), {"label": "sites"})())
    assert Site.objects.get_current().domain == "127.0.0.1:8110"
    client.post(
        "/accounts/signup/",
        {
            "email": "jafar@example.org",
            "password1": "lange-sicher-42",
            "password2": "lange-sicher-42",
        },
        headers={"accept-language": "de"},
    )
    message = mail.outbox[-1]
    assert not message.subject.startswith("[")
    assert "E-Mail-Adresse" in message.subject
    for text in (message.subject, message.body):
        assert "example.com" not in text
        assert not INFORMAL.search(text), text
    assert message.body.startswith("Guten Tag,")
    assert "Lotse Flensburg" in message.body
    assert re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body)
    assert "Lotse Flensburg" in html_of(message)
