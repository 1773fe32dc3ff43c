"""Read-only views of the background processes' state for administrators."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Heartbeat, PeriodicJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PeriodicJob)
class PeriodicJobAdmin(ReadOnlyAdmin):
    list_display = ["name", "status", "started_at", "finished_at", "message"]
    list_filter = ["status"]


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["role", "instance", "seen_at"]
    list_filter = ["role"]
