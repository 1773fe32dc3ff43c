"""The task worker with a heartbeat: ``manage.py worker`` (systemd unit ``lotse-worker``).

django-tasks-db's ``db_worker`` with one addition: a thread records a heartbeat every few
seconds, so ``/readyz`` can tell when no worker is running; a clean stop removes it at once.
All of ``db_worker``'s options apply.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from lotse.core.models import Heartbeat
from lotse.core.scheduler import beat, forget

logger = logging.getLogger("lotse.worker")


def _beat_forever(stop: threading.Event, every: float) -> None:
    while not stop.is_set():
        try:
            beat(Heartbeat.Role.WORKER)
        except Exception:  # noqa: BLE001 - the database may be restarting; try again
            logger.exception("worker heartbeat failed")
        finally:
            connection.close()  # this thread's own connection; none kept idle
        stop.wait(every)


class Command(DBWorkerCommand):
    help = "Run the background task worker (django-tasks-db) and record its heartbeat."

    def handle(self, *args: Any, **options: Any) -> None:
        reload = options.get("reload")
        # With the autoreloader the worker runs in a child process: only that one beats.
        if reload and os.environ.get("RUN_MAIN") != "true" and not options.get("batch"):
            return super().handle(*args, **options)
        stop = threading.Event()
        every = max(1.0, settings.LOTSE_HEARTBEAT_MAX_AGE / 4)
        thread = threading.Thread(target=_beat_forever, args=(stop, every), daemon=True)
        thread.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
            thread.join(timeout=5)
            try:
                forget(Heartbeat.Role.WORKER)
            except Exception:  # noqa: BLE001 - the age check covers a worker that cannot say
                logger.warning("could not remove the worker's heartbeat")
