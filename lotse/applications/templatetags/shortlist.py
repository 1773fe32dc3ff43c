"""``{% shortlist_button facility %}``: "add to my wishes" on search results and facility pages
(the directory's templates use it; the directory's code knows nothing of applications)."""

from __future__ import annotations

from typing import Any

from django import template

from lotse.applications.views_shortlist import shortlist_ids

register = template.Library()


@register.inclusion_tag("applications/_shortlist_button.html", takes_context=True)
def shortlist_button(context: dict[str, Any], facility: Any) -> dict[str, Any]:
    request = context["request"]
    return {
        "facility": facility,
        "on_list": facility.pk in shortlist_ids(request),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
