from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InfopagesConfig(AppConfig):
    name = "lotse.infopages"
    verbose_name = _("Information pages")
