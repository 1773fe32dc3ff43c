"""Expire offers past their deadline (run by a scheduler, e.g. every 15 minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lotse.applications.services import offers_expire_due


class Command(BaseCommand):
    help = "Expire open offers whose answer deadline has passed; their seats move on."

    def handle(self, *args: Any, **options: Any) -> None:
        count = offers_expire_due()
        self.stdout.write(f"{count} offer(s) expired")
