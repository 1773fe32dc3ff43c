"""The record of every binding run of a round and its fairness certificate.

Publishing (run 0) and every re-run (1, 2, …) store what they used in a :class:`Run`: the rules
as they were, and for a re-run the rows of the round's snapshot in play with their wish cuts and
current places, which seats (band or mixed group) each holder holds, the live free seats, the
late applications that had joined and the lottery draws of the late applications.
:func:`certificate` rebuilds the run's engine instance from that record and the round's stored
snapshot, so every run's certificate can be downloaded and checked with
``python -m lotse.matching verify`` (docs/allocation.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils import timezone

from lotse.accounts.models import User
from lotse.matching import Result, instance_to_dict
from lotse.matching.certificate import make_certificate

from . import engine_io
from .models import AllocationRules, Round, Run, pack, unpack
from .snapshot import Snapshot

#: Rule set fields that say nothing about how the engine ran.
_NOT_RULES = {"id", "created_at", "updated_at", "seed_published_at", "is_active"}


def rules_used(rules: AllocationRules) -> dict[str, Any]:
    """The rule set's own values as the run read them (no relations, no timestamps)."""
    return {
        f.attname: f.value_from_object(rules)
        for f in AllocationRules._meta.concrete_fields
        if not f.is_relation and f.attname not in _NOT_RULES
    }


def rules_from(used: dict[str, Any]) -> AllocationRules:
    """An unsaved rule set with the values a run used (to rebuild its instance)."""
    fields = {f.attname: f for f in AllocationRules._meta.concrete_fields}
    return AllocationRules(
        **{k: fields[k].to_python(v) for k, v in used.items() if k in fields and k != "id"}
    )


def late_draws(round_: Round, snapshot: Snapshot, on_time: int, tie_breaking: str) -> list[Any]:
    """The lottery draws of the round's late applications and late wishes: those of the last
    run, plus one new draw for what ``snapshot`` holds that no draw numbered yet.

    A late application (rows from ``on_time`` on) gets its number once, when it first joins,
    and keeps it: later late applications are drawn after it (lotse.matching.lottery,
    "Draws"). With one lottery per facility (multiple tie-breaking) a wish is a member of its
    own — a (facility, child) pair —, so a wish added after the deadline, to an on-time or a
    late application, is drawn with the next batch, after every pair drawn before."""
    before = (
        Run.objects.filter(round=round_)
        .order_by("-number")
        .values_list("late_draws", flat=True)
        .first()
    ) or []
    apps = snapshot["application"]
    if tie_breaking != "multiple":
        drawn = {m for draw in before for m in draw}
        new = [r for r in range(on_time, len(apps)) if str(apps[r]) not in drawn]
        if not new:
            return list(before)
        return [*before, engine_io.draw_members(snapshot, new, tie_breaking)]
    # The on-time rows with a late wish (their frozen pairs are in the published draw 0).
    flags, ptr = snapshot.get("wish_late") or [], snapshot["wish_ptr"]
    with_late = [r for r in range(on_time) if any(flags[ptr[r] : ptr[r + 1]])] if flags else []
    have = {tuple(m) for draw in before for m in draw}
    have |= {tuple(m) for m in engine_io.draw_members(snapshot, with_late, tie_breaking)}
    rows = [*with_late, *range(on_time, len(apps))]
    wanted = engine_io.draw_members(snapshot, rows, tie_breaking, late=True)
    fresh = [m for m in wanted if tuple(m) not in have]
    if not fresh:
        return list(before)
    return [*before, fresh]


def record(
    round_: Round,
    number: int,
    *,
    actor: User | None,
    rules: AllocationRules,
    prepared: engine_io.Prepared,
    result: Any,
    inputs: dict[str, Any],
    stability: dict[str, Any],
    late_draws: list[Any] | None = None,
) -> Run:
    """Store one run: its rules, its input besides the snapshot, its assignment (the position
    of the wish each child got in its list in the instance, 1-based, 0 = none) and the
    stability check the run made (``engine_io.stability``)."""
    inst = prepared.instance
    aw = np.asarray(result.assigned_wish, dtype=np.int64)
    assigned = np.where(aw >= 0, aw - inst.wish_ptr[:-1] + 1, 0)
    return Run.objects.create(
        round=round_,
        number=number,
        ran_at=timezone.now(),
        ran_by=actor,
        rules=rules_used(rules),
        inputs=pack(inputs) if inputs else b"",
        late_draws=late_draws or [],
        assigned=pack(assigned.tolist()),
        mechanism=result.mechanism,
        exact=result.exact,
        children=inst.n_children,
        placed=int(np.count_nonzero(aw >= 0)),
        blocking_pairs=int(stability["blocking_pairs"]),
    )


def rebuild(round_: Round, run: Run) -> engine_io.Prepared:
    """The engine instance of a run, from the round's stored snapshot and the run's record."""
    frozen = round_.snapshot
    if frozen is None:
        raise ValueError("the round's snapshot is no longer kept")
    rules = rules_from(run.rules)
    given = unpack(run.inputs)
    if not given:  # the publication: the whole snapshot
        return engine_io.build(frozen, rules)
    snapshot = engine_io.merge_snapshots(frozen, given["late"]) if given.get("late") else frozen
    on_time = len(frozen["application"])
    return engine_io.build(
        snapshot,
        rules,
        rows=np.asarray(given["rows"], dtype=np.int64),
        max_rank=np.asarray(given["max_rank"], dtype=np.int64),
        current_facility=np.asarray(given["current"], dtype=np.int64),
        # Which seats each holder holds (band or mixed group); runs before mixed groups: none.
        held_quota=(
            np.asarray(given["held_quota"], dtype=np.int64) if "held_quota" in given else None
        ),
        free={int(k): int(v) for k, v in given["free"].items()},
        draws=engine_io.lottery_draws(snapshot, on_time, rules.tie_breaking, run.late_draws),
    )


def certificate(round_: Round, run: Run) -> dict[str, Any]:
    """The fairness certificate of one run: its instance (current places held with open
    offers, the free seats it used, the lottery's draws), rules, seed, the stored assignment
    and its stability check, plus which run of which round it is."""
    prepared = rebuild(round_, run)
    inst = prepared.instance
    position = np.asarray(unpack(run.assigned) or [], dtype=np.int64)
    if position.size != inst.n_children:
        raise ValueError("the stored assignment does not fit the run's instance")
    assigned = np.where(position > 0, inst.wish_ptr[:-1] + position - 1, -1)
    result = Result(
        instance=inst, mechanism=run.mechanism, assigned_wish=assigned, rounds=0, exact=run.exact
    )
    cert = make_certificate(instance_to_dict(inst), result)
    cert["run"] = {
        "round": round_.pk,
        "number": run.number,
        "kind": "publication" if run.number == 0 else "re-run",
        "ran_at": run.ran_at.isoformat(),
    }
    return cert
