"""Demo information pages for Flensburg in all seven languages (``demo_content/<slug>.<lang>.md``,
first line ``# Title``). Facts that are not Flensburg's real ones are marked as demo text in the
pages themselves. Idempotent: a language that already has a version is left alone."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from lotse.core.demo import DemoContext

from .models import InfoPage, PageVersion

CONTENT = Path(__file__).resolve().parent / "demo_content"

#: (slug, kind, footer position)
PAGES = [
    ("rechtsanspruch", InfoPage.Kind.LEGAL_CLAIM, 10),
    ("kosten", InfoPage.Kind.COSTS, 20),
    ("platzvergabe", InfoPage.Kind.ALLOCATION, 30),
    ("fragen", InfoPage.Kind.FAQ, 40),
    ("leichte-sprache", InfoPage.Kind.EASY_LANGUAGE, 50),
    ("barrierefreiheit", InfoPage.Kind.ACCESSIBILITY, 60),
    ("impressum", InfoPage.Kind.IMPRINT, 70),
]


def _read(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    return first.removeprefix("# ").strip(), body.strip() + "\n"


@transaction.atomic
def load(context: DemoContext | None = None) -> list[str]:
    created = 0
    now = timezone.now()
    for slug, kind, position in PAGES:
        page, _new = InfoPage.objects.get_or_create(
            slug=slug, defaults={"kind": kind, "position": position}
        )
        for path in sorted(CONTENT.glob(f"{slug}.*.md")):
            language = path.suffixes[0].lstrip(".")
            if page.versions.filter(language=language).exists():
                continue
            title, body = _read(path)
            PageVersion.objects.create(
                page=page,
                language=language,
                number=1,
                title=title,
                body=body,
                note="Demo",
                published_at=now,
            )
            created += 1
    return [f"information pages: {created} page versions created"]
