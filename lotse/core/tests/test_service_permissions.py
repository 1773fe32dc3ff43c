"""One permission rule (issue 13, finding 10): a service that changes data checks its actor.

The walker finds every public function of every ``services*.py`` that takes ``actor`` — entry
points (``.entry_point = True``) and plain services alike — and calls it, on objects of the
demo city, as people who may not act there:

- ``stranger``: a signed-in account with no role, no child and no network (a parent of
  nobody), and
- ``foreign``: staff of every kind (facility staff, counsellor, Jugendamt planner, network
  coordinator) in organisations of another municipality that own none of the demo objects.

Each call must raise ``PermissionDenied`` or ``Http404`` — before anything is validated or
written. A new service that takes ``actor`` and does not check it fails this test; so does one
that checks only in its view. Services anyone may use (a parent applying, anyone registering
for a public event) are called with an anonymous visitor and an inactive account instead
(``SELF_SERVICE``); services that only run inside another service's transaction are listed in
``INSIDE`` with the service that checks for them.

A second, static test reads the source: no entry point is called from inside another entry
point or an ``@transaction.atomic`` function (a durable transaction inside another raises on a
real request, while Django's ``TestCase`` hides it).
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from django.http import Http404
from django.utils import timezone

from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.core.demo import load_demo

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("service-permissions")]

LOTSE = Path(__file__).resolve().parents[2]

#: Services staff of any organisation may use: a stranger is refused, foreign staff are not.
ANY_STAFF = {
    "network_create": "coordinators, planners and administrators found networks (and run them)",
    "page_version_save": "information pages belong to the installation: every planner edits",
    "page_version_publish": "information pages belong to the installation: every planner edits",
    "page_version_restore": "information pages belong to the installation: every planner edits",
}
#: Optional parameters the walker must pass (the service needs one of several).
EXTRA = {"file_add": {"post": "Post"}}
#: Services anyone signed in (or anyone at all) may use for themselves; the walker calls them
#: as an anonymous visitor and as a deactivated account, who may not.
SELF_SERVICE = {
    "application_submit": "any signed-in parent applies for their own child",
    "application_claim": "the invited parent takes over an application by its link",
    "case_link_confirm": "the invited account holder confirms the link to a case",
    "case_for_link_token": "the invited account holder opens the link",
    "network_member_join": "the invited person joins by the link",
    "invitation_for": "the invited person opens the link",
    "user_update_profile": "everybody edits their own profile",
    "user_set_language": "everybody chooses their own language",
    "shortlist_add": "every family keeps its own shortlist of Kitas",
    "shortlist_remove": "every family keeps its own shortlist of Kitas",
    "shortlist_merge": "every family keeps its own shortlist of Kitas",
}
#: Services anonymous visitors may use as well (registering for a public event); the walker
#: checks they refuse a deactivated account acting for someone.
OPEN_TO_ANYONE = {
    "registration_create": "anyone may register for a published event (double opt-in)",
}
#: Plain services that only run inside another service's transaction; that one checks.
INSIDE = {
    "applications_begin_allocation": "round_snapshot (allocation) checks the Jugendamt",
    "offers_publish": "round_publish / round_rerun (allocation) check the Jugendamt",
    "application_withdraw_within": "application_withdraw and the GDPR erasure (own account)",
    "application_create_on_behalf": "case_apply_on_behalf (counselling) checks the counsellor",
    "population_import": "manage.py import_population and the demo loader (no user)",
}


def services_with_actor() -> Iterator[tuple[str, Callable[..., Any]]]:
    for path in sorted(LOTSE.glob("*/services*.py")):
        module = import_module(f"lotse.{path.parent.name}.{path.stem}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if "actor" in inspect.signature(function).parameters:
                yield f"{path.parent.name}.{name}", function


SERVICES = dict(services_with_actor())


def _first(model: type[models.Model]) -> models.Model:
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the demo city has no {model.__name__}"
    return obj


def _is_model(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, models.Model)


def _value(annotation: str, namespace: dict[str, Any]) -> Any:
    """A plausible argument for a required parameter, taken from the demo city. Names in the
    annotation are looked up in the service's module (two apps have a ``Document``)."""
    words = re.findall(r"[A-Za-z_][A-Za-z_0-9]*", annotation)
    model = next((namespace[w] for w in words if _is_model(namespace.get(w))), None)
    head = words[0] if words else ""
    if model is not None:
        if head == "QuerySet":
            return model._default_manager.all()
        if head in {"Iterable", "list", "Sequence"}:
            return [_first(model)]
        return _first(model)
    simple: dict[str, Any] = {
        "str": "x",
        "int": 1,
        "bool": True,
        "date": timezone.localdate(),
        "datetime": timezone.now(),
        "time": dt.time(10),
        "Decimal": Decimal("100"),
        "dict": {},
        "Any": None,
        "UploadedFile": SimpleUploadedFile("notiz.txt", b"Notiz"),
    }
    if head == "dt":
        head = words[1]
    if head in {"list", "Iterable", "Sequence"}:
        return []
    if head == "Path":
        return "x.csv"
    if head in simple:
        return simple[head]
    return _dataclass(head)


