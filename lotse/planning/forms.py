"""The dashboard's filters (GET): year, age band, district and the assumed demand per band."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from lotse.core.forms import LocalIntegerField
from lotse.directory.models import District

from .report import ALL, BAND_LABELS, DEFAULT_DEMAND, Filters, opening_year


class _ListedChoices(forms.models.ModelChoiceIterator):
    """The choices from one ordinary query: Django's default iterates a server-side cursor,
    three round trips to PostgreSQL for a municipality's few dozen districts."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class _ListedSelect(forms.Select):
    """A select whose options are drawn in Python: a city's ~100 districts, each through the
    option template, took most of the filter form's rendering time (the same HTML)."""

    def render(self, name, value, attrs=None, renderer=None):  # type: ignore[no-untyped-def]
        widget = self.get_context(name, value, attrs)["widget"]
        options = [
            format_html(
                '<option value="{}"{}>{}</option>',
                option["value"],
                flatatt(option["attrs"]),
                option["label"],
            )
            for _group, choices, _index in widget["optgroups"]
            for option in choices
        ]
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("\n".join(options)),  # noqa: S308 - each option escaped by format_html
        )


class _DistrictField(forms.ModelChoiceField):
    iterator = _ListedChoices
    widget = _ListedSelect


class PlanningFilterForm(forms.Form):
    municipality = forms.ChoiceField(label=_("Municipality"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    band = forms.ChoiceField(
        label=_("Age band"),
        choices=[(key, label) for key, label in BAND_LABELS.items() if key != ALL]
        + [(ALL, BAND_LABELS[ALL])],
        required=False,
    )
    district = _DistrictField(
        label=_("District"),
        queryset=District.objects.none(),
        required=False,
        empty_label=_("All districts"),
    )
    demand_u3 = LocalIntegerField(
        label=_("Demand under 3 (percent of children)"), min_value=0, max_value=100, required=False
    )
    demand_ue3 = LocalIntegerField(
        label=_("Demand 3 to school entry (percent of children)"),
        min_value=0,
        max_value=100,
        required=False,
    )
    demand_school = LocalIntegerField(
        label=_("Demand school children (percent of children)"),
        min_value=0,
        max_value=100,
        required=False,
    )

    def __init__(
        self, data: object, *, municipalities: list[str], years_for: object, **kwargs: object
    ) -> None:
        super().__init__(data, **kwargs)  # type: ignore[arg-type]
        self.municipalities = municipalities
        self.fields["municipality"].choices = [(m, m) for m in municipalities]
        if len(municipalities) < 2:
            self.fields["municipality"].widget = forms.HiddenInput()
        self.chosen_municipality = self._chosen_municipality()
        self.years: list[int] = years_for(self.chosen_municipality)  # type: ignore[operator]
        self.fields["year"].choices = [(y, str(y)) for y in self.years]
        wanted = str(self.data.get("year") or "") if hasattr(self.data, "get") else ""
        # The year with data nearest to today is a query over every application: only when
        # no valid year was asked for.
        self.default_year = (
            int(wanted)
            if wanted in {str(y) for y in self.years}
            else opening_year(self.chosen_municipality, self.years)
            if self.years
            else None
        )
        # Show the defaults the report uses, not the first option of each list.
        if hasattr(self.data, "copy") and self.years:
            self.data = self.data.copy()
            if not self.data.get("year"):
                self.data["year"] = str(self.default_year)
            if not self.data.get("band"):
                self.data["band"] = ALL
        # only(): the boundaries are large and not needed for the choice.
        self.fields["district"].queryset = (
            District.objects.filter(municipality=self.chosen_municipality)
            .only("id", "name", "municipality")
            .order_by("name")
        )
        for band, value in DEFAULT_DEMAND.items():
            self.fields[f"demand_{band}"].widget.attrs["placeholder"] = str(value)

    def _chosen_municipality(self) -> str:
        wanted = self.data.get("municipality") if hasattr(self.data, "get") else None
        return wanted if wanted in self.municipalities else self.municipalities[0]

    def to_filters(self, default_year: int) -> Filters:
        data = self.cleaned_data
        demand = {
            band: data.get(f"demand_{band}") if data.get(f"demand_{band}") is not None else value
            for band, value in DEFAULT_DEMAND.items()
        }
        return Filters(
            municipality=self.chosen_municipality,
            year=data.get("year") or default_year,
            band=data.get("band") or ALL,
            district=data.get("district"),
            demand=demand,
        )
