from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.mail import EmailMessage
from django.http import HttpRequest
from django.utils import translation
from django.utils.encoding import force_str

from lotse.core.mail import build_message, html_alternative, render_text, site_context


class AccountAdapter(DefaultAccountAdapter):
    """Remember the interface language a person signed up in, for later e-mails; write
    allauth's mails like every other Lotse mail (lotse/core/mail.py)."""

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):  # type: ignore[no-untyped-def]
        user = super().save_user(request, user, form, commit=False)
        language = (translation.get_language() or "de")[:2]
        if language in {code for code, _name in settings.LANGUAGES}:
            user.language = language
            user.language_chosen = True
        if commit:
            user.save()
        return user

    def format_email_subject(self, subject: str) -> str:
        # No "[example.com]" prefix: the sender's name already says who writes.
        return force_str(subject)

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """Plain text without HTML escaping, the site's name and address from the settings,
        and the HTML alternative of every Lotse mail."""
        full = {**context, **site_context()}
        subject = " ".join(render_text(f"{template_prefix}_subject.txt", full).split())
        subject = self.format_email_subject(subject)
        body = render_text(f"{template_prefix}_message.txt", full).strip() + "\n"
        return build_message(
            to=[email] if isinstance(email, str) else list(email),
            subject=subject,
            body=body,
            html=html_alternative(subject, body),
            headers=headers,
        )
