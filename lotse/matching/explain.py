"""Cut-offs, per-child reasons and statistics, as plain data (no human text).

The web app turns the codes into sentences in the family's language. All reasons are derived
from the final assignment, with the same definitions that :mod:`lotse.matching.check` uses, so
an explanation never contradicts the stability check.

Reason codes for a wish ranked above the one a child got (or any wish, if it got none):

``not_acceptable``
    the facility does not accept the child (not on its priority list; for a sibling group: not
    all members are accepted).
``no_capacity``
    the facility has no seats of this seat type, or fewer than the child's weight.
``outranked``
    the seats are taken by children with higher priority: ``higher_priority_count`` of them;
    ``deciding_criterion`` names the first criterion in which the child differs from the
    last admitted child (the cut-off), with both values.
``does_not_fit``
    (weights only) after the children with higher priority, the room left
    (``room_left``) is smaller than the child's weight.
``sibling_group_does_not_fit``
    the child alone would fit, but not its whole sibling group.
``justified_envy``
    the child would fit, so this wish is part of a blocking pair. It cannot happen with unit
    weights and without sibling groups; otherwise it documents an instability.
``sibling_keeps_current_place``
    the child alone would fit, but its sibling group cannot be placed together there without
    a sibling losing its current place (the wish comes after that place in the shared list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .check import GroupOutcome, _AssignedIndex
from .instance import Instance, ListPriority

__all__ = [
    "REASONS",
    "Cutoffs",
    "Explanations",
    "Stats",
    "cutoffs",
    "explain",
    "statistics",
]

REASONS = (
    "not_acceptable",
    "no_capacity",
    "outranked",
    "does_not_fit",
    "sibling_group_does_not_fit",
    "justified_envy",
    "sibling_keeps_current_place",
)
(
    NOT_ACCEPTABLE,
    NO_CAPACITY,
    OUTRANKED,
    DOES_NOT_FIT,
    GROUP_DOES_NOT_FIT,
    JUSTIFIED_ENVY,
    SIBLING_KEEPS_PLACE,
) = range(7)


def _admitted_index(
    instance: Instance, assigned_wish: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Admitted entries sorted by (pool, rank), their sort keys and cumulative weights."""
    entries = assigned_wish[assigned_wish >= 0]
    span = int(instance.wish_rank.max()) + 2 if instance.n_wishes else 1
    keys = instance.wish_pool[entries] * span + instance.wish_rank[entries]
    order = np.argsort(keys, kind="stable")
    entries, keys = entries[order], keys[order]
    cum_weight = np.concatenate([[0], np.cumsum(instance.wish_weight[entries])])
    return entries, keys, cum_weight, span


def _above_entries(instance: Instance, assigned_wish: np.ndarray) -> np.ndarray:
    """Wish entries ranked (by the child) above the entry it got; all entries if unassigned."""
    limit = np.where(assigned_wish >= 0, assigned_wish, instance.wish_ptr[1:])
    entry = np.arange(instance.n_wishes, dtype=np.int64)
    return np.flatnonzero(entry < limit[instance.wish_child])


