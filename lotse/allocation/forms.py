from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation
from lotse.core.forms import LocalIntegerField, MonthField
from lotse.directory.models import DEFAULT_MIXED_WEIGHT, MAX_MIXED_WEIGHT, MIN_MIXED_WEIGHT

from .models import AllocationRules, Criterion

MAX_CRITERIA = len(Criterion.choices)


class RulesForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Jugendamt"), queryset=Organisation.objects.none()
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    max_wishes = LocalIntegerField(
        label=_("Maximum number of wishes"), min_value=1, max_value=20, initial=5
    )
    application_deadline = forms.DateField(
        label=_("Application deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Families can change or withdraw applications until this day."),
    )
    answer_days = LocalIntegerField(
        label=_("Days to answer an offer"), min_value=1, max_value=90, initial=14
    )
    tie_breaking = forms.ChoiceField(
        label=_("Lottery"), choices=AllocationRules.TieBreaking.choices
    )
    mixed_under3_weight = LocalIntegerField(
        label=_("Places an under-3 child counts in a mixed group"),
        min_value=MIN_MIXED_WEIGHT,
        max_value=MAX_MIXED_WEIGHT,
        initial=DEFAULT_MIXED_WEIGHT,
        required=False,  # empty: unchanged (2 for a new rule set), see services.rules_save
        help_text=_(
            "In a mixed group (1 to 6 years) a child under 3 takes this many places; 2 is the "
            "common rule. Children from 3 count one place."
        ),
    )
    mechanism = forms.ChoiceField(
        label=_("Allocation method"),
        choices=[
            ("child_da", _("Deferred acceptance (fast; stable without siblings or mixed groups)")),
            (
                "exact",
                _(
                    "Exact (a stable allocation with siblings and mixed groups when one exists, "
                    "else the fewest blocking pairs; up to a minute)"
                ),
            ),
        ],
        initial="child_da",
        required=False,
    )
    is_active = forms.BooleanField(label=_("Applies to new applications"), required=False)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        choices = [("", _("— none —"))] + list(Criterion.choices)
        for i in range(1, MAX_CRITERIA + 1):
            self.fields[f"criterion_{i}"] = forms.ChoiceField(
                label=_("Priority %(n)d") % {"n": i}, choices=choices, required=False
            )

    def criteria(self) -> list[str]:
        return [
            self.cleaned_data[f"criterion_{i}"]
            for i in range(1, MAX_CRITERIA + 1)
            if self.cleaned_data.get(f"criterion_{i}")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = [data.get(f"criterion_{i}") for i in range(1, MAX_CRITERIA + 1)]
        chosen = [c for c in chosen if c]
        if len(set(chosen)) != len(chosen):
            raise forms.ValidationError(_("Each criterion can be used only once."))
        return data


def _planned_publication_field() -> forms.DateField:
    return forms.DateField(
        label=_("Offers planned to go out on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Optional. Families waiting for this round read this date on their status page "
            "until the round is published. Not before the application deadline or the snapshot."
        ),
    )


class RoundForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Jugendamt"), queryset=Organisation.objects.none()
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    rules = forms.ModelChoiceField(label=_("Rules"), queryset=AllocationRules.objects.none())
    start_from = MonthField(label=_("Care starts from (month)"))
    start_until = MonthField(label=_("Care starts until (month)"))
    planned_publication = _planned_publication_field()

    def __init__(self, *args: Any, organisations: Any, rules: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["rules"].queryset = rules
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("start_from")
            and data.get("start_until")
            and (data["start_until"] < data["start_from"])
        ):
            self.add_error("start_until", _("The end lies before the beginning."))
        return data


class RoundEditForm(forms.Form):
    """A round's name and the day its offers are planned to go out (services.round_update)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    planned_publication = _planned_publication_field()

    def __init__(self, *args: Any, published: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if published:  # the real date is known: nothing planned to change
            del self.fields["planned_publication"]


class RulesChoiceForm(forms.Form):
    rules = forms.ModelChoiceField(label=_("Rules"), queryset=AllocationRules.objects.none())

    def __init__(self, *args: Any, rules: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rules"].queryset = rules


class WhatIfForm(forms.Form):
    """ "+20 under-3 seats at Kita X": a facility and age band of the snapshot, and seats."""

    quota = forms.ChoiceField(label=_("Facility and age group"))
    seats = LocalIntegerField(
        label=_("Additional seats"),
        min_value=-500,
        max_value=500,
        initial=10,
        help_text=_("A negative number takes seats away."),
    )

    def __init__(self, *args: Any, quotas: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quota"].choices = quotas


class WhatIfGroupForm(forms.Form):
    """ "+1 group in district Y": a district of the snapshot and the seat type of the group."""

    district = forms.ChoiceField(label=_("District"))
    group_band = forms.ChoiceField(label=_("Group"))

    def __init__(self, *args: Any, districts: list[tuple[str, str]], **kwargs: Any) -> None:
        from .engine_io import GROUP_SIZE

        super().__init__(*args, **kwargs)
        self.fields["district"].choices = districts
        labels = group_labels()
        self.fields["group_band"].choices = [(b, labels[b]) for b in GROUP_SIZE if b in labels]


def group_labels() -> dict[str, str]:
    """Seat type → "Krippe group (10 places)" etc., the sizes of engine_io.GROUP_SIZE."""
    from .engine_io import GROUP_SIZE

    names = {
        "u3": _("Crèche group, under 3 (%(n)d places)"),
        "ue3": _("Kindergarten group, 3 to school entry (%(n)d places)"),
        "school": _("After-school group (%(n)d places)"),
        "mixed": _("Mixed group, 1 to 6 (%(n)d places)"),
    }
    return {b: str(names[b]) % {"n": n} for b, n in GROUP_SIZE.items() if b in names}
