"""Topics of news posts (a file of their own: its texts are shown to the public in every
language, see ``lotse.core.i18n.PUBLIC_FILES``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    CHILDCARE = "childcare", _("Childcare places and Kita")
    FAMILIES = "families", _("Families and parents")
    TRAINING = "training", _("Trainings and events")
    NETWORKS = "networks", _("Networks and child poverty")
    FUNDING = "funding", _("Programmes and funding")
    POLICY = "policy", _("Policy and lobbying")
    DOCUMENTATION = "documentation", _("Documentation and reports")
