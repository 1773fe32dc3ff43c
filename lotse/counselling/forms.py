from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lotse.accounts.models import Organisation, User, language_choices
from lotse.applications.forms import TogetherFields, add_age_errors
from lotse.applications.models import Application
from lotse.applications.picker import FacilityPickerField
from lotse.core.forms import (
    LocalIntegerField,
    bound_integer,
    bounded_formfield,
    check_planned,
    not_in_future,
)
from lotse.core.uploads import DOCUMENTS, UploadField
from lotse.directory.models import District, Facility, Service

from .models import (
    LANGUAGE_CHOICES,
    Case,
    Consent,
    Consultation,
    Contact,
    Referral,
    Topic,
)
from .selectors import CaseFilter, counsellors_of, facility_choices
from .statistics import Period

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClientFieldsMixin(forms.Form):
    alias = forms.CharField(
        label=_("Alias"),
        max_length=80,
        help_text=_("A pseudonym, e.g. initials and a number. Do not use the full name."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages of the client"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    children_count = LocalIntegerField(label=_("Number of children"), min_value=0, max_value=20)
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.order_by("name"),
        required=False,
        empty_label=_("Unknown or outside the municipality"),
    )
    parent_email = forms.EmailField(
        label=_("Parent account (e-mail, optional)"),
        required=False,
        help_text=_(
            "If the parent has a Lotse account with this address, they receive an e-mail and "
            "the case is linked once they confirm. Leave empty to remove a link."
        ),
    )

    def clean_parent_email(self) -> str:
        return (self.cleaned_data.get("parent_email") or "").strip().lower()


class CaseCreateForm(ClientFieldsMixin):
    organisation = forms.ModelChoiceField(
        label=_("Counselling service"), queryset=Organisation.objects.none()
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(
        label=pgettext_lazy("counselling", "Notes"), widget=forms.Textarea, required=False
    )
    retention_action = forms.ChoiceField(
        label=_("After the retention date"),
        choices=Case.RetentionAction.choices,
        initial=Case.RetentionAction.ANONYMISE,
    )
    opened_on = forms.DateField(
        label=_("Opened on"),
        widget=DATE,
        required=False,
        validators=[not_in_future],
        help_text=_("The day of the first contact, if that was before today."),
    )

    field_order = [
        "organisation",
        "opened_on",
        "alias",
        "languages",
        "children_count",
        "district",
        "parent_email",
        "topics",
        "notes",
        "retention_action",
    ]

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = services
        # Visible even with one service: errors on hidden fields would not be shown.
        self.fields["organisation"].initial = services.first()
        self.fields["organisation"].empty_label = None
        self.fields["opened_on"].initial = timezone.localdate()


class CaseUpdateForm(ClientFieldsMixin):
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )
    counsellors = forms.ModelMultipleChoiceField(
        label=_("Responsible counsellors"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(label=_("Status"), choices=Case.Status.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Case.Outcome.choices, required=False)
    notes = forms.CharField(
        label=pgettext_lazy("counselling", "Notes"), widget=forms.Textarea, required=False
    )
    opened_on = forms.DateField(
        label=_("Opened on"),
        widget=DATE,
        required=False,
        validators=[not_in_future],
        help_text=_("The day of the first contact, if that was before the case was entered."),
    )
    retention_until = forms.DateField(
        label=_("Keep until"),
        widget=DATE,
        help_text=_("After this date the case is anonymised or erased automatically."),
    )
    retention_action = forms.ChoiceField(
        label=_("After the retention date"), choices=Case.RetentionAction.choices
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        client = case.client
        initial = {
            "alias": client.alias,
            "languages": client.languages,
            "children_count": client.children_count,
            "district": client.district_id,
            "parent_email": client.parent_user.email if client.parent_user else "",
            "topics": case.topics,
            "counsellors": list(case.counsellors.all()),
            "status": case.status,
            "outcome": case.outcome,
            "notes": case.notes,
            "opened_on": case.opened_on,
            "retention_until": case.retention_until,
            "retention_action": case.retention_action,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["counsellors"].queryset = counsellors_of(case.organisation)
        self.case = case

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opened = data.get("opened_on") or self.case.opened_on
        keep = data.get("retention_until")
        if opened and keep and keep < opened:
            self.add_error(
                "retention_until", _("The retention date cannot lie before the case was opened.")
            )
        return data


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Alias"), required=False, max_length=80)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Case.Status.choices
    )
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("All topics"))] + Topic.choices
    )
    mine = forms.BooleanField(label=_("Only my cases"), required=False)

    def to_filter(self) -> CaseFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return CaseFilter(
            status=data.get("status", ""),
            topic=data.get("topic", ""),
            mine=bool(data.get("mine")),
            text=(data.get("q") or "").strip(),
        )


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["date", "channel", "duration_minutes", "language", "interpreter", "notes"]
        widgets = {"date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}
        formfield_callback = bounded_formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        self.fields["date"].validators.append(not_in_future)
        # Attributes set after construction validate nothing: bound_integer adds validators.
        bound_integer(self.fields["duration_minutes"], min_value=1, max_value=600)


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["purpose", "given_on", "form", "scope"]
        widgets = {"given_on": DATE, "scope": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = timezone.localdate()
        self.fields["given_on"].validators.append(not_in_future)


class ReferralForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Refer to"), queryset=Service.objects.order_by("kind", "name")
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    shares_data = forms.BooleanField(
        label=_("Pass the client's data on to this service (needs consent)"),
        required=False,
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One's own service is no referral target (the service refuses it as well).
        self.fields["target"].queryset = Service.objects.exclude(
            organisation=case.organisation
        ).order_by("kind", "name")


class ReferralOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Referral.Outcome.choices)
    note = forms.CharField(
        label=_("Note on the outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FollowUpForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    assigned_to = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = counsellors_of(case.organisation)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_planned(self, "due_on")
        return data


class ConsultationForm(forms.Form):
    advisor = forms.ModelChoiceField(
        label=_("Advising organisation"), queryset=Organisation.objects.none()
    )
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Organisation.objects.none())
    date = forms.DateField(label=_("Date"), widget=DATE, validators=[not_in_future])
    format = forms.ChoiceField(label=_("Format"), choices=Consultation.Format.choices)
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=Consultation.Topic.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    participants = forms.CharField(
        label=_("Participants"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. the board (3 parents) and the head of the Kita."),
    )
    summary = forms.CharField(label=_("What was discussed"), widget=forms.Textarea)
    outcomes = forms.CharField(
        label=_("Outcomes and agreements"), widget=forms.Textarea, required=False
    )
    next_steps = forms.CharField(
        label=_("Next steps"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(
        self, *args: Any, advisors: Any, consultation: Consultation | None = None, **kwargs: Any
    ) -> None:
        if consultation is not None:
            kwargs["initial"] = {
                "advisor": consultation.advisor_id,
                "facility": consultation.facility_id,
                "date": consultation.date,
                "format": consultation.format,
                "topics": consultation.topics,
                "participants": consultation.participants,
                "summary": consultation.summary,
                "outcomes": consultation.outcomes,
                "next_steps": consultation.next_steps,
            }
        super().__init__(*args, **kwargs)
        self.fields["advisor"].queryset = advisors
        self.fields["facility"].queryset = facility_choices()
        if consultation is not None:
            del self.fields["advisor"]
        else:
            self.fields["advisor"].initial = advisors.first()
            self.fields["advisor"].empty_label = None
        if consultation is None:
            self.fields["date"].initial = timezone.localdate()


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = UploadField(label=_("File"), policy=DOCUMENTS)


QUARTER_CHOICES = [
    ("", _("Whole year")),
    ("1", _("1st quarter (January–March)")),
    ("2", _("2nd quarter (April–June)")),
    ("3", _("3rd quarter (July–September)")),
    ("4", _("4th quarter (October–December)")),
]


class ReportForm(forms.Form):
    service = forms.ModelChoiceField(
        label=_("Counselling service"), queryset=Organisation.objects.none()
    )
    year = LocalIntegerField(label=_("Year"), min_value=2000, max_value=2100, grouping=False)
    quarter = forms.TypedChoiceField(
        label=_("Period"), choices=QUARTER_CHOICES, coerce=int, required=False, empty_value=None
    )

    def __init__(self, data: Any, *, services: Any) -> None:
        today = timezone.localdate()
        data = data.copy() if data else {}
        # A bare visit shows the current quarter of the first service.
        if not data.get("year"):
            data["year"] = str(today.year)
            data.setdefault("quarter", str((today.month - 1) // 3 + 1))
        if not data.get("service") and services.exists():
            data["service"] = str(services.first().pk)
        super().__init__(data)
        self.fields["service"].queryset = services

    def period(self) -> Period:
        return Period(self.cleaned_data["year"], self.cleaned_data.get("quarter"))


def _family_language(client: Any) -> str:
    """The first of the client's languages that Lotse speaks (German otherwise)."""
    if client.parent_user:
        return client.parent_user.language
    spoken = dict(settings.LANGUAGES)
    return next((code for code in client.languages if code in spoken), settings.LANGUAGE_CODE)


class ApplyOnBehalfForm(forms.Form):
    """The fields of the central application, filled in by the counsellor with the client."""

    first_name = forms.CharField(label=_("Child's first name"), max_length=100)
    last_name = forms.CharField(label=_("Child's last name"), max_length=100)
    birth_date = forms.DateField(label=_("Date of birth"), widget=DATE, required=False)
    expected_birth_date = forms.DateField(
        label=_("or the expected date of birth"),
        widget=DATE,
        required=False,
        help_text=_("For a child not yet born."),
    )
    # The wishes' picker searches every facility: counsellors also help families moving here.
    wish_1 = FacilityPickerField(
        label=_("First wish"), queryset=Facility.objects.none(), scope="all"
    )
    wish_2 = FacilityPickerField(
        label=_("Second wish"), queryset=Facility.objects.none(), required=False, scope="all"
    )
    wish_3 = FacilityPickerField(
        label=_("Third wish"), queryset=Facility.objects.none(), required=False, scope="all"
    )
    desired_start = forms.DateField(
        label=_("Desired start"),
        widget=DATE,
        help_text=_("Care starts at the beginning of this month."),
    )
    weekly_hours = LocalIntegerField(label=_("Care hours per week"), min_value=5, max_value=60)
    home_district = forms.ModelChoiceField(
        label=pgettext_lazy("counselling", "Home district"),
        queryset=District.objects.order_by("name"),
        required=False,
    )
    home_postcode = forms.CharField(label=_("Home postcode"), max_length=10, required=False)
    employment = forms.BooleanField(label=_("Parents employed or in training"), required=False)
    single_parent = forms.BooleanField(label=_("Single parent"), required=False)
    invitation_email = forms.EmailField(
        label=_("Send the invitation link to (optional)"),
        required=False,
        help_text=_("With this link the parent can take the application over into their account."),
    )
    invitation_language = forms.ChoiceField(
        label=_("Language of the invitation and of later mails"),
        choices=language_choices,
        help_text=_("If the parent already has an account, the language chosen there is used."),
    )
    consent = forms.BooleanField(
        label=_("The client agreed to the processing of the application data"),
        required=False,
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        client = case.client
        kwargs.setdefault(
            "initial",
            {
                "home_district": client.district_id,
                "invitation_email": client.parent_user.email if client.parent_user else "",
                "invitation_language": _family_language(client),
            },
        )
        super().__init__(*args, **kwargs)
        facilities = Facility.objects.order_by("name")
        for name in ("wish_1", "wish_2", "wish_3"):
            self.fields[name].queryset = facilities
        # Siblings and twins: the applications made earlier for this case, while changeable.
        siblings = Application.objects.filter(
            pk__in=case.applications.values("application_id"),
            status__in=Application.EDITABLE,
            claimed_at__isnull=True,
        ).select_related("child")
        if siblings.exists():
            TogetherFields.add(self, siblings)
            names = list(self.fields)
            self.order_fields([*names[: names.index("wish_3") + 1], "together_with", "together"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # The facility must take a child of this age (the service refuses it too).
        birth = data.get("birth_date") or data.get("expected_birth_date")
        add_age_errors(self, ["wish_1", "wish_2", "wish_3"], birth, data)
        return data

    def application_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        wishes = [data.pop(name) for name in ("wish_1", "wish_2", "wish_3")]
        data["wishes"] = [w for w in wishes if w is not None]
        return data
