from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation
from lotse.core.forms import (
    LocalIntegerField,
    bounded_formfield,
    check_planned,
    money_field,
    not_in_future,
    require_order,
)
from lotse.core.uploads import DOCUMENTS, REPORTS, UploadField
from lotse.directory.models import Service

from .models import (
    CallApplication,
    Invitation,
    Meeting,
    NeedsAnalysis,
    Network,
    NetworkRole,
    ProgrammeCall,
    ReportDue,
    TargetGroup,
)
from .selectors import districts_of

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
TEXT = forms.Textarea(attrs={"rows": 4})


def _money(label: str, required: bool = True) -> forms.DecimalField:
    return money_field(label, required=required)


class MemberChoiceField(forms.ModelChoiceField):
    """Network members by the person's name."""

    def label_from_instance(self, obj: object) -> str:
        return str(obj.user)  # type: ignore[attr-defined]


class MembersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: object) -> str:
        return str(obj.user)  # type: ignore[attr-defined]


class NetworkForm(forms.Form):
    name = forms.CharField(label=_("Name of the network"), max_length=200)
    municipality = forms.CharField(label=_("Municipality"), max_length=120, required=False)
    area = forms.CharField(
        label=_("Area"),
        max_length=200,
        required=False,
        help_text=_("Where the network is active, e.g. a town or some districts."),
    )
    programme = forms.CharField(
        label=_("Programme"),
        max_length=200,
        required=False,
        help_text=_("E.g. the funding programme that supports the network."),
    )
    description = forms.CharField(label=_("Description"), widget=TEXT, required=False)
    aims = forms.CharField(label=_("Aims"), widget=TEXT, required=False)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=Network.Visibility.choices,
        help_text=_(
            "A public profile shows the description, working groups and member "
            "organisations to everyone; people are never shown publicly."
        ),
    )
    email = forms.EmailField(label=_("Contact e-mail address"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    @classmethod
    def initial_for(cls, network: Network) -> dict[str, object]:
        org = network.organisation
        return {
            "name": org.name,
            "municipality": org.municipality,
            "email": org.email,
            "website": org.website,
            "area": network.area,
            "programme": network.programme,
            "description": network.description,
            "aims": network.aims,
            "visibility": network.visibility,
        }


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), help_text=_("The person needs a Lotse account.")
    )
    role = forms.ChoiceField(label=_("Role in the network"), choices=NetworkRole.choices)
    function = forms.CharField(label=_("Function"), max_length=200, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.order_by("name"), required=False
    )


class MemberEditForm(forms.Form):
    role = forms.ChoiceField(label=_("Role in the network"), choices=NetworkRole.choices)
    function = forms.CharField(label=_("Function"), max_length=200, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.order_by("name"), required=False
    )


class MemberOrganisationForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the name of the organisation chosen below."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation in Lotse"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
    )
    field = forms.CharField(label=_("Field"), max_length=200, required=False)
    joined_on = forms.DateField(
        label=_("Member since"), required=False, widget=DATE, validators=[not_in_future]
    )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not data.get("name") and not data.get("organisation"):
            raise forms.ValidationError(_("Please enter a name or choose an organisation."))
        return data


class WorkingGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=TEXT, required=False)
    lead = MemberChoiceField(label=_("Lead"), queryset=None, required=False)
    members = MembersChoiceField(
        label=_("Members"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, network: Network, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        members = network.members.select_related("user").order_by("user__full_name")
        self.fields["lead"].queryset = members
        self.fields["members"].queryset = members


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    location = forms.CharField(label=_("Place"), max_length=300, required=False)
    online_url = forms.URLField(
        label=_("Online meeting link"), required=False, assume_scheme="https"
    )
    working_group = forms.ModelChoiceField(
        label=_("Working group"),
        queryset=None,
        required=False,
        empty_label=_("Whole network"),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Meeting.Status.choices)

    def __init__(self, *args: object, network: Network, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["working_group"].queryset = network.groups.all()

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not data.get("location") and not data.get("online_url"):
            self.add_error(None, _("Please give a place or an online meeting link."))
        require_order(self, "starts_at", "ends_at", _("The meeting cannot end before it starts."))
        return data


class SeriesForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=TEXT, required=False)
    facilitator = MemberChoiceField(label=_("Facilitator"), queryset=None, required=False)
    starts_on = forms.DateField(label=_("First meeting on"), widget=DATE)
    ends_on = forms.DateField(label=_("Programme period until"), widget=DATE)
    interval_weeks = LocalIntegerField(
        label=_("Every … weeks"), min_value=1, max_value=26, initial=6
    )
    start_time = forms.TimeField(label=_("Start time"), widget=TIME, initial="14:00")
    duration_minutes = LocalIntegerField(
        label=_("Duration in minutes"), min_value=15, max_value=600, initial=120
    )
    location = forms.CharField(label=_("Place"), max_length=300, required=False)
    online_url = forms.URLField(
        label=_("Online meeting link"), required=False, assume_scheme="https"
    )

    def __init__(self, *args: object, network: Network, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = network.members.select_related("user")

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not data.get("location") and not data.get("online_url"):
            self.add_error(None, _("Please give a place or an online meeting link."))
        require_order(self, "starts_on", "ends_on", _("The period cannot end before it starts."))
        check_planned(self, "starts_on")
        return data


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Topic"), max_length=300)
    presenter = forms.CharField(label=_("Presented by"), max_length=200, required=False)
    duration_minutes = LocalIntegerField(
        label=_("Minutes planned"), min_value=1, max_value=600, required=False
    )


class InviteForm(forms.Form):
    people = forms.MultipleChoiceField(
        label=_("Invite"), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args: object, people: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = [(str(u.pk), str(u)) for u in people]


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Present"), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args: object, people: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(str(u.pk), str(u)) for u in people]


class RsvpForm(forms.Form):
    response = forms.ChoiceField(
        label=_("Your answer"), choices=Invitation.Response.choices, widget=forms.RadioSelect
    )


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 12}), required=False
    )


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}))


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=300)
    description = forms.CharField(label=_("Details"), widget=TEXT, required=False)
    owner = MemberChoiceField(label=_("Responsible"), queryset=None, required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DATE)

    def __init__(self, *args: object, network: Network, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = network.members.select_related("user").order_by(
            "user__full_name"
        )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        check_planned(self, "due_on")
        return data


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = UploadField(label=_("File"), policy=DOCUMENTS)
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=None, required=False)
    working_group = forms.ModelChoiceField(label=_("Working group"), queryset=None, required=False)

    def __init__(self, *args: object, network: Network, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = network.meetings.order_by("-starts_at")
        self.fields["working_group"].queryset = network.groups.all()


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = [
            "name",
            "kind",
            "area_of_activity",
            "description",
            "street",
            "postcode",
            "city",
            "district",
            "latitude",
            "longitude",
            "phone",
            "email",
            "website",
            "is_public",
        ]
        widgets = {"description": TEXT}
        help_texts = {
            "latitude": _("Leave empty to place the entry by its postcode or district."),
        }


# --- Calls and funding -------------------------------------------------------------------------


class CallForm(forms.Form):
    funder = forms.ModelChoiceField(label=_("Funder"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=400)
    text = forms.CharField(label=_("Call text"), widget=forms.Textarea(attrs={"rows": 8}))
    eligibility = forms.CharField(label=_("Who may apply"), widget=TEXT)
    deadline = forms.DateTimeField(label=_("Deadline"), widget=DATETIME)
    budget = _money(_("Total budget (EUR)"), required=False)
    max_amount = _money(_("Maximum per application (EUR)"), required=False)

    def __init__(self, *args: object, funders: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = funders

    @classmethod
    def initial_for(cls, call: ProgrammeCall) -> dict[str, object]:
        return {
            "funder": call.funder_id,
            "title": call.title,
            "summary": call.summary,
            "text": call.text,
            "eligibility": call.eligibility,
            "deadline": call.deadline,
            "budget": call.budget,
            "max_amount": call.max_amount,
        }


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=400)
    help_text = forms.CharField(label=_("Hint"), max_length=400, required=False)
    required = forms.BooleanField(label=_("Answer required"), required=False, initial=True)


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=400, required=False)
    max_score = LocalIntegerField(label=_("Maximum score"), min_value=1, max_value=100, initial=5)


class CallDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = UploadField(label=_("File"), policy=DOCUMENTS)


class ApplicationForm(forms.Form):
    """Project data plus one field per question of the call (``q_<id>``)."""

    applicant = forms.ModelChoiceField(label=_("Applying organisation"), queryset=None)
    project_title = forms.CharField(label=_("Project title"), max_length=200)
    requested_amount = _money(_("Amount requested (EUR)"))

    def __init__(
        self,
        *args: object,
        call: ProgrammeCall,
        applicants: object,
        application: CallApplication | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["applicant"].queryset = applicants
        if application is not None:
            del self.fields["applicant"]
        for question in call.questions.all():
            # Drafts may be saved incomplete; required answers are checked on submission.
            self.fields[f"q_{question.pk}"] = forms.CharField(
                label=question.text + (" *" if question.required else ""),
                help_text=question.help_text,
                widget=forms.Textarea(attrs={"rows": 5}),
                required=False,
                max_length=10_000,
            )

    def answers(self) -> dict[int, str]:
        return {
            int(name[2:]): value
            for name, value in self.cleaned_data.items()
            if name.startswith("q_")
        }


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=TEXT, required=False)

    def __init__(self, *args: object, call: ProgrammeCall, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for criterion in call.criteria.all():
            self.fields[f"c_{criterion.pk}"] = LocalIntegerField(
                label=_("%(name)s (0 to %(max)s)")
                % {"name": criterion.name, "max": criterion.max_score},
                help_text=criterion.description,
                min_value=0,
                max_value=criterion.max_score,
            )

    def scores(self) -> dict[int, int]:
        return {
            int(name[2:]): value
            for name, value in self.cleaned_data.items()
            if name.startswith("c_")
        }


class DecisionOnApplicationForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    amount = _money(_("Amount granted (EUR)"), required=False)
    starts_on = forms.DateField(label=_("Funding period from"), required=False, widget=DATE)
    ends_on = forms.DateField(label=_("Funding period until"), required=False, widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), widget=TEXT, required=False)
    note = forms.CharField(label=_("Reason for the decision"), widget=TEXT, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("approve"):
            for name in ("amount", "starts_on", "ends_on"):
                if not data.get(name):
                    self.add_error(name, _("This field is required for an approval."))
        require_order(self, "starts_on", "ends_on", _("The period cannot end before it starts."))
        return data


class GrantForm(forms.Form):
    recipient = forms.ModelChoiceField(label=_("Recipient"), queryset=None)
    funder_name = forms.CharField(label=_("Funder"), max_length=200)
    amount = _money(_("Amount (EUR)"))
    starts_on = forms.DateField(label=_("Funding period from"), widget=DATE)
    ends_on = forms.DateField(label=_("Funding period until"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), widget=TEXT)
    reference = forms.CharField(label=_("File reference"), max_length=100, required=False)

    def __init__(self, *args: object, recipients: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = recipients

    def clean(self) -> dict[str, object]:
        data = super().clean()
        require_order(self, "starts_on", "ends_on", _("The period cannot end before it starts."))
        return data


class ReportDueForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=ReportDue.Kind.choices)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        check_planned(self, "due_on")
        return data


class ReportSubmitForm(forms.Form):
    file = UploadField(label=_("Report file"), policy=REPORTS)


class NeedsAnalysisForm(forms.ModelForm):
    organisation = forms.ModelChoiceField(label=_("Network or municipality"), queryset=None)
    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = NeedsAnalysis
        formfield_callback = bounded_formfield
        fields = [
            "organisation",
            "title",
            "area",
            "district",
            "children_under3",
            "children_3_to_6",
            "children_as_of",
            "situation",
            "offers",
            "gaps",
            "target_groups",
            "target_groups_note",
            "partners",
            "priorities",
        ]
        widgets = {
            name: TEXT
            for name in (
                "situation",
                "offers",
                "gaps",
                "target_groups_note",
                "partners",
                "priorities",
            )
        } | {"children_as_of": DATE}
        help_texts = {
            "offers": _("Kitas, family centres, counselling, health services, clubs …"),
            "gaps": _("What is missing, for whom, and where?"),
            "partners": _("Who already works with you, and who should join?"),
        }

    def __init__(self, *args: object, organisations: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        district = self.fields["district"]
        district.queryset = districts_of(organisations)  # type: ignore[attr-defined]
        district.empty_label = _("The whole municipality")  # type: ignore[attr-defined]
        district.label_from_instance = lambda d: f"{d.name} ({d.municipality})"  # type: ignore[attr-defined]
        district.help_text = _(
            "The places in the report are counted for this area; give the numbers of "
            "children for the same area."
        )

    def clean_children_as_of(self) -> object:
        value = self.cleaned_data.get("children_as_of")
        if value is not None:
            not_in_future(value)
        return value
