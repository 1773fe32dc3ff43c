"""Independent verification of an assignment: feasibility and blocking pairs (justified envy).

Written apart from the solvers on purpose: it only reads the instance and the assignment.

**Feasibility** — every assigned child got one of its own wishes, at a facility that accepts it;
no pool (facility × seat type) holds more weight than its capacity; the members of a sibling
group are all placed at the same facility (same wish) or all unassigned; a child holding a
current place (one wish entry: the facility and seat type it holds now) is not placed worse
than that entry.

**Blocking pair** — a child ``c`` (not in a sibling group) and a wish ``e`` of ``c`` that it
prefers to its assignment, at a pool ``q`` that accepts ``c``, such that ``c`` would fit into
``q`` after removing every child of lower priority than ``c``: ::

    weight(children assigned to q with higher priority than c) + weight(c) <= capacity(q)

With unit weights this is the classic definition (``q`` has a free seat or holds someone with
lower priority).

**Sibling groups** (see :mod:`lotse.matching.instance`). A group is *together* at position
``p`` if all members are assigned at wish position ``p``; otherwise it is *apart*. Apart, a
``required`` group must keep exactly its members' current places and leave the others
unassigned (else ``group_split``); a ``preferred`` group's members are single children. A group
blocks with a position ``p`` it prefers to its outcome (any ``p`` up to
``group_last_position`` if apart) if all members are acceptable there and every member fits
by the admission rule after removing the children of lower priority and the group itself:
for each member ``m`` in pool ``q``, ``weight(others assigned to q above m) + weight(members in
q up to m) <= capacity(q)``. Single children and the members of an apart ``preferred`` group
block as single children; members of a together or ``required`` group do not block alone.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .instance import Instance

__all__ = ["CheckReport", "GroupOutcome", "check"]

MAX_EXAMPLES = 20


@dataclass(frozen=True)
class CheckReport:
    """Outcome of :func:`check`. ``violations`` and ``examples`` name children by id."""

    feasible: bool
    violations: tuple[dict[str, Any], ...]
    blocking_pairs: int
    sibling_blocking_pairs: int
    examples: tuple[dict[str, Any], ...] = field(default=())
    #: The wish entries of single children that block (for repair heuristics; not in as_dict).
    blocking_entries: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False, compare=False
    )

    @property
    def stable(self) -> bool:
        return self.blocking_pairs == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "stable": self.stable,
            "blocking_pairs": self.blocking_pairs,
            "sibling_blocking_pairs": self.sibling_blocking_pairs,
            "violations": list(self.violations),
            "blocking_examples": list(self.examples),
        }


def _pool_name(inst: Instance, pool: int) -> dict[str, str]:
    k = inst.n_seat_types
    return {"facility": inst.facility_ids[pool // k], "seat_type": inst.seat_types[pool % k]}


def _feasibility(inst: Instance, aw: np.ndarray) -> list[dict[str, Any]]:
    violations: list[dict[str, Any]] = []
    ptr = inst.wish_ptr
    n = inst.n_children
    got = np.flatnonzero(aw >= 0)
    foreign = got[(aw[got] < ptr[got]) | (aw[got] >= ptr[got + 1])]
    for c in foreign[:MAX_EXAMPLES].tolist():
        violations.append({"code": "not_a_wish", "child": inst.child_ids[c]})
    own = np.setdiff1d(got, foreign, assume_unique=True)
    unacc = own[inst.wish_rank[aw[own]] < 0]
    for c in unacc[:MAX_EXAMPLES].tolist():
        violations.append({"code": "not_acceptable", "child": inst.child_ids[c]})
    pools = inst.wish_pool[aw[own]]
    load = np.bincount(pools, weights=inst.wish_weight[aw[own]], minlength=inst.pool_capacity.size)
    for q in np.flatnonzero(load > inst.pool_capacity)[:MAX_EXAMPLES].tolist():
        violations.append(
            {
                "code": "over_capacity",
                **_pool_name(inst, q),
                "load": int(load[q]),
                "capacity": int(inst.pool_capacity[q]),
            }
        )
    if inst.has_groups:
        outcome = GroupOutcome.of(inst, aw)
        gptr, members = inst.group_members
        for g in np.flatnonzero(~outcome.valid).tolist():
            ms = members[gptr[g] : gptr[g + 1]]
            violations.append(
                {"code": "group_split", "children": [inst.child_ids[c] for c in ms.tolist()]}
            )
    # The seat held now is one wish entry (a child may wish its facility in several care
    # scopes); anything at that entry or better keeps the place.
    held = inst.current_entry
    lost = np.flatnonzero((held >= 0) & ((aw < 0) | (aw > held)))
    for c in lost[:MAX_EXAMPLES].tolist():
        violations.append({"code": "lost_current_place", "child": inst.child_ids[c]})
    del n
    return violations


def check(instance: Instance, assigned_wish: np.ndarray) -> CheckReport:
    """Verify feasibility and count blocking pairs of an assignment (wish entry per child).

    Steps for single children: put the assigned entries and every wish entry a child prefers to
    its assignment into one list, sort it by (pool, priority rank), and sweep each pool keeping
    the weight of the assigned children seen so far; a preferred wish blocks if that weight
    plus the child's weight fits the capacity. Sibling groups are tested group by group, at
    every facility the group prefers to its assignment.
    """
    inst = instance
    aw = np.asarray(assigned_wish, dtype=np.int64)
    violations = _feasibility(inst, aw)
    ptr = inst.wish_ptr
    child_of = inst.wish_child
    pool_of = inst.wish_pool
    rank = inst.wish_rank.astype(np.int64)
    cap = inst.pool_capacity
    ww = inst.wish_weight

    valid = (aw >= 0) & (aw >= ptr[:-1]) & (aw < ptr[1:])
    assigned = aw[valid]
    # The child's wishes better than its assignment (all of them if it has none).
    bound = np.where(valid, aw, ptr[1:])
    entry = np.arange(inst.n_wishes, dtype=np.int64)
    alone = inst.group < 0
    if inst.has_groups:
        alone = alone | GroupOutcome.of(inst, aw).alone
    better = entry[(entry < bound[child_of]) & (rank >= 0) & alone[child_of]]

    # One sweep per pool over assigned (kind 0) and candidate (kind 1) entries in rank order.
    # At equal rank (impossible for distinct children of one facility) assigned sorts first.
    items = np.concatenate([assigned, better])
    kind = np.concatenate([np.zeros(assigned.size, np.int64), np.ones(better.size, np.int64)])
    order = np.lexsort((kind, rank[items], pool_of[items]))
    items, kind = items[order], kind[order]
    ipool = pool_of[items]
    own = np.where(kind == 0, ww[items], 0)
    seen = np.cumsum(own)
    is_start = np.ones(items.size, dtype=bool)
    is_start[1:] = ipool[1:] != ipool[:-1]
    run = np.cumsum(is_start) - 1
    before_pool = (seen - own)[is_start]
    weight_ahead = seen - before_pool[run]  # candidates add 0, so this is the weight above
    blocks = (kind == 1) & (weight_ahead + ww[items] <= cap[ipool])
    single = items[blocks]  # the blocking wish entries of single children
    examples = [
        {"children": [inst.child_ids[int(child_of[e])]], **_pool_name(inst, int(pool_of[e]))}
        for e in single[:MAX_EXAMPLES].tolist()
    ]

    group_pairs = 0
    if inst.has_groups:
        group_pairs, group_examples = _group_blocking(inst, aw, assigned)
        examples.extend(group_examples[: max(0, MAX_EXAMPLES - len(examples))])

    return CheckReport(
        feasible=not violations,
        violations=tuple(violations),
        blocking_pairs=int(single.size) + group_pairs,
        sibling_blocking_pairs=group_pairs,
        examples=tuple(examples),
        blocking_entries=single,
    )


@dataclass(frozen=True, eq=False)
class GroupOutcome:
    """How each sibling group came out of an assignment.

    ``together[g]`` = the shared wish position of a together group, -1 if apart; ``valid[g]``
    = the outcome is one the group allows; ``alone[c]`` = child ``c`` counts as a single child
    (not in a group, or in an apart ``preferred`` group).
    """

    together: np.ndarray
    valid: np.ndarray
    alone: np.ndarray

    @classmethod
    def of(cls, inst: Instance, aw: np.ndarray) -> GroupOutcome:
        ptr = inst.wish_ptr
        position = np.where(aw >= 0, aw - ptr[:-1], -1)
        gptr, members = inst.group_members
        together = np.full(inst.n_groups, -1, dtype=np.int64)
        valid = np.ones(inst.n_groups, dtype=bool)
        alone = inst.group < 0
        for g in range(inst.n_groups):
            ms = members[gptr[g] : gptr[g + 1]]
            pos = position[ms]
            if pos[0] >= 0 and np.all(pos == pos[0]):
                together[g] = pos[0]
            elif inst.group_preferred[g]:
                alone[ms] = True
            else:
                held = inst.current_entry[ms]
                valid[g] = bool(np.all(aw[ms] == held))  # held seat, or -1 for the others
        return cls(together=together, valid=valid, alone=alone)


class _AssignedIndex:
    """Weight of the children assigned to a pool above a rank (built per pool on demand)."""

    def __init__(self, inst: Instance, aw: np.ndarray) -> None:
        self.inst, self.aw = inst, aw
        self.assigned = aw[aw >= 0]
        self.by_pool: dict[int, tuple[list[int], list[int]]] = {}

    def weight_above(self, q: int, r: int) -> int:
        inst = self.inst
        if q not in self.by_pool:
            mine = self.assigned[inst.wish_pool[self.assigned] == q]
            pairs = sorted((int(inst.wish_rank[e]), int(inst.wish_weight[e])) for e in mine)
            prefix = [0]
            for _, wt in pairs:
                prefix.append(prefix[-1] + wt)
            self.by_pool[q] = ([p[0] for p in pairs], prefix)
        ranks, prefix = self.by_pool[q]
        return prefix[bisect.bisect_left(ranks, r)]

    def group_fits(self, g: int, pos: int) -> bool:
        """Would sibling group ``g`` be admitted as a whole at wish position ``pos``?"""
        inst, aw = self.inst, self.aw
        gptr, members = inst.group_members
        ms = members[gptr[g] : gptr[g + 1]].tolist()
        need: dict[int, list[tuple[int, int]]] = {}  # pool -> (rank, weight) of members
        for c in ms:
            e = int(inst.wish_ptr[c]) + pos
            r = int(inst.wish_rank[e])
            if r < 0:
                return False
            need.setdefault(int(inst.wish_pool[e]), []).append((r, int(inst.wish_weight[e])))
        for q, lst in need.items():
            # The group's own seats (members placed alone in q) do not count against it.
            own = [
                (int(inst.wish_rank[aw[c]]), int(inst.wish_weight[aw[c]]))
                for c in ms
                if aw[c] >= 0 and int(inst.wish_pool[aw[c]]) == q
            ]
            total = 0
            for r, wt in sorted(lst):
                total += wt
                above = self.weight_above(q, r) - sum(w for ro, w in own if ro < r)
                if above + total > inst.pool_capacity[q]:
                    return False
        return True


def _group_blocking(
    inst: Instance, aw: np.ndarray, assigned: np.ndarray
) -> tuple[int, list[dict[str, Any]]]:
    """Count (sibling group, wish position) blocking pairs with plain Python (groups are few)."""
    del assigned
    index = _AssignedIndex(inst, aw)
    outcome = GroupOutcome.of(inst, aw)
    last = inst.group_last_position
    gptr, members = inst.group_members
    count = 0
    examples: list[dict[str, Any]] = []
    for g in range(inst.n_groups):
        ms = members[gptr[g] : gptr[g + 1]].tolist()
        stop = int(last[g]) + 1 if outcome.together[g] < 0 else int(outcome.together[g])
        for pos in range(min(stop, int(last[g]) + 1)):
            if index.group_fits(g, pos):
                count += 1
                e0 = int(inst.wish_ptr[ms[0]]) + pos
                examples.append(
                    {
                        "children": [inst.child_ids[c] for c in ms],
                        **_pool_name(inst, int(inst.wish_pool[e0])),
                    }
                )
    return count, examples
