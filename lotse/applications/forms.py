from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lotse.core.forms import LocalIntegerField, MonthField
from lotse.directory.models import District, Facility, SeatType

from .age_fit import age_problems
from .models import Application, SiblingGroup
from .picker import FacilityPickerField
from .selectors import DEFAULT_MAX_WISHES, max_wishes_for, wishable_facilities


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Facility) -> str:
        return f"{obj.name} — {obj.street}" if obj.street else obj.name


def _privacy_label() -> str:
    return format_html(
        '{} <a href="{}">{}</a>',
        _(
            "I agree that the Jugendamt, the facilities I name and, if I choose one, my "
            "counselling service process this data to allocate a childcare place."
        ),
        reverse_lazy("core:privacy"),
        _("Privacy notice"),
    )


class SiblingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Application) -> str:
        return f"{obj.child.first_name} {obj.child.last_name} · {obj.desired_start:%m/%Y}"


class TogetherFields:
    """ "Place together with a sibling" (twins included): the field pair of both forms."""

    @staticmethod
    def add(form: forms.Form, siblings: Any) -> None:
        form.fields["together_with"] = SiblingChoiceField(
            label=_("Place together with a brother or sister"),
            queryset=siblings,
            required=False,
            empty_label=_("No, consider this child on its own"),
            help_text=_(
                "For siblings and twins who apply at the same time: choose the application of "
                "the brother or sister. Both need the same wishes in the same order."
            ),
        )
        form.fields["together"] = forms.ChoiceField(
            label=_("How must the children be placed?"),
            choices=SiblingGroup.Together.choices,
            initial=SiblingGroup.Together.REQUIRED,
            widget=forms.RadioSelect,
            help_text=_(
                "Only together: an offer only where all of them get a place at the same "
                "time. Together if possible: otherwise each child on its own."
            ),
        )

    @staticmethod
    def values(form: forms.Form) -> dict[str, Any]:
        if "together_with" not in form.fields:
            return {}
        return {
            "together_with": form.cleaned_data.get("together_with"),
            "together": form.cleaned_data.get("together") or SiblingGroup.Together.REQUIRED,
        }


