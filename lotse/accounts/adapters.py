from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    """Remember the interface language a person signed up in, for later e-mails."""

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):  # type: ignore[no-untyped-def]
        user = super().save_user(request, user, form, commit=False)
        language = (translation.get_language() or "de")[:2]
        if language in {code for code, _name in settings.LANGUAGES}:
            user.language = language
            user.language_chosen = True
        if commit:
            user.save()
        return user