@dataclass(frozen=True, eq=False)
class Explanations:
    """Reasons for every wish above the one a child got, as arrays over those wish entries.

    ``entries`` (wish entry indices, grouped by child, best first), ``code`` (index into
    :data:`REASONS`), ``higher_priority_count`` (admitted children in that pool with higher
    priority) and ``room_left`` (capacity minus their weight). Use :meth:`for_child` for the
    dict form of one child and :meth:`to_dict` for all.
    """

    instance: Instance
    assigned_wish: np.ndarray
    entries: np.ndarray
    code: np.ndarray
    higher_priority_count: np.ndarray
    room_left: np.ndarray
    cutoff_entry: np.ndarray  # per pool: lowest-priority admitted entry or -1

    def for_child(self, child: int) -> list[dict[str, Any]]:
        """The reasons for one child's better wishes, best wish first."""
        inst = self.instance
        lo = np.searchsorted(self.entries, inst.wish_ptr[child])
        hi = np.searchsorted(self.entries, inst.wish_ptr[child + 1])
        out = []
        for j in range(lo, hi):
            e = int(self.entries[j])
            q = int(inst.wish_pool[e])
            code = int(self.code[j])
            reason: dict[str, Any] = {
                "wish": e - int(inst.wish_ptr[child]) + 1,
                "facility": inst.facility_ids[int(inst.wish_facility[e])],
                "seat_type": inst.seat_types[int(inst.wish_seat_type[e])],
                "reason": REASONS[code],
                "capacity": int(inst.pool_capacity[q]),
            }
            if code in (
                OUTRANKED,
                DOES_NOT_FIT,
                GROUP_DOES_NOT_FIT,
                JUSTIFIED_ENVY,
                SIBLING_KEEPS_PLACE,
            ):
                reason["higher_priority_count"] = int(self.higher_priority_count[j])
                reason["room_left"] = int(self.room_left[j])
            if code == DOES_NOT_FIT:
                reason["weight"] = int(inst.wish_weight[e])
            if code == OUTRANKED and self.cutoff_entry[q] >= 0:
                reason.update(_deciding_criterion(inst, e, int(self.cutoff_entry[q])))
            out.append(reason)
        return out

    def for_children(self, children: np.ndarray | None = None) -> list[list[dict[str, Any]]]:
        """``[for_child(c) for c in children]`` (all children if None), computed in one pass:
        the same dicts, for a whole city in a fraction of the time."""
        inst = self.instance
        if children is None:
            children = np.arange(inst.n_children, dtype=np.int64)
        children = np.asarray(children, dtype=np.int64)
        lo = np.searchsorted(self.entries, inst.wish_ptr[children])
        hi = np.searchsorted(self.entries, inst.wish_ptr[children + 1])
        counts = hi - lo
        total = int(counts.sum())
        if not total:
            return [[] for _ in range(children.size)]
        # Positions j into self.entries / self.code / … for every reason, child by child.
        j = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        j = j + np.arange(total, dtype=np.int64)
        e = self.entries[j]
        q = inst.wish_pool[e]
        code = self.code[j]
        child = np.repeat(children, counts)
        deciding = self._deciding_criteria(e, code, q)
        wish = (e - inst.wish_ptr[child] + 1).tolist()
        facility = [inst.facility_ids[f] for f in inst.wish_facility[e].tolist()]
        seat_type = [inst.seat_types[t] for t in inst.wish_seat_type[e].tolist()]
        capacity = inst.pool_capacity[q].tolist()
        hpc = self.higher_priority_count[j].tolist()
        room = self.room_left[j].tolist()
        weight = inst.wish_weight[e].tolist()
        with_counts = {
            OUTRANKED,
            DOES_NOT_FIT,
            GROUP_DOES_NOT_FIT,
            JUSTIFIED_ENVY,
            SIBLING_KEEPS_PLACE,
        }
        rows: list[dict[str, Any]] = []
        for k, c in enumerate(code.tolist()):
            reason: dict[str, Any] = {
                "wish": wish[k],
                "facility": facility[k],
                "seat_type": seat_type[k],
                "reason": REASONS[c],
                "capacity": capacity[k],
            }
            if c in with_counts:
                reason["higher_priority_count"] = hpc[k]
                reason["room_left"] = room[k]
            if c == DOES_NOT_FIT:
                reason["weight"] = weight[k]
            extra = deciding.get(k)
            if extra is not None:
                reason.update(extra)
            rows.append(reason)
        out: list[list[dict[str, Any]]] = []
        start = 0
        for n in counts.tolist():
            out.append(rows[start : start + n])
            start += n
        return out

    def _deciding_criteria(
        self, e: np.ndarray, code: np.ndarray, q: np.ndarray
    ) -> dict[int, dict[str, Any]]:
        """For the outranked reasons among entries ``e``: position → deciding criterion (what
        :func:`_deciding_criterion` gives), vectorised for children outside sibling groups."""
        inst = self.instance
        cut = self.cutoff_entry[q]
        ks = np.flatnonzero((code == OUTRANKED) & (cut >= 0))
        out: dict[int, dict[str, Any]] = {}
        if not ks.size:
            return out
        mine, theirs = e[ks], cut[ks]
        c_mine, c_theirs = inst.wish_child[mine], inst.wish_child[theirs]
        if inst.has_groups:  # the group's representative decides: one at a time
            grouped = (inst.group[c_mine] >= 0) | (inst.group[c_theirs] >= 0)
            for k, a, b in zip(
                ks[grouped].tolist(), mine[grouped].tolist(), theirs[grouped].tolist(), strict=True
            ):
                out[k] = _deciding_criterion(inst, a, b)
            keep = ~grouped
            ks, mine, theirs, c_mine, c_theirs = (
                ks[keep],
                mine[keep],
                theirs[keep],
                c_mine[keep],
                c_theirs[keep],
            )
        components: list[tuple[str, np.ndarray, np.ndarray]] = [
            (
                "current_place",
                (inst.current_entry[c_mine] == mine).astype(np.int64),
                (inst.current_entry[c_theirs] == theirs).astype(np.int64),
            )
        ]
        prio = inst.priority
        if isinstance(prio, ListPriority):
            components.append(
                (
                    "priority_list",
                    prio.position[mine].astype(np.int64),
                    prio.position[theirs].astype(np.int64),
                )
            )
        else:
            for crit in prio.criteria:
                values = np.asarray(crit.values)
                a = values[mine] if crit.per_wish else values[c_mine]
                b = values[theirs] if crit.per_wish else values[c_theirs]
                components.append((crit.name, a, b))
            lot = np.asarray(prio.lottery)
            a = lot[mine] if prio.lottery_per_wish else lot[c_mine]
            b = lot[theirs] if prio.lottery_per_wish else lot[c_theirs]
            components.append(("lottery", a.astype(np.int64), b.astype(np.int64)))
        decided = np.zeros(ks.size, dtype=bool)
        for name, a, b in components:
            differ = np.flatnonzero(~decided & (a != b))
            for k, x, y in zip(
                ks[differ].tolist(), a[differ].tolist(), b[differ].tolist(), strict=True
            ):
                out[k] = {"deciding_criterion": name, "child_value": x, "cutoff_value": y}
            decided[differ] = True
        for k in ks[~decided].tolist():
            out[k] = {
                "deciding_criterion": "sibling_order",
                "child_value": None,
                "cutoff_value": None,
            }
        return out

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """``{child id: reasons}`` for every child that did not get its first wish."""
        children = np.unique(self.instance.wish_child[self.entries]).tolist()
        return {self.instance.child_ids[c]: self.for_child(c) for c in children}


