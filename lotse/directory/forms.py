from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lotse.core.forms import IdField, LocalIntegerField, bounded_formfield

from .models import WEEKDAY_LABELS, Facility
from .selectors import (
    DEFAULT_RADIUS_KM,
    FacilityQuery,
    age_in_months,
    concept_choices,
    district_choices,
    geocode,
    language_choices,
)
from .services import PROFILE_FIELDS

RADIUS_CHOICES = [(1, "1 km"), (2, "2 km"), (5, "5 km"), (10, "10 km"), (25, "25 km")]


class FacilitySearchForm(forms.Form):
    """The public search. Every field is optional; the query string is the whole state."""

    q = forms.CharField(label=_("Name, street or operator"), required=False, max_length=100)
    kind = forms.MultipleChoiceField(
        label=_("Kind of care"),
        choices=Facility.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    birth_date = forms.DateField(
        label=_("Child's date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Shows only places that take children of this age."),
    )
    age = LocalIntegerField(
        label=_("or the child's age in years"), required=False, min_value=0, max_value=14
    )
    hours = LocalIntegerField(
        label=_("Care hours per week"),
        required=False,
        min_value=5,
        max_value=60,
        help_text=_("Shows only places open long enough for this."),
    )
    # Free values with a select widget: an unknown code in a shared link finds nothing
    # instead of failing the whole search.
    # A length check, not max_length: that would put maxlength on the <select> (invalid HTML).
    language = forms.CharField(
        label=_("Language"),
        required=False,
        validators=[MaxLengthValidator(12)],
        widget=forms.Select,
    )
    concept = IdField(label=_("Pedagogical concept"), required=False, widget=forms.Select)
    district = IdField(label=_("District"), required=False, widget=forms.Select)
    near = forms.CharField(
        label=_("Near (postcode, district or street)"), required=False, max_length=100
    )
    radius = forms.TypedChoiceField(
        label=_("Distance"),
        choices=RADIUS_CHOICES,
        coerce=int,
        required=False,
        empty_value=int(DEFAULT_RADIUS_KM),
    )
    inclusion = forms.BooleanField(label=_("Inclusion places"), required=False)
    barrier_free = forms.BooleanField(label=_("Barrier-free"), required=False)
    free = forms.BooleanField(label=_("Only with free places"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["language"].widget.choices = [("", _("Any language"))] + language_choices()
        self.fields["concept"].widget.choices = [("", _("Any concept"))] + concept_choices()
        self.fields["district"].widget.choices = [("", _("All districts"))] + district_choices()
        self.fields["radius"].choices = [("", _("10 km (default)"))] + RADIUS_CHOICES
        self.place = None

    #: Shown first; the others sit behind "More filters", so that on a phone the results
    #: follow after less than two screens.
    MAIN_FIELDS = ("q", "near", "radius", "birth_date", "age")

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN_FIELDS]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.MAIN_FIELDS]

    def more_active(self) -> int:
        """How many of the further filters are set (shown on the closed "More filters")."""
        return sum(1 for field in self.more_fields() if field.data not in (None, "", [], False))

    def more_open(self) -> bool:
        return any(field.errors for field in self.more_fields())

    def clean_birth_date(self) -> date | None:
        value = self.cleaned_data.get("birth_date")
        today = timezone.localdate()
        if value and value > date(today.year + 1, today.month, 1):
            raise forms.ValidationError(_("The date of birth lies more than a year in the future."))
        if value and value.year < today.year - 15:
            raise forms.ValidationError(_("Childcare is for children up to 14 years."))
        return value

    def clean_near(self) -> str:
        value = self.cleaned_data.get("near", "").strip()
        if value:
            self.place = geocode(value)
            if self.place is None:
                raise forms.ValidationError(
                    _(
                        "We could not find “%(place)s”. Try a postcode (e.g. 24939), "
                        "a district or a street name."
                    ),
                    params={"place": value},
                )
        return value

    def to_query(self) -> FacilityQuery:
        data = self.cleaned_data
        age_months = None
        if data.get("birth_date"):
            age_months = age_in_months(data["birth_date"], timezone.localdate())
        elif data.get("age") is not None:
            age_months = data["age"] * 12 + 6
        return FacilityQuery(
            text=data.get("q", "").strip(),
            kinds=tuple(data.get("kind") or ()),
            age_months=age_months,
            weekly_hours=data.get("hours"),
            language=data.get("language") or "",
            concept=data.get("concept"),
            inclusion=bool(data.get("inclusion")),
            barrier_free=bool(data.get("barrier_free")),
            district=data.get("district"),
            near=self.place,
            radius_km=float(data.get("radius") or DEFAULT_RADIUS_KM),
            free_only=bool(data.get("free")),
        )


TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class FacilityProfileForm(forms.ModelForm):
    """The parts of a facility's public profile its staff maintain, with the opening hours as
    one pair of times per weekday (empty: closed)."""

    class Meta:
        model = Facility
        fields = [name for name in PROFILE_FIELDS if name != "opening_hours"]
        formfield_callback = bounded_formfield
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        hours = self.instance.opening_hours or {}
        for key, day in WEEKDAY_LABELS.items():
            span = hours.get(key) or ["", ""]
            for index, (part, word) in enumerate((("opens", _("opens")), ("closes", _("closes")))):
                self.fields[f"{key}_{part}"] = forms.TimeField(
                    label=format_lazy("{day}: {word}", day=day, word=word),
                    required=False,
                    widget=TIME,
                    initial=span[index] if len(span) == 2 else "",
                )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        hours: dict[str, list[str]] = {}
        for key in WEEKDAY_LABELS:
            opens, closes = data.get(f"{key}_opens"), data.get(f"{key}_closes")
            if f"{key}_opens" in self.errors or f"{key}_closes" in self.errors:
                continue
            if (opens is None) != (closes is None):
                self.add_error(
                    f"{key}_closes" if closes is None else f"{key}_opens",
                    _("Please give both the opening and the closing time, or neither."),
                )
            elif opens is not None and closes is not None:
                if closes <= opens:
                    self.add_error(f"{key}_closes", _("The facility must close after it opens."))
                else:
                    hours[key] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
        data["opening_hours"] = hours
        return data
