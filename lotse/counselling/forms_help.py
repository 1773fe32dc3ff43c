"""The family's request for help (status page → counselling service). Family-facing: every
text here is translated into all family languages (lotse/core/i18n.py PUBLIC_FILES)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lotse.directory.models import Service

from .models import HelpRequest

CONTACT_WAYS = [
    (HelpRequest.ContactWay.EMAIL.value, _("By e-mail")),
    (HelpRequest.ContactWay.PHONE.value, _("By phone")),
    (HelpRequest.ContactWay.VISIT.value, _("An appointment in person")),
]


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Service) -> str:
        return f"{obj.name} — {obj.address}" if obj.address else obj.name


class HelpRequestForm(forms.Form):
    service = ServiceChoiceField(
        label=_("Counselling service"), queryset=Service.objects.none(), empty_label=None
    )
    language = forms.ChoiceField(
        label=_("Language in which you would like help"), choices=settings.LANGUAGES
    )
    contact_way = forms.ChoiceField(
        label=_("How should the counselling service contact you?"),
        choices=CONTACT_WAYS,
        widget=forms.RadioSelect,
        initial=HelpRequest.ContactWay.EMAIL.value,
    )
    phone = forms.CharField(
        label=_("Phone number (if you would like a call)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    message = forms.CharField(
        label=_("What do you need help with? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my name, my e-mail address, the phone number above and the details of "
            "my application (child's first name and age group, wishes, status) are passed on to "
            "the counselling service I chose, so that it can help me. I can withdraw this "
            "consent at any time by telling the counselling service."
        ),
        required=False,
    )

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        field.queryset = Service.objects.filter(pk__in=[s.pk for s in services]).order_by("name")
