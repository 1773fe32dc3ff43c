"""The facility picker for wishes: a plain ``<select>`` whose options name address, district
and kind (works without JavaScript, with every screen reader), enhanced by
``applications/picker.js`` into a search field with a list of matches (distance included)
served by ``views_shortlist.picker`` through htmx."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lotse.directory.models import Facility


def facility_label(facility: Facility) -> str:
    """Name — street, postcode · district · kind: enough to tell apart two of one name."""
    place = ", ".join(p for p in (facility.street, facility.postcode) if p)
    parts = [p for p in (place, facility.district.name if facility.district else "") if p]
    parts.append(str(facility.get_kind_display()))
    return f"{facility.name} — {' · '.join(parts)}"


class FacilityPickerWidget(forms.Select):
    template_name = "applications/widgets/facility_picker.html"

    class Media:
        js = ["applications/picker.js"]
        css = {"all": ["applications/picker.css"]}

    def __init__(self, attrs: dict[str, Any] | None = None, *, scope: str = "wishable") -> None:
        super().__init__(attrs)
        self.scope = scope

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["picker_url"] = reverse("applications:picker")
        context["widget"]["scope"] = self.scope
        return context


class FacilityPickerField(forms.ModelChoiceField):
    """A wish: one facility, chosen with the picker."""

    def __init__(self, *, scope: str = "wishable", **kwargs: Any) -> None:
        kwargs.setdefault("widget", FacilityPickerWidget(scope=scope))
        kwargs.setdefault("empty_label", _("— choose a facility —"))
        super().__init__(**kwargs)

    def _set_queryset(self, queryset: Any) -> None:
        # The labels name the district: fetch it with the facilities, not once per option.
        if queryset is not None:
            queryset = queryset.select_related("district").defer("district__boundary")
        super()._set_queryset(queryset)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)  # type: ignore[assignment]

    def label_from_instance(self, obj: Facility) -> str:
        return facility_label(obj)