class ApplicationForm(forms.Form):
    """Apply once: the child, the start, care hours, ranked wishes and priority facts."""

    first_name = forms.CharField(label=_("Child's first name"), max_length=100)
    last_name = forms.CharField(label=_("Child's last name"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    expected_birth_date = forms.DateField(
        label=_("or expected date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("For a child not yet born."),
    )
    desired_start = MonthField(label=_("Desired start (month)"))
    weekly_hours = LocalIntegerField(
        label=_("Care hours per week"), min_value=5, max_value=60, initial=35
    )
    home_district = forms.ModelChoiceField(
        label=_("District you live in"),
        queryset=District.objects.none(),
        required=False,
        empty_label=_("Not in the list / not known"),
    )
    home_postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    sibling_facility = FacilityChoiceField(
        label=_("A sibling already attends"),
        queryset=Facility.objects.none(),
        required=False,
        empty_label=_("No sibling in a facility"),
        help_text=_(
            "We also detect this automatically when the sibling's place was allocated here."
        ),
    )
    employment = forms.BooleanField(label=_("The parents work or are in training"), required=False)
    single_parent = forms.BooleanField(label=_("I am a single parent"), required=False)
    consent = forms.BooleanField(label=_("Consent"), required=True)

    child_fields = ("first_name", "last_name", "birth_date", "expected_birth_date")
    fact_fields = (
        "home_district",
        "home_postcode",
        "sibling_facility",
        "employment",
        "single_parent",
    )

    def __init__(
        self,
        *args: Any,
        max_wishes: int | None = None,
        siblings: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        facilities = wishable_facilities()
        if "consent" in self.fields:
            # Built per request so the link text is in the user's language and stays HTML.
            self.fields["consent"].label = _privacy_label()
        self.max_wishes = max_wishes or _max_wishes_for_installation()
        self.fields["home_district"].queryset = District.objects.order_by("name")
        self.fields["sibling_facility"].queryset = facilities
        self.wish_names = []
        for i in range(1, self.max_wishes + 1):
            name = f"wish_{i}"
            self.fields[name] = FacilityPickerField(
                label=_("Wish %(n)d") % {"n": i}, queryset=facilities, required=i == 1
            )
            self.wish_names.append(name)
        if siblings is not None and siblings.exists():
            TogetherFields.add(self, siblings)
        self.order_fields(
            [
                *self.child_fields,
                "desired_start",
                "weekly_hours",
                # Home first: the picker of each wish measures distances from it.
                "home_district",
                "home_postcode",
                *self.wish_names,
                "together_with",
                "together",
                *self.fact_fields,
                "consent",
            ]
        )

    def wishes(self) -> list[Facility]:
        return [self.cleaned_data[n] for n in self.wish_names if self.cleaned_data.get(n)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = [data.get(n) for n in self.wish_names if data.get(n)]
        if len({f.pk for f in chosen}) != len(chosen):
            raise forms.ValidationError(_("Each facility can be named only once."))
        if (
            "birth_date" in self.fields
            and not data.get("birth_date")
            and not data.get("expected_birth_date")
        ):
            self.add_error(
                "birth_date",
                _(
                    "Please enter the date of birth, or the expected date of birth for an "
                    "unborn child."
                ),
            )
        add_age_errors(self, self.wish_names, self._birth_for_age_check(data), data)
        return data

    def _birth_for_age_check(self, data: dict[str, Any]) -> dt.date | None:
        return data.get("birth_date") or data.get("expected_birth_date")

    def fact_values(self) -> dict[str, Any]:
        return (
            TogetherFields.values(self)
            | {name: self.cleaned_data.get(name) for name in self.fact_fields}
            | {
                "home_postcode": self.cleaned_data.get("home_postcode") or "",
                "employment": bool(self.cleaned_data.get("employment")),
                "single_parent": bool(self.cleaned_data.get("single_parent")),
            }
        )


def add_age_errors(
    form: forms.Form, wish_fields: list[str], birth: dt.date | None, data: dict[str, Any]
) -> None:
    """Show next to each wish why that facility cannot take the child at the desired start
    (the same words the service refuses with, see ``age_fit``)."""
    chosen = [(n, data[n]) for n in wish_fields if data.get(n)]
    start = data.get("desired_start")
    start = start.replace(day=1) if start else None
    problems = age_problems([f for _n, f in chosen], birth, start)
    for i, message in problems.items():
        form.add_error(chosen[i][0], message)


class ApplicationEditForm(ApplicationForm):
    """The same form without the child and the consent (they do not change)."""

    def __init__(self, *args: Any, birth_date: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.birth_date = birth_date
        for name in (*self.child_fields, "consent"):
            del self.fields[name]

    def _birth_for_age_check(self, data: dict[str, Any]) -> dt.date | None:
        return self.birth_date


def _max_wishes_for_installation() -> int:
    from django.conf import settings

    try:
        return max_wishes_for(settings.LOTSE_MUNICIPALITY_NAME)
    except Exception:  # noqa: BLE001 — tables may not exist yet during checks
        return DEFAULT_MAX_WISHES


class SeatQuotaForm(forms.Form):
    seat_type = forms.ChoiceField(
        label=_("Seat type"),
        choices=SeatType.choices,
        help_text=_(
            "Places in a mixed group (1 to 6 years) take children from their first birthday "
            "to school entry; a child under 3 counts more than one place there, by the "
            "municipality's rule."
        ),
    )
    start_month = MonthField(label=_("Free from (month)"))
    capacity = LocalIntegerField(label=_("Number of seats"), min_value=0, max_value=500)


class SocialUrgencyForm(forms.Form):
    urgent = forms.BooleanField(label=_("Social urgency confirmed"), required=False)
    note = forms.CharField(label=_("Note (internal)"), max_length=300, required=False)


class LateWishForm(forms.Form):
    """After the deadline: one more wish, added at the end of the list (``services.
    application_add_late_wish``)."""

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        named = application.wishes.values_list("facility_id", flat=True)
        self.fields["facility"] = FacilityPickerField(
            label=_("Wish %(n)d") % {"n": application.wishes.count() + 1},
            queryset=wishable_facilities(application.municipality).exclude(pk__in=named),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        add_age_errors(
            self,
            ["facility"],
            self.application.child.effective_birth_date,
            {"facility": data.get("facility"), "desired_start": self.application.desired_start},
        )
        return data
