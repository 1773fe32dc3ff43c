from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lotse.core.forms import (
    LocalDecimalField,
    MonthField,
    bounded_formfield,
    not_in_past,
    require_not_above,
)
from lotse.core.uploads import DOCUMENTS, UploadField

from .models import Document, Event, Question, TargetGroup, Topic
from .selectors import CalendarQuery, member_choices, organiser_choices
from .services import EVENT_FIELDS, RegistrationData

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CalendarFilterForm(forms.Form):
    """The public calendar's filters; every field optional, the query string is the state."""

    topic = forms.ChoiceField(label=_("Topic"), required=False)
    target_group = forms.ChoiceField(label=_("Target group"), required=False)
    kind = forms.ChoiceField(label=_("Kind of event"), required=False)
    organiser = forms.TypedChoiceField(
        label=_("Organiser"), required=False, coerce=int, empty_value=None
    )
    month = MonthField(label=_("Month"), required=False, help_text=_("For example 2026-03."))
    past = forms.BooleanField(label=_("Include past events"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("All topics")), *Topic.choices]
        self.fields["target_group"].choices = [("", _("All target groups")), *TargetGroup.choices]
        self.fields["kind"].choices = [("", _("All kinds")), *Event.Kind.choices]
        self.fields["organiser"].choices = [("", _("All organisers")), *organiser_choices()]

    def to_query(self) -> CalendarQuery:
        data = self.cleaned_data
        return CalendarQuery(
            topic=data.get("topic") or "",
            target_group=data.get("target_group") or "",
            kind=data.get("kind") or "",
            organiser=data.get("organiser"),
            month=data.get("month"),
            include_past=bool(data.get("past")),
        )


class RegistrationForm(forms.Form):
    """Registration with or without an account, plus the organiser's own questions."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send a link to this address; your registration counts once you confirm."),
    )
    workplace = forms.CharField(label=_("Facility or employer"), max_length=200, required=False)
    member_organisation = forms.TypedChoiceField(
        label=_("I work for or my child attends this member facility"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Member facilities pay the reduced price; the organiser checks this."),
    )
    privacy = forms.BooleanField(
        label=_(
            "I agree that the organiser stores my details to run this event and to issue my "
            "certificate of attendance."
        )
    )

    def __init__(self, *args: Any, event: Event, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.signed_in = bool(user and user.is_authenticated)
        if self.signed_in:
            # A signed-in person registers with their verified account address.
            del self.fields["email"]
            self.fields["full_name"].initial = user.full_name
        members = member_choices(event)
        if members and event.member_fee is not None:
            self.fields["member_organisation"].choices = [("", _("No member facility")), *members]
        else:
            del self.fields["member_organisation"]
        self.questions = list(event.questions.all())
        for question in self.questions:
            self.fields[f"q_{question.pk}"] = self._question_field(question)

    @staticmethod
    def _question_field(question: Question) -> forms.Field:
        if question.kind == Question.Kind.YES_NO:
            return forms.BooleanField(label=question.label, required=question.required)
        if question.kind == Question.Kind.CHOICE:
            options = [(c, c) for c in question.choice_list]
            return forms.ChoiceField(
                label=question.label,
                required=question.required,
                choices=[("", "—"), *options],
            )
        return forms.CharField(
            label=question.label,
            required=question.required,
            max_length=1000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    def answers(self) -> dict[str, Any]:
        # Keyed by the label so that answers stay readable if the question is later removed.
        result: dict[str, Any] = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q_{question.pk}")
            if question.kind == Question.Kind.YES_NO:
                value = bool(value)
            result[question.label] = value if value is not None else ""
        return result

    def to_data(self, language: str) -> RegistrationData:
        data = self.cleaned_data
        return RegistrationData(
            email=data.get("email", ""),
            full_name=data["full_name"],
            workplace=data.get("workplace", ""),
            member_organisation_id=data.get("member_organisation"),
            answers=self.answers(),
            language=language,
        )


class EventForm(forms.ModelForm):
    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Event
        formfield_callback = bounded_formfield
        # The organiser is chosen here; the rest is what event_create/event_update write.
        fields = ["organiser", *EVENT_FIELDS]
        widgets = {
            "registration_opens": DATETIME_WIDGET,
            "registration_closes": DATETIME_WIDGET,
            "cancellation_deadline": DATETIME_WIDGET,
            "description": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args: Any, organisers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = organisers
        self.fields["organiser"].empty_label = None
        if self.instance.pk:
            # The organiser of an existing event does not change (its registrations stay).
            del self.fields["organiser"]
            self.fields["target_groups"].initial = list(
                self.instance.audiences.values_list("group", flat=True)
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("registration_opens"), data.get("registration_closes")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes", _("Registration must close after it opens."))
        deadline = data.get("cancellation_deadline")
        if deadline and opens and deadline < opens:
            self.add_error(
                "cancellation_deadline",
                _("The cancellation deadline cannot lie before registration opens."),
            )
        require_not_above(
            self, "member_fee", "fee", _("The member price cannot be higher than the price.")
        )
        return data

    def service_fields(self) -> dict[str, Any]:
        return {
            k: v for k, v in self.cleaned_data.items() if k not in {"organiser", "target_groups"}
        }


class SessionForm(forms.Form):
    # Dates are only added, never moved: a new date lies today or later (not "2020").
    day = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[not_in_past],
    )
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    online_url = forms.URLField(
        label=_("Online link"),
        required=False,
        help_text=_("Only shown to confirmed participants."),
        assume_scheme="https",
    )
    units = LocalDecimalField(
        label=_("Teaching units (UE)"), min_value=0, max_value=20, decimal_places=1, initial=0
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day, start, end = data.get("day"), data.get("start"), data.get("end")
        if day and start and end:
            if end <= start:
                self.add_error("end", _("The end must be after the start."))
            else:
                data["starts_at"] = timezone.make_aware(datetime.combine(day, start))
                data["ends_at"] = timezone.make_aware(datetime.combine(day, end))
        if not data.get("place") and not data.get("online_url"):
            raise forms.ValidationError(_("Give a place or an online link (or both)."))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "place": data["place"],
            "address": data["address"],
            "online_url": data["online_url"],
            "units": data["units"],
        }


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["label", "kind", "choices", "required"]
        widgets = {"choices": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == Question.Kind.CHOICE:
            options = [c for c in (data.get("choices") or "").splitlines() if c.strip()]
            if len(options) < 2:
                self.add_error("choices", _("Give at least two options, one per line."))
        return data


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = UploadField(label=_("File"), policy=DOCUMENTS)
    visibility = forms.ChoiceField(
        label=_("Visible to"),
        choices=Document.Visibility.choices,
        initial=Document.Visibility.PARTICIPANTS,
    )


class MemberAddForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Facility or Träger"), queryset=None)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Present"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, participants: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(str(p.pk), p.full_name) for p in participants]

    def present_ids(self) -> set[int]:
        return {int(v) for v in self.cleaned_data.get("present", [])}