def _deciding_criterion(instance: Instance, entry: int, cutoff: int) -> dict[str, Any]:
    """First priority component in which the child differs from the cut-off child."""
    mine, theirs = instance.priority_key(entry), instance.priority_key(cutoff)
    for (name, a), (_, b) in zip(mine, theirs, strict=True):
        if a != b:
            return {"deciding_criterion": name, "child_value": a, "cutoff_value": b}
    # Same sibling group representative: the order inside the group decided.
    return {"deciding_criterion": "sibling_order", "child_value": None, "cutoff_value": None}


def explain(instance: Instance, assigned_wish: np.ndarray) -> Explanations:
    """Compute the reason for every wish ranked above the child's assignment.

    Steps: index the admitted children per pool in priority order with cumulative weights; for
    each wish above the assignment look up how many admitted children (and how much weight) rank
    above the child in that pool; classify by the codes in :data:`REASONS`; for sibling groups
    test whether the whole group would fit at that facility.
    """
    inst = instance
    assigned_wish = np.asarray(assigned_wish, dtype=np.int64)
    adm, keys, cum_w, span = _admitted_index(inst, assigned_wish)
    above = _above_entries(inst, assigned_wish)
    pool = inst.wish_pool[above]
    rank = inst.wish_rank[above].astype(np.int64)
    cap = inst.pool_capacity[pool]
    lo = np.searchsorted(keys, pool * span)
    at = np.searchsorted(keys, pool * span + np.maximum(rank, 0))
    count = at - lo
    ahead = cum_w[at] - cum_w[lo]
    room = cap - ahead
    wt = inst.wish_weight[above]
    code = np.full(above.size, JUSTIFIED_ENVY, dtype=np.int8)
    code[wt > room] = DOES_NOT_FIT
    code[room <= 0] = OUTRANKED
    code[wt > cap] = NO_CAPACITY
    code[rank < 0] = NOT_ACCEPTABLE
    if inst.has_groups:
        _group_codes(inst, assigned_wish, above, code)
    # Cut-off entry per pool: the last admitted in priority order.
    cutoff_entry = np.full(inst.pool_capacity.size, -1, dtype=np.int64)
    if adm.size:
        pools = inst.wish_pool[adm]
        last = np.flatnonzero(np.append(pools[1:] != pools[:-1], True))
        cutoff_entry[pools[last]] = adm[last]
    return Explanations(
        instance=inst,
        assigned_wish=assigned_wish,
        entries=above,
        code=code,
        higher_priority_count=count,
        room_left=room,
        cutoff_entry=cutoff_entry,
    )


def _group_codes(
    inst: Instance, assigned_wish: np.ndarray, above: np.ndarray, code: np.ndarray
) -> None:
    """Refine the codes of group members whose wish would fit the child alone (in place).

    Members of an apart ``preferred`` group are single children: their envy stands. For the
    others the group decides, with the definitions of :mod:`lotse.matching.check`.
    """
    outcome = GroupOutcome.of(inst, assigned_wish)
    index = _AssignedIndex(inst, assigned_wish)
    last = inst.group_last_position
    child = inst.wish_child[above]
    for j in np.flatnonzero((code == JUSTIFIED_ENVY) & (inst.group[child] >= 0)).tolist():
        c = int(child[j])
        if outcome.alone[c]:
            continue
        g = int(inst.group[c])
        pos = int(above[j]) - int(inst.wish_ptr[c])
        if pos > last[g]:
            code[j] = SIBLING_KEEPS_PLACE
        elif not index.group_fits(g, pos):
            code[j] = GROUP_DOES_NOT_FIT


