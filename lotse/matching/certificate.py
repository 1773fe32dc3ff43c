"""Fairness certificates: everything needed to recompute a published allocation and its blocking
pairs, in one JSON file, and the standalone verifier (``python -m lotse.matching verify CERT``).

A certificate holds:

``format``
    ``"lotse-fairness-certificate/1"``.
``instance``
    the instance in the JSON format of docs/matching.md (children by pseudonymous id, their
    wishes, criteria values, capacities, sibling groups, current places);
``instance_digest``
    ``"sha256:" + hex`` of the instance's canonical JSON (keys sorted, no spaces, UTF-8), so
    that a published digest pins the instance;
``rules``
    the mechanism (and the exact mechanism's time limit), the criteria in order;
``lottery``
    the published seed, the tie-breaking (``single`` / ``multiple``) and the ``numbers`` as
    used (``{child: number}``, or ``{child: {facility: number}}`` per facility). A re-run's
    instance names its lottery's draws (the published run's, then the late applications'),
    so its numbers are those of the published run (:mod:`lotse.matching.lottery`);
``assignment`` / ``seat_types``
    the result, as in the result format;
``stability``
    what the engine claims: ``feasible``, ``blocking_pairs``, ``sibling_blocking_pairs`` and
    the ``status`` (``stable``; for the exact mechanism also ``minimal`` or ``best_found``).

The verifier rebuilds the instance from the certificate alone (same seed), checks the digest,
recomputes feasibility and every blocking pair with :func:`~lotse.matching.check.check`, and
for the deterministic mechanisms (``child_da``, ``facility_da``, ``iterative``) re-runs the
mechanism and requires the same assignment. The exact mechanism's search depends on the solver
and the time it had, so its assignment is verified, not reproduced: it must be feasible, have
the stated blocking pairs, and have no more than child-proposing DA on the same instance (the
mechanism starts from DA's assignment); ``stable`` must mean zero blocking pairs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .check import check
from .instance import CriteriaPriority, Instance, InstanceError
from .io import _seed, instance_from_dict, read_assignment
from .mechanisms import Result, child_proposing_da, solve

__all__ = [
    "FORMAT",
    "VerifyReport",
    "instance_digest",
    "lottery_numbers",
    "make_certificate",
    "verify_certificate",
]

FORMAT = "lotse-fairness-certificate/1"
DETERMINISTIC = ("child_da", "facility_da", "iterative")


def instance_digest(instance_data: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of an instance (keys sorted, compact, UTF-8)."""
    canonical = json.dumps(
        instance_data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def make_certificate(
    instance_data: dict[str, Any], result: Result, *, time_limit: float | None = None
) -> dict[str, Any]:
    """The certificate of ``result``, computed from ``instance_data`` (its JSON instance)."""
    inst = result.instance
    report = check(inst, result.assigned_wish)
    prio = inst.priority
    lottery: dict[str, Any] | None = None
    criteria: list[str] = []
    if isinstance(prio, CriteriaPriority):
        lottery = {
            "seed": prio.seed,
            "tie_breaking": prio.tie_breaking,
            "numbers": lottery_numbers(inst, prio),
        }
        criteria = [c.name for c in prio.criteria]
    rules: dict[str, Any] = {"mechanism": result.mechanism, "criteria": criteria}
    if result.mechanism == "exact":
        rules["time_limit"] = (result.exact or {}).get("time_limit", time_limit)
    status = "stable" if report.stable else "unstable"
    if result.exact is not None:
        status = result.exact["status"]
    seat_types = {
        cid: inst.seat_types[t]
        for cid, t in zip(inst.child_ids, result.assigned_seat_type.tolist(), strict=True)
        if t >= 0
    }
    return {
        "format": FORMAT,
        "instance": instance_data,
        "instance_digest": instance_digest(instance_data),
        "rules": rules,
        "lottery": lottery,
        "assignment": result.assignment_by_id(),
        "seat_types": seat_types,
        "stability": {
            "feasible": report.feasible,
            "blocking_pairs": report.blocking_pairs,
            "sibling_blocking_pairs": report.sibling_blocking_pairs,
            "status": status,
        },
    }


def lottery_numbers(inst: Instance, prio: CriteriaPriority) -> dict[str, Any]:
    """The lottery numbers the run used: ``{child: number}`` (single tie-breaking) or
    ``{child: {facility: number}}`` (multiple)."""
    numbers = prio.lottery.tolist()
    if not prio.lottery_per_wish:
        return dict(zip(inst.child_ids, numbers, strict=True))
    out: dict[str, dict[str, int]] = {}
    for e, number in enumerate(numbers):
        child = inst.child_ids[int(inst.wish_child[e])]
        out.setdefault(child, {})[inst.facility_ids[int(inst.wish_facility[e])]] = number
    return out


@dataclass
class VerifyReport:
    """The verifier's findings; ``confirmed`` iff no problem was found."""

    problems: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def confirmed(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "certificate": "confirmed" if self.confirmed else "refuted",
            **self.facts,
            "problems": self.problems,
        }


def _field(cert: dict[str, Any], key: str, kind: type) -> Any:
    value = cert.get(key)
    if not isinstance(value, kind):
        raise InstanceError(f"certificate: {key!r} is missing or malformed")
    return value


def verify_certificate(cert: Any) -> VerifyReport:
    """Recompute a certificate from its contents alone (see the module docstring).

    Raises :class:`InstanceError` if it cannot be read at all (not a certificate, an invalid
    instance); returns a report whose ``problems`` list every disagreement otherwise.
    """
    if not isinstance(cert, dict) or cert.get("format") != FORMAT:
        raise InstanceError(f"certificate: 'format' must be {FORMAT!r}")
    data = _field(cert, "instance", dict)
    rules = _field(cert, "rules", dict)
    stated = _field(cert, "stability", dict)
    out = VerifyReport()
    digest = instance_digest(data)
    out.facts["instance_digest"] = digest
    if cert.get("instance_digest") != digest:
        out.problems.append("the instance does not match its digest")
    lottery = cert.get("lottery")
    seed = None
    if isinstance(lottery, dict) and lottery.get("seed") is not None:
        seed = _seed(lottery["seed"], "certificate: lottery seed")
    inst = instance_from_dict(data, seed=seed)
    if isinstance(lottery, dict) and "numbers" in lottery:
        prio = inst.priority
        recomputed = lottery_numbers(inst, prio) if isinstance(prio, CriteriaPriority) else None
        if lottery["numbers"] != recomputed:
            out.problems.append("the stated lottery numbers differ from the recomputed ones")
    assigned, not_wished = read_assignment(inst, cert)
    report = check(inst, assigned)
    feasible = report.feasible and not not_wished
    out.facts.update(
        feasible=feasible,
        blocking_pairs=report.blocking_pairs,
        sibling_blocking_pairs=report.sibling_blocking_pairs,
        blocking_examples=list(report.examples),
        violations=not_wished + list(report.violations),
    )
    if not feasible:
        out.problems.append("the assignment is not feasible")
    for key, value in (
        ("feasible", feasible),
        ("blocking_pairs", report.blocking_pairs),
        ("sibling_blocking_pairs", report.sibling_blocking_pairs),
    ):
        if stated.get(key) != value:
            out.problems.append(f"stated {key} {stated.get(key)!r}, recomputed {value!r}")
    mechanism = rules.get("mechanism")
    if mechanism in DETERMINISTIC:
        _reproduce(inst, str(mechanism), assigned, stated, out)
    elif mechanism == "exact":
        _verify_exact(inst, report.blocking_pairs, stated, out)
    else:
        raise InstanceError(f"certificate: unknown mechanism {mechanism!r}")
    return out


def _reproduce(
    inst: Any, mechanism: str, assigned: np.ndarray, stated: dict[str, Any], out: VerifyReport
) -> None:
    again = solve(inst, mechanism)
    same = bool(np.array_equal(again.assigned_wish, assigned))
    out.facts["reproduced"] = same
    if not same:
        differ = np.flatnonzero(again.assigned_wish != assigned)[:20]
        out.problems.append(
            f"re-running {mechanism} gives another assignment for "
            f"{int(np.sum(again.assigned_wish != assigned))} children, e.g. "
            + ", ".join(repr(inst.child_ids[c]) for c in differ.tolist())
        )
    expected = "stable" if check(inst, again.assigned_wish).stable else "unstable"
    if stated.get("status") != expected:
        out.problems.append(f"stated status {stated.get('status')!r}, recomputed {expected!r}")


def _verify_exact(inst: Any, blocking: int, stated: dict[str, Any], out: VerifyReport) -> None:
    out.facts["reproduced"] = None  # a solver's search is verified, not re-run
    da_blocking = check(inst, child_proposing_da(inst).assigned_wish).blocking_pairs
    out.facts["da_blocking_pairs"] = da_blocking
    if blocking > da_blocking:
        out.problems.append(
            f"{blocking} blocking pairs, more than deferred acceptance's {da_blocking}"
        )
    status = stated.get("status")
    if status not in ("stable", "minimal", "best_found"):
        out.problems.append(f"unknown status {status!r}")
    elif (status == "stable") != (blocking == 0):
        out.problems.append(f"status {status!r} with {blocking} blocking pairs")
