from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from lotse.planning.report import SUPPRESSED

register = template.Library()


@register.filter
def figure(value: object) -> str:
    """A figure as shown: '–' for none, the suppression mark explained, numbers localised."""
    if value is None:
        return "–"
    if value == SUPPRESSED:
        return format_html(
            '<abbr class="suppressed" title="{}">{}</abbr>',
            _("fewer than 3 children: not shown to protect privacy"),
            SUPPRESSED,
        )
    if isinstance(value, float):
        return number_format(value, 1)
    return str(value)


@register.filter
def signed(value: object) -> str:
    """A balance with its sign; negative means seats are missing."""
    if value is None:
        return "–"
    if isinstance(value, int) and value > 0:
        return f"+{value}"
    return str(value).replace("-", "−")
