"""The language: the browser's on the first visit, then the choice, stored on the account."""

import pytest
from django.core import mail
from django.test import Client

from lotse.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accept", "lang", "direction"),
    [("ar,en;q=0.5", "ar", "rtl"), ("fa-IR", "fa", "rtl"), ("tr-TR,tr;q=0.9", "tr", "ltr"),
     ("uk", "uk", "ltr"), ("ru-RU", "ru", "ltr"), ("pl", "de", "ltr")],
)  # fmt: skip
def test_first_visit_follows_the_browser(client: Client, accept, lang, direction):
    html = client.get("/", headers={"accept-language": accept}).content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in html


def test_switcher_names_every_language_in_its_own_name(client: Client):
    html = client.get("/", headers={"accept-language": "ar"}).content.decode()
    for code, name in [("de", "Deutsch"), ("en", "English"), ("tr", "Türkçe"),
                       ("uk", "Українська"), ("ru", "Русский"), ("fa", "فارسی")]:  # fmt: skip
        assert f'lang="{code}"' in html and name in html, code
    assert "العربيّة" in html


def test_the_choice_sticks_to_the_account_on_every_device(make_user):
    parent = make_user(language="de")
    assert not parent.language_chosen  # until then the browser decides
    first = Client()
    first.force_login(parent)
    response = first.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.language == "ar"
    # Another device, its browser set to German: the account's language wins.
    second = Client()
    second.force_login(parent)
    response = second.get("/dashboard/", headers={"accept-language": "de"})
    assert '<html lang="ar" dir="rtl">' in response.content.decode()
    assert response.cookies["django_language"].value == "ar"  # stays after signing out


def test_the_language_cookie_follows_djangos_cookie_settings_and_is_sent_once(make_user, settings):
    settings.LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
    settings.LANGUAGE_COOKIE_SECURE = True
    parent = make_user(language="uk", language_chosen=True)
    client = Client()
    client.force_login(parent)
    response = client.get("/dashboard/", headers={"accept-language": "de"})
    cookie = response.cookies["django_language"]
    assert cookie.value == "uk"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    assert cookie["secure"] and cookie["samesite"] == "Lax"
    # Views that read the request's language (e.g. the needs-analysis PDF) get the account's.
    assert response.wsgi_request.LANGUAGE_CODE == "uk"
    # The browser has it now: the next answer does not set it again.
    again = client.get("/dashboard/")
    assert "django_language" not in again.cookies
    assert 'lang="uk"' in again.content.decode()


def test_an_account_without_a_choice_follows_the_browser(make_user, client_for):
    staff_made_by_admin = make_user()
    html = client_for(staff_made_by_admin).get("/", headers={"accept-language": "tr"})
    assert 'lang="tr"' in html.content.decode()


def test_an_unknown_language_changes_nothing(make_user, client_for):
    parent = make_user(language="tr")
    client_for(parent).post("/i18n/setlang/", {"language": "xx", "next": "/"})
    parent.refresh_from_db()
    assert parent.language == "tr"


def test_anonymous_switch_sets_only_the_cookie(client: Client):
    response = client.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    assert response.cookies["django_language"].value == "uk"
    assert 'lang="uk"' in client.get("/").content.decode()


def test_sign_up_remembers_the_language_for_later_mails(client: Client, settings):
    client.cookies["django_language"] = "fa"
    response = client.post(
        "/accounts/signup/",
        {"email": "neu@test.example", "password1": "kita-2026-pl", "password2": "kita-2026-pl"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="neu@test.example")
    assert user.language == "fa" and user.language_chosen
    # The confirmation mail is in Persian already (allauth's catalogue).
    assert mail.outbox and any("\u0600" <= ch <= "\u06ff" for ch in mail.outbox[-1].subject)


def test_profile_offers_each_language_in_its_own_name(make_user, client_for):
    html = client_for(make_user()).get("/me/profile/").content.decode()
    assert "Türkçe" in html and "فارسی" in html and "Українська" in html


def test_api_documentation_declares_its_language(client: Client):
    html = client.get("/api/docs", headers={"accept-language": "ar"}).content.decode()
    assert '<html lang="ar" dir="rtl">' in html


def test_mails_for_an_application_a_counsellor_made_use_the_family_language(make_user):
    import datetime as dt

    from lotse.applications.models import Application, Child
    from lotse.applications.selectors import recipients

    make_user(email="mutter@test.example", language="uk")
    child = Child.objects.create(first_name="Olena", last_name="K", birth_date=dt.date(2025, 1, 5))
    application = Application.objects.create(
        child=child,
        municipality="Flensburg",
        desired_start=dt.date(2026, 8, 1),
        weekly_hours=35,
        invitation_email="Mutter@test.example",
    )
    assert recipients(application) == [("Mutter@test.example", "uk")]
    application.invitation_email = "noch-kein-konto@test.example"
    assert recipients(application) == [("noch-kein-konto@test.example", "de")]


def test_family_pdfs_are_right_to_left_in_arabic():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("ar"):
        html = render_to_string("accounts/data_export_pdf.html", {"export": {}, "overview": []})
    assert '<html lang="ar" dir="rtl">' in html
