from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from ..models import InfoPage
from ..selectors import shown_page

register = template.Library()


@register.simple_tag
def infopage_link(kind: str) -> SafeString | str:
    """``{% infopage_link "allocation" %}``: a link to the published information page of that
    kind, titled in the reader's language; nothing when the Jugendamt has none."""
    page = InfoPage.objects.filter(kind=kind).first()
    if page is None:
        return ""
    try:
        shown = shown_page(page.slug, (get_language() or "de").split("-")[0])
    except Exception:  # noqa: BLE001 - Http404: not published in any language
        return ""
    return format_html(
        '<a href="{}">{}</a>', reverse("infopages:page", args=[page.slug]), shown.version.title
    )


@register.inclusion_tag("infopages/_links.html")
def infopage_links(*kinds: str) -> dict[str, object]:
    """``{% infopage_links "allocation" "costs" %}``: a short "good to know" list of links."""
    return {"links": [link for link in (infopage_link(kind) for kind in kinds) if link]}
