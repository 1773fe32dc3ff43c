from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "language"]


class EraseDataForm(forms.Form):
    """Erasure cannot be undone: the current password and the typed e-mail address confirm
    that the account holder themselves asks for it (not someone at an unlocked screen)."""

    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirmation = forms.CharField(
        label=_("Type your e-mail address to confirm"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password

    def clean_confirmation(self) -> str:
        typed = self.cleaned_data["confirmation"].strip()
        if typed.lower() != self.user.email.lower():
            raise forms.ValidationError(
                _("Please type your e-mail address exactly as shown on this page.")
            )
        return typed
