"""Data retention: the scheduled job that applies ``docs/retention-policy.json``.

Each Lotse app with time-limited data has a ``retention.py`` with
``def retention_job(now) -> list[str]`` (found like ``dashboard.py``); this module runs them
all and adds the housekeeping of the libraries: expired sessions, old brute-force records,
finished background-task results (they hold mail contexts), expired e-mail confirmations and
old audit entries. ``audit_scrub`` is shared with the GDPR erasure: the audit log must not keep
a copy of what anonymisation removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .discovery import lotse_app_modules

#: Days after which records of login attempts are deleted (they hold IP addresses, user agents).
AXES_RETENTION_DAYS: int = getattr(settings, "LOTSE_AXES_RETENTION_DAYS", 90)
#: Days after which finished background-task results are deleted (arguments hold mail contexts).
TASK_RESULT_RETENTION_DAYS: int = getattr(settings, "LOTSE_TASK_RESULT_RETENTION_DAYS", 30)
#: Days after which audit entries are deleted: three years, the regular limitation period
#: (§195 BGB) and the counselling records' default retention.
AUDIT_RETENTION_DAYS: int = getattr(settings, "LOTSE_AUDIT_RETENTION_DAYS", 3 * 365)

#: Replaces every value in a scrubbed audit entry: it still shows which fields changed.
MASK = "***"


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's end)."""
    import calendar

    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return None if value is None else MASK


def audit_scrub(model: type[models.Model], pks: Iterable[Any]) -> int:
    """Mask the values in every audit entry about the given objects; returns the count.

    The entries stay (who did what when, which fields changed) but no longer repeat the
    personal data that an erasure or a retention job removed from the objects themselves.
    """
    keys = [str(pk) for pk in pks]
    if not keys:
        return 0
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    count = 0
    entries = LogEntry.objects.filter(content_type=content_type, object_pk__in=keys)
    for entry in entries.only("pk", "changes", "object_pk").iterator():
        LogEntry.objects.filter(pk=entry.pk).update(
            changes=_mask(entry.changes) if entry.changes else entry.changes,
            changes_text="",
            serialized_data=None,
            object_repr=f"{model._meta.model_name} #{entry.object_pk}",
        )
        count += 1
    return count


def _replace(value: Any, needles: list[str], replacement: str) -> Any:
    if isinstance(value, str):
        for needle in needles:
            if needle.lower() in value.lower():
                value = value.replace(needle, replacement)
                if needle.lower() in value.lower():  # different case: mask the whole string
                    value = replacement
        return value
    if isinstance(value, dict):
        return {key: _replace(item, needles, replacement) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, needles, replacement) for item in value]
    return value


def audit_replace_mentions(needles: list[str], replacement: str) -> int:
    """Replace a person's identifiers (e-mail, full name) wherever audit entries repeat them,
    e.g. in the object names of memberships ("Ayşe Demir · Parent · …"); returns the count."""
    needles = [needle for needle in needles if needle]
    if not needles:
        return 0
    text = models.functions.Cast("changes", models.TextField())
    query = models.Q()
    for needle in needles:
        query |= models.Q(object_repr__icontains=needle) | models.Q(changes_text__icontains=needle)
    entries = LogEntry.objects.annotate(changes_as_text=text)
    for needle in needles:
        # JSON escapes non-ASCII characters in the stored text on some databases.
        for variant in {needle, json.dumps(needle)[1:-1]}:
            query |= models.Q(changes_as_text__icontains=variant)
    count = 0
    for entry in entries.filter(query).only("pk", "changes", "changes_text", "object_repr"):
        LogEntry.objects.filter(pk=entry.pk).update(
            changes=_replace(entry.changes, needles, replacement),
            changes_text=_replace(entry.changes_text, needles, replacement),
            object_repr=_replace(entry.object_repr, needles, replacement),
        )
        count += 1
    return count


# --- Housekeeping of the libraries -----------------------------------------------------------


def _clear_sessions(now: datetime) -> str:
    from django.contrib.sessions.models import Session

    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return f"core: {deleted} expired session(s) deleted"


def _clear_axes(now: datetime) -> str:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = now - timedelta(days=AXES_RETENTION_DAYS)
    total = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        deleted, _ = model.objects.filter(attempt_time__lt=cutoff).delete()
        total += deleted
    return f"core: {total} login attempt record(s) older than {AXES_RETENTION_DAYS} days deleted"


def _clear_task_results(now: datetime) -> str:
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = now - timedelta(days=TASK_RESULT_RETENTION_DAYS)
    deleted, _ = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=cutoff
    ).delete()
    return (
        f"core: {deleted} finished task result(s) older than "
        f"{TASK_RESULT_RETENTION_DAYS} days deleted"
    )


def _clear_email_confirmations(now: datetime) -> str:
    from allauth.account.models import EmailConfirmation

    # allauth's confirmation links expire after a few days; older rows serve no purpose.
    deleted, _ = EmailConfirmation.objects.filter(sent__lt=now - timedelta(days=30)).delete()
    unsent, _ = EmailConfirmation.objects.filter(
        sent__isnull=True, created__lt=now - timedelta(days=30)
    ).delete()
    return f"core: {deleted + unsent} old e-mail confirmation(s) deleted"


def _clear_audit_log(now: datetime) -> str:
    from django.contrib.admin.models import LogEntry as AdminLogEntry

    cutoff = now - timedelta(days=AUDIT_RETENTION_DAYS)
    deleted, _ = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
    admin_deleted, _ = AdminLogEntry.objects.filter(action_time__lt=cutoff).delete()
    return (
        f"core: {deleted} audit entr(y/ies) and {admin_deleted} admin log entr(y/ies) older than "
        f"{AUDIT_RETENTION_DAYS} days deleted"
    )


CORE_JOBS = (
    _clear_sessions,
    _clear_axes,
    _clear_task_results,
    _clear_email_confirmations,
    _clear_audit_log,
)


def retention_run(now: datetime | None = None) -> list[str]:
    """Run every app's retention job, then the core housekeeping; returns summary lines.

    ``now`` is the reference time (tests pass a frozen one). Each app job manages its own
    transactions (one per record where it locks rows); the core jobs run one transaction each.
    """
    now = now or timezone.now()
    lines: list[str] = []
    for module in lotse_app_modules("retention"):
        if module.__name__ == __name__:
            continue
        lines.extend(module.retention_job(now))
    for job in CORE_JOBS:
        with transaction.atomic():
            lines.append(job(now))
    return lines
