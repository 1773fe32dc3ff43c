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

    seen: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for po in sorted(LOTSE.glob("*/locale/*/LC_MESSAGES/django.po")):
        catalogue = gettext.GNUTranslations(po.with_suffix(".mo").open("rb"))
        for msgid, msgstr in catalogue._catalog.items():  # noqa: SLF001 - no public accessor
            if isinstance(msgid, str) and msgid and "\x04" not in msgid:
                seen[(po.parts[-3], msgid)][po.parts[-5]] = msgstr
    conflicts = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert conflicts == {}


# --- Family languages: everything a family or the public sees (rule: lotse/core/i18n.py) -------

import gettext as _gettext  # noqa: E402 - grouped with the tests that use it
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

from django.conf import settings  # noqa: E402

from lotse.core.i18n import PUBLIC_APPS, PUBLIC_FILES, family_languages  # noqa: E402

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfir]|%[sdfir]|\{(\w*)\}")


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def _catalogue(app: str, language: str) -> dict:
    po = LOTSE / app / "locale" / language / "LC_MESSAGES" / "django.po"
    assert po.exists(), f"{po} missing: run scripts/add-language {language}"
    result = subprocess.run(
        # --check: formats, and the header's plural count against every plural entry.
        ["msgfmt", "--check", "--statistics", "-o", "-", str(po)],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    stats = result.stderr.decode()
    assert "fuzzy" not in stats, f"{po}: {stats.strip()}"
    import io

    return _gettext.GNUTranslations(io.BytesIO(result.stdout))._catalog  # noqa: SLF001


def _msgids_of(app: str, patterns: tuple[str, ...]) -> set:
    """The msgids that the given source files of an app use (xgettext, as makemessages does)."""
    from django.utils.translation.template import templatize

    files = sorted({p for pattern in patterns for p in (LOTSE / app).glob(pattern)})
    assert files, f"{app}: {patterns} match no file"
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        for i, path in enumerate(files):
            text = path.read_text(encoding="utf-8")
            if path.suffix != ".py":
                text = templatize(text, origin=str(path))
            target = Path(tmp) / f"{i}.py"
            target.write_text(text, encoding="utf-8")
            sources.append(str(target))
        pot = Path(tmp) / "all.pot"
        keywords = [
            "--keyword=gettext_noop", "--keyword=gettext_lazy", "--keyword=ngettext_lazy:1,2",
            "--keyword=pgettext:1c,2", "--keyword=npgettext:1c,2,3",
            "--keyword=pgettext_lazy:1c,2", "--keyword=npgettext_lazy:1c,2,3",
        ]  # fmt: skip
        subprocess.run(
            ["xgettext", "--language=Python", "--from-code=UTF-8", "-o", str(pot), *keywords,
             *sources],
            check=True,
        )  # fmt: skip
        if not pot.exists():
            return set()
        header = pot.read_text(encoding="utf-8")
        header = header.replace("charset=CHARSET", "charset=UTF-8").replace(
            "nplurals=INTEGER; plural=EXPRESSION", "nplurals=2; plural=(n != 1)"
        )
        pot.write_text(header, encoding="utf-8")
        english = Path(tmp) / "en.po"
        subprocess.run(["msgen", "-o", str(english), str(pot)], check=True)
        mo = Path(tmp) / "en.mo"
        subprocess.run(["msgfmt", "-o", str(mo), str(english)], check=True)
        catalogue = _gettext.GNUTranslations(mo.open("rb"))._catalog  # noqa: SLF001
    return {key for key in catalogue if key}


def _family_cases() -> list:
    apps = [app for app in (*PUBLIC_APPS, *PUBLIC_FILES) if (LOTSE / app / "locale").exists()]
    return [
        pytest.param(app, language, id=f"{app}-{language}")
        for app in apps
        for language in family_languages()
    ]


def test_the_rule_covers_the_family_apps_and_languages():
    assert {"tr", "ar", "uk", "ru", "fa"} <= set(family_languages())
    assert {"core", "accounts", "directory", "applications"} <= set(PUBLIC_APPS)
    for code in family_languages():
        assert code in dict(settings.LANGUAGES)


@pytest.mark.parametrize(("app", "language"), _family_cases())
def test_family_language_is_complete(app: str, language: str):
    """Every family-facing text of ``app`` is translated into ``language``, and no translation
    drops, adds or renames a placeholder (a broken one would crash or lose a name/date)."""
    translated = _catalogue(app, language)
    german = _catalogue(app, "de")
    wanted = (set(german) if app in PUBLIC_APPS else _msgids_of(app, PUBLIC_FILES[app])) - {""}
    missing = sorted(str(key) for key in wanted if not translated.get(key))
    assert not missing, f"{app}/{language}: {len(missing)} untranslated, e.g. {missing[:5]}"
    broken = []
    for key, text in translated.items():
        if not key or key not in wanted:
            continue
        if isinstance(key, tuple):
            # Plural forms may drop the count ("the only place") but never invent a name.
            allowed = {p for other, de in german.items()
                       if isinstance(other, tuple) and other[0] == key[0]
                       for p in _placeholders(de)} | set(_placeholders(key[0]))  # fmt: skip
            if not set(_placeholders(text)) <= allowed:
                broken.append(key[0])
        elif set(_placeholders(text)) != set(_placeholders(key.split("\x04")[-1])):
            broken.append(key)
    assert not broken, f"{app}/{language}: placeholders differ in {broken[:5]}"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext tools missing")
def test_partial_rule_finds_the_family_texts():
    """The extraction used for PUBLIC_FILES sees template and Python strings."""
    ids = _msgids_of("allocation", ("explain.py", "templates/allocation/public_rules.html"))
    assert "How places are allocated" in ids


def test_every_family_language_formats_datetimes_in_its_own_way():
    """A language without DATETIME_FORMAT falls back to the American "N j, Y, P"."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import formats

    moment = datetime(2026, 12, 14, 15, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    for code, _name in settings.LANGUAGES:
        if code == "en":
            continue
        with translation.override(code):
            shown = formats.date_format(moment, "DATETIME_FORMAT")
        assert "14" in shown and "15:30" in shown, f"{code}: {shown}"
