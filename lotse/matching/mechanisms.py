"""Allocation mechanisms: child-proposing DA, facility-proposing DA, and the iterative variant.

All mechanisms take an :class:`~lotse.matching.instance.Instance` and return a :class:`Result`
whose ``assigned_wish[i]`` is the wish entry through which child ``i`` got its seat (``-1`` =
unassigned). The wish entry fixes both the facility and the seat type.

**Admission rule of a pool** (one seat type at one facility), shared by all mechanisms: go
through the candidates in priority order and admit each one whose weight still fits into the
remaining capacity; a child is turned away only if the children ranked above it that were admitted
leave too little room. With unit weights this is "keep the best ``capacity`` candidates".

**Guarantees** (see docs/matching.md for the full statement):

* unit weights and no sibling groups: child-proposing DA returns the child-optimal stable
  matching, is strategy-proof for families and leaves no justified envy; facility-proposing DA
  and the iterative variant return the facility-optimal stable matching;
* with weights > 1 or sibling groups a stable matching may not exist; the mechanisms still return
  a feasible assignment in which groups are placed together, and
  :func:`lotse.matching.check.check` counts the remaining blocking pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .instance import Instance, InstanceError, _stable_argsort

if TYPE_CHECKING:
    from .explain import Cutoffs, Explanations, Stats

__all__ = [
    "MECHANISMS",
    "Mechanism",
    "Result",
    "child_proposing_da",
    "facility_proposing_da",
    "iterative_offers",
    "solve",
]

Mechanism = Literal["child_da", "facility_da", "iterative", "exact"]


@dataclass(frozen=True, eq=False)
class Result:
    """The outcome of one run. Derived data (explanations, cut-offs, stats) is computed lazily."""

    instance: Instance
    mechanism: str
    assigned_wish: np.ndarray  # int64 (n,): wish entry index, -1 = unassigned
    rounds: int
    #: The exact mechanism's report (status, blocking pairs, solver, time); None for DA.
    exact: dict[str, Any] | None = None

    @cached_property
    def assignment(self) -> np.ndarray:
        """Facility index per child, ``-1`` = unassigned."""
        return self._per_child(self.instance.wish_facility)

    @cached_property
    def assigned_seat_type(self) -> np.ndarray:
        """Seat type index per child, ``-1`` = unassigned."""
        return self._per_child(self.instance.wish_seat_type)

    def _per_child(self, per_wish: np.ndarray) -> np.ndarray:
        out = np.full(self.assigned_wish.size, -1, dtype=np.int64)
        got = self.assigned_wish >= 0
        out[got] = per_wish[self.assigned_wish[got]]
        return out

    @cached_property
    def explanations(self) -> Explanations:
        from .explain import explain

        return explain(self.instance, self.assigned_wish)

    @cached_property
    def cutoffs(self) -> Cutoffs:
        from .explain import cutoffs

        return cutoffs(self.instance, self.assigned_wish)

    @cached_property
    def stats(self) -> Stats:
        from .explain import statistics

        return statistics(self.instance, self.assigned_wish)

    def assignment_by_id(self) -> dict[str, str | None]:
        """``{child id: facility id or None}``."""
        fids = self.instance.facility_ids
        return {
            cid: (fids[f] if f >= 0 else None)
            for cid, f in zip(self.instance.child_ids, self.assignment.tolist(), strict=True)
        }


# --------------------------------------------------------------------------- child-proposing DA


def _segments(sorted_pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index of every run of equal values and the run index of every element."""
    is_start = np.empty(sorted_pool.size, dtype=bool)
    is_start[:1] = True
    is_start[1:] = sorted_pool[1:] != sorted_pool[:-1]
    starts = np.flatnonzero(is_start)
    return starts, np.cumsum(is_start) - 1


