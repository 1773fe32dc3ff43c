"""Forms of the public news pages (their texts are translated into every family language)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lotse.directory.models import District

from . import selectors
from .topics import Topic


class NewsFilterForm(forms.Form):
    """Filters of the combined news page; every field optional, the query string is the
    state (so a filtered page can be bookmarked and its feed subscribed)."""

    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=int, empty_value=None
    )
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    district = forms.TypedChoiceField(
        label=_("District"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [
            ("", _("All organisations")),
            *((o.pk, o.name) for o in selectors.publishing_organisations()),
        ]
        self.fields["topic"].choices = [("", _("All topics")), *Topic.choices]
        self.fields["district"].choices = [
            ("", _("All districts")),
            *District.objects.order_by("name").values_list("pk", "name"),
        ]

    def to_query(self) -> selectors.NewsQuery:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.NewsQuery(
            organisation=data.get("organisation"),
            topic=data.get("topic") or "",
            district=data.get("district"),
        )


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send a link to this address; news arrive only after you confirm."),
    )
