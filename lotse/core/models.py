"""Operational state of the core: heartbeats of the background processes and the state of
each periodic job (see ``lotse/core/scheduler.py``). Nothing personal is stored here."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Heartbeat(models.Model):
    """The last sign of life of one background process (a task worker or the scheduler);
    ``/readyz`` is unhealthy when no process of a role has been seen for too long."""

    class Role(models.TextChoices):
        WORKER = "worker", _("task worker")
        SCHEDULER = "scheduler", _("scheduler")

    role = models.CharField(pgettext_lazy("process", "kind"), max_length=20, choices=Role.choices)
    instance = models.CharField(
        pgettext_lazy("process", "instance"), max_length=200, help_text=_("host and process")
    )
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        constraints = [
            models.UniqueConstraint(fields=["role", "instance"], name="core_heartbeat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.instance}"


class PeriodicJob(models.Model):
    """One row per job of the registry. ``claimed_slot`` makes scheduling idempotent (only one
    scheduler can move it forward to a slot), ``lease_until`` keeps two runs of the same job
    from overlapping, ``ran_slot`` keeps a slot from running twice."""

    class Status(models.TextChoices):
        NEVER = "never", pgettext_lazy("periodic job", "never run")
        RUNNING = "running", pgettext_lazy("periodic job", "running")
        OK = "ok", pgettext_lazy("periodic job", "succeeded")
        FAILED = "failed", pgettext_lazy("periodic job", "failed")

    name = models.CharField(pgettext_lazy("periodic job", "name"), max_length=100, primary_key=True)
    claimed_slot = models.DateTimeField(_("last scheduled slot"), null=True, blank=True)
    ran_slot = models.DateTimeField(_("last slot run"), null=True, blank=True)
    lease_until = models.DateTimeField(_("running until at most"), null=True, blank=True)
    status = models.CharField(
        pgettext_lazy("periodic job", "status"),
        max_length=10,
        choices=Status.choices,
        default=Status.NEVER,
    )
    started_at = models.DateTimeField(
        pgettext_lazy("periodic job", "started"), null=True, blank=True
    )
    finished_at = models.DateTimeField(
        pgettext_lazy("periodic job", "finished"), null=True, blank=True
    )
    message = models.TextField(pgettext_lazy("periodic job", "result"), blank=True)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
