from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lotse.accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from .mfa import record_enrolment

        authenticator_added.connect(record_enrolment, dispatch_uid="lotse-mfa-enrolment")
