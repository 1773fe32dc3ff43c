from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllocationConfig(AppConfig):
    name = "lotse.allocation"
    verbose_name = _("Allocation rounds")

    def ready(self) -> None:
        # applications reaches allocation only through this port (one-way dependency).
        from lotse.applications import ports

        from .port import AllocationSide

        ports.register(AllocationSide())
