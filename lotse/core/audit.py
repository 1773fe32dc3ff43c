"""The ONE helper for audit entries of bulk writes, and the fast multi-row INSERT it uses.

django-auditlog records every ``save()`` and ``delete()`` of a registered model through
signals. Bulk statements (``QuerySet.update``, ``insert_rows``) bypass those signals, so every
service that writes in bulk — publishing or re-running an allocation round, taking its
snapshot — calls :func:`bulk_audit` in the same transaction with one
``(pk, text, changes)`` triple per changed row. The entries look like auditlog's own
(``changes`` maps a field to ``[old, new]``), so the admin's audit log shows them alike.
Single-row changes never use ``.update()``: they ``save()`` and auditlog sees them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model
from django.utils import timezone

#: Rows per bulk UPDATE (``pk__in`` lists stay well below SQLite's variable limit).
BATCH = 2000

#: One audited row: primary key, short text (object_repr), {field: [old, new]}.
AuditRow = tuple[int, str, dict[str, list[Any]]]

_LOG_COLUMNS = [
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "timestamp",
    "actor_id",
    "changes_text",
    "changes",
]


def chunks[T](items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def bulk_audit(
    model: type[Model],
    objects: Iterable[AuditRow],
    *,
    actor: Any,
    action: int = LogEntry.Action.UPDATE,
) -> int:
    """Write one audit entry per ``(pk, text, changes)`` for rows a bulk statement changed.

    ``actor`` is the user who caused the change (None for background jobs). Returns the number
    of entries written.
    """
    content_type = ContentType.objects.get_for_model(model)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    actor_id = actor.pk if actor is not None else None
    rows = [
        (content_type.pk, str(pk), pk, text[:200], action, now, actor_id, "", json.dumps(changes))
        for pk, text, changes in objects
    ]
    return insert_rows(LogEntry, _LOG_COLUMNS, rows)


def insert_rows(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> int:
    """Fast multi-row INSERTs: 10–20× faster than ``bulk_create`` for 100,000 rows.

    PostgreSQL gets ``COPY … FROM STDIN``; SQLite ``executemany``. Values must already be
    database-ready (adapted datetimes, JSON as text). Constraints still apply, and the
    caller's transaction covers it all. Callers audit the rows with :func:`bulk_audit`.
    """
    if not rows:
        return 0
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for chunk in chunks(rows, 5000):
            cursor.executemany(sql, chunk)
    return len(rows)