def _dataclass(name: str) -> Any:
    from lotse.events.services import RegistrationData
    from lotse.news.services import FileData, PostData

    made = {
        "RegistrationData": RegistrationData(email="fremd@test.example", full_name="Fremd"),
        "PostData": PostData(title="x", teaser="x"),
        "FileData": FileData(title="x"),
    }
    return made[name]


def arguments(function: Callable[..., Any], actor: Any) -> dict[str, Any]:
    namespace = inspect.unwrap(function).__globals__
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(function).parameters.values():
        if param.name == "actor":
            kwargs["actor"] = actor
        elif param.kind is param.VAR_KEYWORD:
            kwargs.update(_application_fields())
        elif param.default is param.empty:
            kwargs[param.name] = _value(str(param.annotation), namespace)
    for name, model in EXTRA.get(function.__name__, {}).items():
        kwargs[name] = _first(namespace[model])
    return kwargs


def _application_fields() -> dict[str, Any]:
    from lotse.directory.models import Facility

    today = timezone.localdate()
    return {
        "first_name": "Mia",
        "last_name": "Fremd",
        "birth_date": today.replace(year=today.year - 3),
        "wishes": [Facility.objects.order_by("pk").first()],
        "desired_start": today.replace(year=today.year + 1, month=8, day=1),
        "weekly_hours": 35,
        "consent": True,
    }


def _objects_the_demo_lacks() -> None:
    """One object of each kind some service acts on and the demo city has none of."""
    from lotse.counselling.models import HelpRequest
    from lotse.events import models as events
    from lotse.networks import models as networks

    event = events.Event.objects.order_by("pk").first()
    call = networks.ProgrammeCall.objects.order_by("pk").first()
    network = networks.Network.objects.order_by("pk").first()
    files = {"file": "x/notiz.txt", "kind": "txt", "size": 5, "title": "Notiz"}
    if not events.Question.objects.exists():
        events.Question.objects.create(event=event, label="Frage", kind="text")
    if not events.Document.objects.exists():
        events.Document.objects.create(event=event, filename="notiz.txt", **files)
    if not networks.Document.objects.exists():
        networks.Document.objects.create(network=network, original_name="notiz.txt", **files)
    if not networks.CallDocument.objects.exists():
        networks.CallDocument.objects.create(call=call, original_name="notiz.txt", **files)
    if not HelpRequest.objects.exists():
        service = Organisation.objects.filter(kind=Organisation.Kind.COUNSELLING).order_by("pk")
        HelpRequest.objects.create(
            organisation=service.first(),
            language="de",
            contact_way="email",
            consent_at=timezone.now(),
        )


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo()
        stranger = User.objects.create_user("fremd-eltern@test.example", "correct-horse-9")
        foreign = User.objects.create_user("fremd-personal@test.example", "correct-horse-9")
        roles = {
            Organisation.Kind.FACILITY: Role.FACILITY_STAFF,
            Organisation.Kind.COUNSELLING: Role.COUNSELLOR,
            Organisation.Kind.JUGENDAMT: Role.PLANNER,
            Organisation.Kind.NETWORK: Role.COORDINATOR,
            Organisation.Kind.ASSOCIATION: Role.COORDINATOR,
            Organisation.Kind.FUNDER: Role.COORDINATOR,
            Organisation.Kind.OPERATOR: Role.FACILITY_STAFF,
        }
        for kind, role in roles.items():
            org = Organisation.objects.create(
                name=f"Anderswo {kind}", slug=f"anderswo-{kind}", kind=kind, municipality="Anderswo"
            )
            Membership.objects.create(user=foreign, organisation=org, role=role)
        _objects_the_demo_lacks()
        inactive = User.objects.create_user("inaktiv@test.example", "correct-horse-9")
        inactive.is_active = False
        inactive.save()
    yield {"stranger": stranger, "foreign": foreign, "inactive": inactive}
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _refused(function: Callable[..., Any], actor: Any) -> None:
    kwargs = arguments(function, actor)
    with pytest.raises((PermissionDenied, Http404)):
        function(**kwargs)


def _short(name: str) -> str:
    return name.split(".", 1)[1]


CHECKED = sorted(n for n in SERVICES if _short(n) not in {*SELF_SERVICE, *OPEN_TO_ANYONE, *INSIDE})


@pytest.mark.parametrize("who", ["stranger", "foreign"])
@pytest.mark.parametrize("name", CHECKED)
def test_a_service_refuses_who_may_not(city, name, who):
    if who == "foreign" and _short(name) in ANY_STAFF:
        pytest.skip(ANY_STAFF[_short(name)])
    _refused(SERVICES[name], city[who])


@pytest.mark.parametrize("who", ["anonymous", "inactive"])
@pytest.mark.parametrize("name", sorted(n for n in SERVICES if _short(n) in SELF_SERVICE))
def test_a_self_service_refuses_who_is_not_signed_in(city, name, who):
    _refused(SERVICES[name], AnonymousUser() if who == "anonymous" else city["inactive"])