def _admit(
    sorted_pool: np.ndarray,
    weight: np.ndarray,
    alive: np.ndarray,
    cap: np.ndarray,
    starts: np.ndarray,
    seg: np.ndarray,
) -> np.ndarray:
    """Admission rule over candidates sorted by (pool, rank): greedy by priority, skip misfits.

    Vectorised as a cumulative weight per pool; only pools that have a misfit followed by a
    lighter candidate need the sequential greedy pass (only possible with weights > 1).
    """
    wa = np.where(alive, weight, 0)
    csum = np.cumsum(wa)
    base = csum[starts] - wa[starts]
    within = csum - base[seg]
    limit = cap[sorted_pool]
    keep = alive & (within <= limit)
    if weight.size and weight.max() > 1:
        misfit = alive & ~keep
        if misfit.any():
            for s in np.unique(seg[misfit]).tolist():
                lo = int(starts[s])
                hi = int(starts[s + 1]) if s + 1 < starts.size else sorted_pool.size
                room = int(limit[lo])
                for j in range(lo, hi):
                    if alive[j] and weight[j] <= room:
                        keep[j] = True
                        room -= int(weight[j])
                    else:
                        keep[j] = False
    return keep


def child_proposing_da(
    instance: Instance, *, resume: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> Result:
    """Child-proposing deferred acceptance in simultaneous rounds (the default mechanism).

    Steps:

    1. Every child without a held seat and with wishes left proposes to its next wish
       (all at once, one round).
    2. A proposal to a facility that does not accept the child, or to a pool the child cannot fit
       into even when empty, is rejected at once. With unit weights and no sibling groups a
       proposal ranked below the worst held child of a full pool is also rejected at once (it
       cannot displace anyone), which keeps late rounds cheap.
    3. Every pool that received proposals pools them with the children it holds, sorts them by
       priority rank and keeps them by the admission rule; the others are rejected, including
       previously held children that were displaced.
    4. Sibling groups: if any member of a group is rejected, the whole group is rejected from
       that facility in this round, and the pools are re-evaluated without it (freed seats go
       to the next candidates of the same round); repeated until no group is split.
    5. Rejected children move their pointer to their next wish. A group rejected at its last
       position (:attr:`Instance.group_last_position`: its list, or the first position holding
       a member's current place) is dissolved: a ``required`` group's members holding a place
       propose that place alone (they always get it: holders come first and fit), the others
       stay unassigned; a ``preferred`` group's members start again alone from their first
       wish. Repeat from 1 until nobody proposes. Held seats become assignments.

    Each round is a handful of vectorised NumPy operations, and the number of rounds (the
    longest rejection chain) is small for real instances, so 10^6 children run in seconds.

    ``resume=(held_entry, ptr, groups)`` continues from a state instead of the start: children
    holding entries keep them (``ptr`` at the held entry), children without one propose from
    ``ptr`` on, ``groups`` is the group per child with dissolved groups as -1 (used by the exact
    mechanism to let children of blocking pairs propose again).
    """
    inst = instance
    if resume is None and inst.unit_weights and not inst.has_groups:
        held_entry, rounds = _child_da_unit(inst)
        return Result(instance=inst, mechanism="child_da", assigned_wish=held_entry, rounds=rounds)
    n = inst.n_children
    cap = inst.pool_capacity
    n_pools = cap.size
    pool_of = inst.wish_pool
    rank = inst.wish_rank  # int32; mixed with int64 below, NumPy widens (no copy of all ranks)
    ww = inst.wish_weight
    unit = inst.unit_weights
    # A local copy: a sibling group that cannot be placed together is dissolved (set to -1).
    groups = inst.group.copy() if inst.has_groups else None
    if resume is not None and groups is not None:
        groups = resume[2].copy()
    if groups is not None:
        gptr, gmembers = inst.group_members
    rank_span = int(rank.max()) + 1 if rank.size else 1

    ptr = inst.wish_ptr[:-1].copy()  # current wish entry of each child (held or proposing)
    end = inst.wish_ptr[1:]
    held_entry = np.full(n, -1, dtype=np.int64)
    # held_pool[i] = pool holding child i, or n_pools (a sentinel slot, never affected).
    held_pool = np.full(n, n_pools, dtype=np.int64)
    used = np.zeros(n_pools, dtype=np.int64)
    worst = np.full(n_pools, -1, dtype=np.int64)
    if resume is not None:
        held_entry, ptr = resume[0].copy(), resume[1].copy()
        held = np.flatnonzero(held_entry >= 0)
        held_pool[held] = pool_of[held_entry[held]]
        np.add.at(used, held_pool[held], ww[held_entry[held]])
        np.maximum.at(worst, held_pool[held], rank[held_entry[held]])
    free = np.flatnonzero((held_entry < 0) & (ptr < end))
    rounds = 0

    while free.size:
        rounds += 1
        e = ptr[free]
        p = pool_of[e]
        r = rank[e]
        wf = ww[e]
        ok = (r >= 0) & (wf <= cap[p])
        if unit and groups is None:
            # Exact only without groups: a group rejected later in the round frees seats that
            # this early test would already have denied.
            ok &= ~((r > worst[p]) & (used[p] + wf > cap[p]))
        rejected_now = free[~ok]
        prop = free[ok]
        lost = np.empty(0, dtype=np.int64)
        if prop.size:
            affected = np.zeros(n_pools + 1, dtype=bool)
            affected[p[ok]] = True
            held = np.flatnonzero(affected[held_pool])
            cand = np.concatenate([held, prop])
            ce = np.concatenate([held_entry[held], e[ok]])
            cp = pool_of[ce]
            # (pool, rank) is unique among the candidates, so the fast sort of the packed key
            # gives the one order there is.
            key = cp * rank_span
            key += rank[ce]
            order = _stable_argsort(key, n_pools * rank_span)[0]
            cand, ce, cp = cand[order], ce[order], cp[order]
            cw = ww[ce]
            starts, seg = _segments(cp)
            alive = np.ones(cand.size, dtype=bool)
            keep = _admit(cp, cw, alive, cap, starts, seg)
            if groups is not None:
                keep = _keep_groups_whole(
                    groups, cand, cp, cw, cap, starts, seg, keep, alive, rejected_now
                )
            kept, kept_e = cand[keep], ce[keep]
            lost = cand[~keep]
            held_entry[lost] = -1
            held_pool[lost] = n_pools
            held_entry[kept] = kept_e
            held_pool[kept] = cp[keep]
            # Refresh load and worst held rank of the affected pools.
            seg_pools = cp[starts]
            used[seg_pools] = np.add.reduceat(np.where(keep, cw, 0), starts)
            worst[seg_pools] = np.maximum.reduceat(np.where(keep, rank[ce], -1), starts)
        rejected = np.concatenate([rejected_now, lost])
        if groups is not None and rejected.size:
            rejected = _release_partners(
                groups, gptr, gmembers, rejected, held_entry, held_pool, used, ww, pool_of, n_pools
            )
        ptr[rejected] += 1
        if groups is not None and rejected.size:
            _dissolve_exhausted(inst, groups, rejected, ptr)
        free = rejected[ptr[rejected] < end[rejected]]

    return Result(instance=inst, mechanism="child_da", assigned_wish=held_entry, rounds=rounds)


def _child_da_unit(inst: Instance) -> tuple[np.ndarray, int]:
    """Child-proposing DA for unit weights without sibling groups: the same rounds, less work.

    The same proposals, the same early rejection and the same admission as the general loop
    below, so the same held seats after every round. What differs is what a round touches:

    * every pool keeps its held children in a block of slots sorted by rank (block length
      ``min(capacity, applicants)``); blocks lie in pool order and an empty slot carries its
      pool's largest key, so the slot keys ``pool * span + rank`` are sorted as a whole;
    * a round sorts only the proposals. At most as many children can leave a pool as propose
      to it, so a held child ranked above a pool's best proposal stays: only the held children
      below it (found by binary search in the slot keys) are merged with the proposals, and the
      first ``capacity - (children above)`` of the merged list stay, written back into the block.
    """
    n = inst.n_children
    cap = inst.pool_capacity
    n_pools = cap.size
    pool_of = inst.wish_pool
    rank = inst.wish_rank
    span = int(rank.max()) + 2 if rank.size else 2
    none = span - 1  # the rank of "not acceptable", and the key of an empty slot
    if rank.size and rank.min() < 0:
        rank = np.where(rank < 0, none, rank)
    size = np.minimum(cap, np.bincount(pool_of, minlength=n_pools))
    first_slot = np.zeros(n_pools + 1, dtype=np.int64)
    np.cumsum(size, out=first_slot[1:])
    slot_key = np.repeat(np.arange(n_pools, dtype=np.int64) * span + none, size)
    slot_child = np.zeros(slot_key.size, dtype=np.int64)
    count = np.zeros(n_pools, dtype=np.int64)
    # A proposal of rank r to pool q is considered iff r < bar[q]: the worst held rank of a
    # full pool, ``none`` for a pool with room (turns away the unacceptable), 0 without seats.
    bar = np.where(cap > 0, none, 0)
    ptr = inst.wish_ptr[:-1].copy()
    end = inst.wish_ptr[1:]
    held_entry = np.full(n, -1, dtype=np.int64)
    free = np.flatnonzero(ptr < end)
    rounds = 0
    while free.size:
        rounds += 1
        e = ptr[free]
        p = pool_of[e]
        r = rank[e]
        ok = r < bar[p]
        key = p * span
        key += r
        rejected = free
        if not ok.all():
            rejected = free[~ok]
            free, e, key = free[ok], e[ok], key[ok]
        else:
            rejected = free[:0]
        if free.size:
            order, key = _stable_argsort(key, n_pools * span, keep_values=True)
            child, entry = free[order], e[order]
            pool = key // span
            heads = _run_starts(pool)
            q = pool[heads]
            nprop = np.diff(heads, append=pool.size)
            cut = np.searchsorted(slot_key, key[heads])  # first held child below the best proposal
            above = cut - first_slot[q]
            below = count[q] - above
            n_below = int(below.sum())
            if n_below:
                slots = np.repeat(cut - (np.cumsum(below) - below), below) + np.arange(n_below)
                held_key, held_child = slot_key[slots], slot_child[slots]
                at_p = np.searchsorted(held_key, key) + np.arange(key.size)
                at_h = np.searchsorted(key, held_key) + np.arange(n_below)
                key, child, entry = (
                    _merge(key, held_key, at_p, at_h),
                    _merge(child, held_child, at_p, at_h),
                    _merge(entry, held_entry[held_child], at_p, at_h),
                )
            run = below + nprop
            run_start = np.cumsum(run) - run
            room = cap[q] - above
            at = np.arange(key.size)
            keep = at < np.repeat(run_start + room, run)  # the first `room` of each run stay
            stay = np.flatnonzero(keep)
            slot = (at + np.repeat(cut - run_start, run))[stay]  # behind the children above
            slot_key[slot] = key[stay]
            slot_child[slot] = child[stay]
            held_entry[child[stay]] = entry[stay]
            lost = child[~keep]
            held_entry[lost] = -1
            count[q] += np.minimum(room, run) - below
            full = count[q] == cap[q]
            last = first_slot[q] + count[q] - 1
            bar[q] = np.where(full, slot_key[np.where(full, last, 0)] - q * span, none)
            rejected = np.concatenate([rejected, lost])
        ptr[rejected] += 1
        free = rejected[ptr[rejected] < end[rejected]]
    return held_entry, rounds


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Start index of every run of equal values (``values`` not empty)."""
    change = np.empty(values.size, dtype=bool)
    change[0] = True
    np.not_equal(values[1:], values[:-1], out=change[1:])
    return np.flatnonzero(change)


def _merge(a: np.ndarray, b: np.ndarray, at_a: np.ndarray, at_b: np.ndarray) -> np.ndarray:
    """``a`` and ``b`` placed at positions ``at_a`` and ``at_b`` of one array."""
    out = np.empty(a.size + b.size, dtype=np.int64)
    out[at_a] = a
    out[at_b] = b
    return out


def _dissolve_exhausted(
    inst: Instance, groups: np.ndarray, rejected: np.ndarray, ptr: np.ndarray
) -> None:
    """Step 5: dissolve the groups whose pointer passed their last position (in place)."""
    rg = groups[rejected]
    gptr, gmembers = inst.group_members
    last = inst.group_last_position
    for g in np.unique(rg[rg >= 0]).tolist():
        ms = gmembers[gptr[g] : gptr[g + 1]]
        if ptr[ms[0]] - inst.wish_ptr[ms[0]] <= last[g]:
            continue
        groups[ms] = -1
        if inst.group_preferred[g]:
            ptr[ms] = inst.wish_ptr[ms]
        else:
            held = inst.current_entry[ms]
            ptr[ms] = np.where(held >= 0, held, inst.wish_ptr[ms + 1])


def _keep_groups_whole(
    groups: np.ndarray,
    cand: np.ndarray,
    cp: np.ndarray,
    cw: np.ndarray,
    cap: np.ndarray,
    starts: np.ndarray,
    seg: np.ndarray,
    keep: np.ndarray,
    alive: np.ndarray,
    rejected_now: np.ndarray,
) -> np.ndarray:
    """Step 4 of child-proposing DA: reject split groups as a whole and re-admit.

    One split group per pool at a time: the group of the best-ranked rejected member goes, and
    the pool is re-admitted without it before the next is judged. Rejecting every split group
    of a pool at once would also drop a group that fits as soon as the first has gone (two
    groups splitting each other: the second loses its seats for nothing). Groups with no
    member kept anywhere go at once (removing them frees nothing). Monotone: a group rejected
    in a round stays rejected in that round, so the loop ends after at most (number of
    groups) iterations.
    """
    cg = groups[cand]
    n_groups = int(groups.max()) + 1
    bad = np.zeros(n_groups + 1, dtype=bool)  # slot n_groups stands for "no group"
    rg = groups[rejected_now]
    bad[rg[rg >= 0]] = True
    slot = np.where(cg >= 0, cg, n_groups)
    while True:
        newly = alive & bad[slot] & (cg >= 0)
        if newly.any():
            alive &= ~newly
            keep = _admit(cp, cw, alive, cap, starts, seg)
        rejected = np.flatnonzero(alive & ~keep & (cg >= 0))
        if not rejected.size:
            return keep
        kept_group = np.zeros(n_groups + 1, dtype=bool)
        kept_group[slot[alive & keep]] = True
        split = kept_group[cg[rejected]]
        bad[cg[rejected[~split]]] = True
        if split.any():
            of_split = rejected[split]  # in (pool, rank) order
            _, first = np.unique(seg[of_split], return_index=True)
            bad[cg[of_split[first]]] = True


def _release_partners(
    groups: np.ndarray,
    gptr: np.ndarray,
    gmembers: np.ndarray,
    rejected: np.ndarray,
    held_entry: np.ndarray,
    held_pool: np.ndarray,
    used: np.ndarray,
    w: np.ndarray,
    pool_of: np.ndarray,
    n_pools: int,
) -> np.ndarray:
    """Release the still-held siblings of rejected children; return all rejected children."""
    rg = groups[rejected]
    bad = np.unique(rg[rg >= 0])
    if not bad.size:
        return rejected
    members = np.concatenate([gmembers[gptr[g] : gptr[g + 1]] for g in bad.tolist()])
    still = members[held_entry[members] >= 0]
    if not still.size:
        return rejected
    # The worst-rank bound of these pools may now be too high; that only weakens the early
    # rejection test of step 2 (which then leaves the decision to the exact step 3).
    np.subtract.at(used, pool_of[held_entry[still]], w[held_entry[still]])
    held_entry[still] = -1
    held_pool[still] = n_pools
    return np.concatenate([rejected, still])


# --------------------------------------------------------------------------- facility-proposing


def _require_no_groups(instance: Instance, mechanism: str) -> None:
    if instance.has_groups:
        raise InstanceError(
            f"mechanism {mechanism!r} does not support sibling groups; use 'child_da'"
        )


def _applicant_lists(instance: Instance) -> tuple[list[int], list[int], list[int]]:
    """Per pool, the acceptable applicants' wish entries in priority order (CSR, as lists)."""
    rank = instance.wish_rank.astype(np.int64)
    pool = instance.wish_pool
    acc = np.flatnonzero(rank >= 0)
    span = int(rank.max()) + 1 if rank.size else 1
    order = acc[np.argsort(pool[acc] * span + rank[acc], kind="stable")]
    n_pools = instance.pool_capacity.size
    counts = np.bincount(pool[order], minlength=n_pools)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return order.tolist(), starts[:-1].tolist(), starts[1:].tolist()


def facility_proposing_da(instance: Instance) -> Result:
    """Facility-proposing deferred acceptance, one offer at a time (for comparison).

    Steps: every pool walks down its priority list and offers seats while it has room (an
    applicant heavier than the remaining room is skipped). A child holds the best offer it has
    received (by its own wish order) and rejects the others; a rejected or released offer gives
    the pool its room back, and it continues down its list. Ends when no pool with room has
    applicants left. With unit weights this yields the facility-optimal stable matching.
    Sibling groups are not supported.
    """
    _require_no_groups(instance, "facility_da")
    order, nxt, stop = _applicant_lists(instance)
    pool_of = instance.wish_pool.tolist()
    child_of = instance.wish_child.tolist()
    w = instance.wish_weight.tolist()
    room = instance.pool_capacity.tolist()
    held = [-1] * instance.n_children
    stack = [q for q in range(len(room)) if room[q] > 0 and nxt[q] < stop[q]]
    while stack:
        q = stack.pop()
        while room[q] > 0 and nxt[q] < stop[q]:
            e = order[nxt[q]]
            nxt[q] += 1
            c = child_of[e]
            if w[e] > room[q]:
                continue
            h = held[c]
            if h == -1 or e < h:  # smaller entry index = better wish of the same child
                if h != -1:
                    q2 = pool_of[h]
                    room[q2] += w[h]
                    stack.append(q2)
                held[c] = e
                room[q] -= w[e]
    return Result(
        instance=instance,
        mechanism="facility_da",
        assigned_wish=np.asarray(held, dtype=np.int64),
        rounds=0,
    )


def iterative_offers(instance: Instance) -> Result:
    """The iterative, decentralised variant: facilities send offers in rounds.

    Steps per round:

    1. every pool with free room sends offers down its priority list, to applicants it has not
       yet offered a seat, until the outstanding offers fill its room (an applicant heavier than
       the remaining room is skipped);
    2. every family holds the best offer it has (received earlier or now) and releases the rest;
    3. each released offer gives its pool the room back for the next round.

    Ends when a round sends no offer; ``rounds`` counts the rounds that sent offers. When
    facilities follow their priorities, this reaches the same outcome as
    :func:`facility_proposing_da` (with unit weights both are the facility-optimal stable
    matching). Sibling groups are not supported.
    """
    _require_no_groups(instance, "iterative")
    order, nxt, stop = _applicant_lists(instance)
    pool_of = instance.wish_pool.tolist()
    child_of = instance.wish_child.tolist()
    w = instance.wish_weight.tolist()
    room = instance.pool_capacity.tolist()
    held = [-1] * instance.n_children
    active = {q for q in range(len(room)) if room[q] > 0 and nxt[q] < stop[q]}
    rounds = 0
    while active:
        offers: list[int] = []
        for q in sorted(active):
            while room[q] > 0 and nxt[q] < stop[q]:
                e = order[nxt[q]]
                nxt[q] += 1
                c = child_of[e]
                if w[e] > room[q]:
                    continue
                room[q] -= w[e]  # reserved for the outstanding offer
                offers.append(e)
        if not offers:
            break
        rounds += 1
        active = set()
        for e in offers:
            c = child_of[e]
            h = held[c]
            if h == -1 or e < h:
                if h != -1:
                    release = pool_of[h]
                    room[release] += w[h]
                    active.add(release)
                held[c] = e
            else:
                room[pool_of[e]] += w[e]
                active.add(pool_of[e])
        active = {q for q in active if room[q] > 0 and nxt[q] < stop[q]}
    return Result(
        instance=instance,
        mechanism="iterative",
        assigned_wish=np.asarray(held, dtype=np.int64),
        rounds=rounds,
    )


def exact_mechanism(instance: Instance, *, time_limit: float | None = None) -> Result:
    """The exact mechanism on CP-SAT (:mod:`lotse.matching.exact`); ``exact`` holds its report."""
    from dataclasses import replace

    from .exact import DEFAULT_TIME_LIMIT, exact_stable

    limit = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    result, info = exact_stable(instance, time_limit=limit)
    return replace(result, exact=info.as_dict())


MECHANISMS = {
    "child_da": child_proposing_da,
    "facility_da": facility_proposing_da,
    "iterative": iterative_offers,
    "exact": exact_mechanism,
}


def solve(
    instance: Instance, mechanism: Mechanism | str = "child_da", *, time_limit: float | None = None
) -> Result:
    """Run ``mechanism`` (``"child_da"`` default, ``"facility_da"``, ``"iterative"``, ``"exact"``).

    ``time_limit`` (seconds) applies to ``"exact"`` only (default 60).
    """
    if mechanism == "exact":
        return exact_mechanism(instance, time_limit=time_limit)
    try:
        run = MECHANISMS[mechanism]
    except KeyError:
        raise InstanceError(
            f"unknown mechanism {mechanism!r}; choose one of {', '.join(MECHANISMS)}"
        ) from None
    return run(instance)
