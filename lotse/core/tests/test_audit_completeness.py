"""Audit completeness (issue 13, finding 6): every change to applications, offers, seats,
rounds, cases, consents, registrations and grants leaves an audit entry.

- Every model of those kinds is registered with django-auditlog (its ``save()`` and
  ``delete()`` write entries): the test walks the models of the apps that hold them, so a new
  model there without audit fails, unless it is listed in ``NOT_AUDITED`` with the reason.
- Bulk statements bypass auditlog's signals: a function that changes an audited model with
  ``QuerySet.update``, ``bulk_create``, ``bulk_update`` or ``core.audit.insert_rows`` must write
  the entries with ``core.audit`` (``bulk_audit``, ``update_audited``, ``audit_created``) in the
  same function, or be a helper only such functions call. The test reads the
  source of every module of the project.
- Every page that shows a counselling case writes an access entry:
  ``counselling/tests/test_case_pages_audited.py`` walks the case URLs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.db import models

LOTSE = Path(__file__).resolve().parents[2]

#: Apps all of whose models are audited: applications, offers, seats, rounds, cases, consents.
AUDITED_APPS = {"applications", "allocation", "counselling"}
#: Models of other apps that hold registrations and grants (and what belongs to them).
AUDITED_MODELS = {
    "events.Event",
    "events.Registration",
    "events.Attendance",
    "events.Session",
    "networks.ProgrammeCall",
    "networks.CallApplication",
    "networks.ApplicationAnswer",
    "networks.Review",
    "networks.ReviewScore",
    "networks.Grant",
    "networks.ReportDue",
    "accounts.User",
    "accounts.Membership",
}
#: Models of those kinds that are not audited, and why.
NOT_AUDITED = {
    "allocation.Outcome": "the explanation of a run (reasons, waiting positions), rewritten "
    "with each re-run; the decisions are the audited Offer and Application rows, and every "
    "run is reproducible from the round's snapshot and certificate",
    "applications.ShortlistEntry": "a family's own bookmarks of Kitas before it applies (no "
    "decision, nobody else's data); the wishes of an application are audited",
}


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _kinds() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in AUDITED_APPS or _label(model) in AUDITED_MODELS
    ]


@pytest.mark.parametrize("label", sorted(_label(m) for m in _kinds()))
def test_every_model_of_an_audited_kind_is_audited(label):
    model = apps.get_model(label)
    if label in NOT_AUDITED:
        assert not auditlog.contains(model), f"{label} is audited now: remove it from NOT_AUDITED"
        return
    assert auditlog.contains(model), f"{label} changes without an audit entry"


def test_the_walk_finds_the_kinds():
    labels = {_label(m) for m in _kinds()}
    assert {"applications.Offer", "applications.SeatQuota", "allocation.Round"} <= labels
    assert {"counselling.Case", "counselling.Consent", "events.Registration"} <= labels
    assert "networks.Grant" in labels
    assert set(NOT_AUDITED) <= labels


# --- Bulk writes carry their own audit entries --------------------------------------------

BULK = {"update", "bulk_create", "bulk_update", "insert_rows"}
#: core.audit's helpers that write the entries of bulk statements.
AUDIT_HELPERS = {"bulk_audit", "update_audited", "audit_created"}
#: Bulk writes of audited models that need no entry of their own, and why.
NO_ENTRY_NEEDED = {
    "sync_free_places: Facility": "the public search's free-places counter, recomputed from "
    "the audited seat quotas and offers",
    "session_add: Event": "touches ``updated_at`` only; the new session is audited itself",
}


def _modules() -> Iterator[tuple[str, ast.Module, dict]]:
    for path in sorted(LOTSE.rglob("*.py")):
        if {"tests", "migrations", "management"} & set(path.parts) or path.name == "demo.py":
            continue
        dotted = ".".join(path.relative_to(LOTSE.parent).with_suffix("").parts)
        if dotted.endswith(("__init__", "__main__")):
            continue
        namespace = vars(import_module(dotted))
        yield str(path.relative_to(LOTSE.parent)), ast.parse(path.read_text()), namespace


def _root(node: ast.AST) -> ast.AST:
    """The start of a chain like ``Offer.objects.filter(...).update(...)``."""
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _audited_model(node: ast.AST, namespace: dict) -> type[models.Model] | None:
    if isinstance(node, ast.Name):
        value = namespace.get(node.id)
        if isinstance(value, type) and issubclass(value, models.Model) and auditlog.contains(value):
            return value
    return None


def _name(call: ast.Call) -> str:
    callee = call.func
    return callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")


def _auditing(tree: ast.Module) -> set[str]:
    """Functions that write bulk audit entries, and helpers called only from such functions."""
    functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)]
    called = {f.name: {_name(c) for c in ast.walk(f) if isinstance(c, ast.Call)} for f in functions}
    auditing = {name for name, names in called.items() if names & AUDIT_HELPERS}
    for name in called:
        callers = {caller for caller, names in called.items() if name in names}
        if callers and callers <= auditing:
            auditing.add(name)
    return auditing


def bulk_writes_without_audit() -> list[str]:
    found = []
    for where, tree, namespace in _modules():
        auditing = _auditing(tree)
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef) or function.name in auditing:
                continue
            calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)]
            for call in calls:
                callee = call.func
                if isinstance(callee, ast.Attribute) and callee.attr in BULK - {"insert_rows"}:
                    model = _audited_model(_root(callee.value), namespace)
                elif getattr(callee, "id", "") == "insert_rows" and call.args:
                    model = _audited_model(call.args[0], namespace)
                else:
                    continue
                if (
                    model is not None
                    and f"{function.name}: {model.__name__}" not in NO_ENTRY_NEEDED
                ):
                    found.append(f"{where}:{call.lineno} {function.name}: {model.__name__}")
    return found


def test_bulk_writes_of_audited_models_write_their_audit_entries():
    assert bulk_writes_without_audit() == []


# --- update_audited changes only rows still in the expected state -------------------------


@pytest.mark.django_db
def test_update_audited_only_from_leaves_rows_in_another_state_alone(make_user, make_facility):
    """A run puts children "in allocation" on the waiting list; one who withdrew meanwhile
    stays withdrawn, and only the changed row gets an audit entry."""
    from auditlog.models import LogEntry

    from lotse.applications.models import Application
    from lotse.applications.tests.helpers import apply
    from lotse.core.audit import update_audited

    kita = make_facility()
    stays, moves = apply(make_user(), [kita]), apply(make_user(), [kita], name="Ole")
    Application.objects.filter(pk=stays.pk).update(status=Application.Status.WITHDRAWN)
    Application.objects.filter(pk=moves.pk).update(status=Application.Status.IN_ALLOCATION)
    changed = update_audited(
        Application,
        [stays.pk, moves.pk],
        "status",
        Application.Status.WAITING,
        actor=None,
        only_from=[Application.Status.IN_ALLOCATION],
    )
    assert changed == [moves.pk]
    assert Application.objects.get(pk=stays.pk).status == Application.Status.WITHDRAWN
    assert Application.objects.get(pk=moves.pk).status == Application.Status.WAITING
    before = LogEntry.objects.filter(object_pk=str(stays.pk)).count()
    assert (
        update_audited(Application, [stays.pk], "status", "waiting", actor=None, only_from=[]) == []
    )
    assert LogEntry.objects.filter(object_pk=str(stays.pk)).count() == before