@pytest.mark.parametrize("name", sorted(n for n in SERVICES if _short(n) in OPEN_TO_ANYONE))
def test_an_open_service_refuses_a_deactivated_account(city, name):
    _refused(SERVICES[name], city["inactive"])


def test_every_exception_is_a_service_that_exists():
    names = {_short(n) for n in SERVICES}
    assert {*SELF_SERVICE, *OPEN_TO_ANYONE, *INSIDE, *ANY_STAFF, *EXTRA} <= names
    assert len(SERVICES) > 90  # the walker found the services (not an empty parametrisation)


# --- Static: no entry point inside another transaction -----------------------------------

#: App hooks the core calls by name on every app's module (``module.erase_user_data(user)``
#: inside ``gdpr_erase``'s transaction).
HOOKS = {"erase_user_data", "retention_job"}


@dataclass
class Module:
    name: str
    path: str
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    #: local name → dotted module (``from . import services``, ``import lotse.x as y``)
    modules: dict[str, str] = field(default_factory=dict)
    #: local name → (dotted module, function name) (``from .services import offer_accept``)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)


def _modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted(LOTSE.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        parts = path.relative_to(LOTSE.parent).with_suffix("").parts
        dotted = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = ".".join(parts[:-1])
        tree = ast.parse(path.read_text(), filename=str(path))
        module = Module(dotted, str(path.relative_to(LOTSE.parent)))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                module.functions[node.name] = node
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.modules[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                for alias in node.names:
                    local = alias.asname or alias.name
                    module.names[local] = (base, alias.name)
                    module.modules[local] = f"{base}.{alias.name}"
        found[dotted] = module
    return found


def _is_durable(function: ast.FunctionDef) -> bool:
    return any(
        ast.unparse(d) == "entry_point" or "durable=True" in ast.unparse(d)
        for d in function.decorator_list
    )


def _in_transaction(function: ast.FunctionDef) -> list[ast.AST]:
    """What of ``function`` runs in a transaction: all of it when it is decorated
    ``atomic``/``entry_point``, else its ``with transaction.atomic():`` blocks."""
    if any(
        "atomic" in ast.unparse(d) or ast.unparse(d) == "entry_point"
        for d in function.decorator_list
    ):
        return [function]
    return [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.With)
        and any("atomic" in ast.unparse(item.context_expr) for item in node.items)
    ]


def _calls(block: ast.AST) -> Iterator[ast.Call]:
    """Calls in ``block``; what is handed to ``on_commit`` runs after the commit."""
    stack = list(ast.iter_child_nodes(block))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            yield node
            callee = node.func
            if isinstance(callee, ast.Attribute) and callee.attr == "on_commit":
                continue
        stack.extend(ast.iter_child_nodes(node))


def _targets(call: ast.Call, module: Module, modules: dict[str, Module]) -> list[tuple[str, str]]:
    """The project functions a call may reach, as (module, function)."""
    callee = call.func
    if isinstance(callee, ast.Name):
        if callee.id in module.functions:
            return [(module.name, callee.id)]
        if callee.id in module.names:
            return [module.names[callee.id]]
        return []
    if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):
        owner = module.modules.get(callee.value.id)
        if owner in modules:
            return [(owner, callee.attr)]
        if callee.attr in HOOKS:
            return [(m.name, callee.attr) for m in modules.values() if callee.attr in m.functions]
    return []


def nested_entry_points() -> tuple[list[str], int, set[str]]:
    """Every path from code that runs in a transaction to an entry point, following calls
    through the project's imports. Returns the paths, the number of transactional blocks and
    the entry points found."""
    modules = _modules()
    entry_points = {
        (m.name, n) for m in modules.values() for n, f in m.functions.items() if _is_durable(f)
    }
    found, blocks = [], 0
    for module in modules.values():
        for name, function in module.functions.items():
            for block in _in_transaction(function):
                blocks += 1
                seen = {(module.name, name)}
                todo = [(module, block, [name])]
                while todo:
                    where, node, path = todo.pop()
                    for call in _calls(node):
                        for target in _targets(call, where, modules):
                            if target in seen or target[0] not in modules:
                                continue
                            seen.add(target)
                            if target in entry_points:
                                found.append(f"{module.path}: {' → '.join([*path, target[1]])}")
                            elif target[1] in modules[target[0]].functions:
                                callee = modules[target[0]]
                                todo.append(
                                    (callee, callee.functions[target[1]], [*path, target[1]])
                                )
    return sorted(found), blocks, {n for _m, n in entry_points}


def test_no_entry_point_runs_inside_another_transaction():
    """An entry point (durable transaction) reached from code that already runs in a
    transaction raises ``RuntimeError`` on a real request; Django's TestCase hides it."""
    nested, blocks, entry_points = nested_entry_points()
    assert {"offer_accept", "application_withdraw", "round_publish", "post_create"} <= entry_points
    assert blocks > 100
    assert nested == []
