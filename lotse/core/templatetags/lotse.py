import json

from django import template
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, *pairs: object, **changes: object) -> str:
    """The current query string with some parameters replaced (pagination keeps the filters).

    Parameters whose names are only known at run time (a list's ``org_page``) come as
    positional pairs: ``{% query_with listing.page_param 2 %}``."""
    if len(pairs) % 2:
        raise template.TemplateSyntaxError("query_with takes name/value pairs")
    named = {str(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2)}
    params: QueryDict = context["request"].GET.copy()
    for key, value in (named | changes).items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return params.urlencode()


@register.filter
def filesize(value: object) -> str:
    """A file's size as the upload policy states its limits ("29,6 MB" in German): one way
    for every page, instead of Django's ``filesizeformat`` ("29,6 MB" but "20,0 MB", "KB")."""
    from lotse.core.uploads import format_size

    try:
        return format_size(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""


JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def jsonld(value: object) -> SafeString:
    """JSON for a ``<script type="application/ld+json">`` block. ``<``, ``>`` and ``&`` are
    escaped, so a name containing ``</script>`` cannot end the block (stored XSS)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return mark_safe(text.translate(JSON_SCRIPT_ESCAPES))  # noqa: S308 - escaped above


@register.filter
def count(value: object) -> str:
    """A :class:`~lotse.core.disclosure.Figure` on a page: the number, or the privacy mark
    with its explanation as a tooltip (and for screen readers)."""
    from django.utils.html import format_html

    from lotse.core.disclosure import HIDDEN_TITLE, Figure

    if isinstance(value, Figure) and value.hidden:
        return format_html('<abbr class="suppressed" title="{}">{}</abbr>', HIDDEN_TITLE, value)
    return str(value)


@register.filter
def tel(value: object) -> str:
    """A phone number as a ``tel:`` link target: digits, a leading "+" and hyphens only
    (RFC 3966 allows no spaces; people write "0461 85-2000")."""
    text = str(value or "").strip()
    digits = "".join(c for c in text if c.isdigit() or c == "-")
    return f"tel:{'+' if text.startswith('+') else ''}{digits}"