@dataclass(frozen=True, eq=False)
class Cutoffs:
    """Per pool (facility × seat type): capacity, seats used and the last admitted entry."""

    instance: Instance
    capacity: np.ndarray
    used: np.ndarray
    last_entry: np.ndarray  # lowest-priority admitted wish entry, -1 if none

    @property
    def full(self) -> np.ndarray:
        return self.used >= self.capacity

    def to_list(self) -> list[dict[str, Any]]:
        """One dict per pool with capacity > 0: ``status`` is ``"full"`` or ``"not_full"``; for a
        full pool ``last_admitted``, ``last_rank`` and the priority components ``last_key`` of
        the last admitted child are the published cut-off."""
        inst = self.instance
        k = inst.n_seat_types
        out = []
        for q in np.flatnonzero(self.capacity > 0).tolist():
            item: dict[str, Any] = {
                "facility": inst.facility_ids[q // k],
                "seat_type": inst.seat_types[q % k],
                "capacity": int(self.capacity[q]),
                "used": int(self.used[q]),
                "status": "full" if self.used[q] >= self.capacity[q] else "not_full",
            }
            e = int(self.last_entry[q])
            if item["status"] == "full" and e >= 0:
                item["last_admitted"] = inst.child_ids[int(inst.wish_child[e])]
                item["last_rank"] = int(inst.wish_rank[e])
                item["last_key"] = dict(inst.priority_key(e))
            out.append(item)
        return out


def cutoffs(instance: Instance, assigned_wish: np.ndarray) -> Cutoffs:
    """Seats used and the last admitted child (the cut-off) of every pool."""
    inst = instance
    assigned_wish = np.asarray(assigned_wish, dtype=np.int64)
    adm = assigned_wish[assigned_wish >= 0]
    pools = inst.wish_pool[adm]
    n_pools = inst.pool_capacity.size
    used = np.bincount(pools, weights=inst.wish_weight[adm], minlength=n_pools)
    last = np.full(n_pools, -1, dtype=np.int64)
    if adm.size:
        span = int(inst.wish_rank.max()) + 1
        order = np.argsort(pools * span + inst.wish_rank[adm], kind="stable")
        # Assigning in ascending rank order leaves the worst-ranked entry of each pool.
        last[pools[order]] = adm[order]
    return Cutoffs(
        instance=inst, capacity=inst.pool_capacity, used=used.astype(np.int64), last_entry=last
    )


@dataclass(frozen=True)
class Stats:
    """Outcome statistics.

    ``by_wish[k]`` children got their ``(k+1)``-th wish; ``unassigned_by_seat_type`` counts
    unassigned children per child seat type; ``kept_current`` children stayed at their current
    facility.
    """

    children: int
    assigned: int
    unassigned: int
    by_wish: tuple[int, ...]
    unassigned_by_seat_type: dict[str, int]
    kept_current: int

    def share_by_wish(self) -> tuple[float, ...]:
        return tuple(c / self.children if self.children else 0.0 for c in self.by_wish)

    def as_dict(self) -> dict[str, Any]:
        return {
            "children": self.children,
            "assigned": self.assigned,
            "unassigned": self.unassigned,
            "by_wish": list(self.by_wish),
            "share_by_wish": [round(s, 6) for s in self.share_by_wish()],
            "unassigned_by_seat_type": self.unassigned_by_seat_type,
            "kept_current": self.kept_current,
        }


def statistics(instance: Instance, assigned_wish: np.ndarray) -> Stats:
    """Share with 1st, 2nd, … wish, and unassigned children by seat type."""
    inst = instance
    assigned_wish = np.asarray(assigned_wish, dtype=np.int64)
    got = assigned_wish >= 0
    position = assigned_wish[got] - inst.wish_ptr[:-1][got]
    by_wish = np.bincount(position) if position.size else np.zeros(0, dtype=np.int64)
    unassigned_types = np.bincount(inst.child_type[~got], minlength=len(inst.child_types))
    kept = got & (inst.current >= 0)
    kept_current = int(np.sum(inst.wish_facility[assigned_wish[kept]] == inst.current[kept]))
    return Stats(
        children=inst.n_children,
        assigned=int(got.sum()),
        unassigned=int((~got).sum()),
        by_wish=tuple(int(x) for x in by_wish),
        unassigned_by_seat_type={
            name: int(c) for name, c in zip(inst.child_types, unassigned_types, strict=True) if c
        },
        kept_current=kept_current,
    )
