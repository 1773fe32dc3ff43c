"""German is the default language and English the source: every catalogue must be complete."""

import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

LOTSE = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(LOTSE.glob("*/locale/de/LC_MESSAGES/django.po"))


def test_every_app_with_strings_has_a_german_catalogue():
    assert {p.parts[-5] for p in CATALOGUES} >= {"core", "accounts", "directory"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_german_catalogue_is_complete(po: Path):
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    stats = result.stderr
    assert "untranslated" not in stats and "fuzzy" not in stats, f"{po}: {stats.strip()}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_compiled_catalogue_is_up_to_date(po: Path):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run compilemessages"
    assert mo.stat().st_mtime >= po.stat().st_mtime - 1, f"{mo} is older than {po}"


@pytest.mark.django_db
def test_pages_switch_language(client: Client):
    german = client.get("/", headers={"accept-language": "de"}).content.decode()
    english = client.get("/", headers={"accept-language": "en"}).content.decode()
    assert "Betreuung finden" in german and 'lang="de"' in german
    assert "Find childcare" in english and 'lang="en"' in english


def test_lazy_strings_translate():
    with translation.override("de"):
        from lotse.directory.models import Facility

        assert str(Facility.Kind.TAGESPFLEGE.label) == "Kindertagespflege"


def test_no_two_apps_translate_the_same_text_differently():
    """Catalogues are merged at run time (the first app in INSTALLED_APPS wins), so a word that
    two apps translate differently shows one app's wording on the other's pages. Words whose
    meaning differs by app must use a translation context instead."""
    import gettext
    from collections import defaultdict

    seen: dict[str, dict[str, str]] = defaultdict(dict)
    for po in CATALOGUES:
        catalogue = gettext.GNUTranslations(po.with_suffix(".mo").open("rb"))
        for msgid, msgstr in catalogue._catalog.items():  # noqa: SLF001 - no public accessor
            if isinstance(msgid, str) and msgid and "\x04" not in msgid:
                seen[msgid][po.parts[-5]] = msgstr
    conflicts = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert conflicts == {}
