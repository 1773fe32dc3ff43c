"""The allocation instance: children, facilities, seats and priorities as NumPy arrays.

Vocabulary used throughout the package:

* **child** ``i`` in ``0..n-1``, **facility** ``f`` in ``0..m-1``, **seat type** ``t`` in
  ``0..K-1`` (an age band such as ``"u3"``, optionally combined with a care scope,
  ``"u3/full"``; the special seat type ``"*"`` is the single shared pool of a facility whose
  capacity was given as one number).
* **pool** ``q = f * K + t``: the seats of one seat type at one facility, ``capacity[f, t]`` units.
* **wish entry** ``e``: the wishes of child ``i`` are entries ``wish_ptr[i] .. wish_ptr[i+1]-1``
  (CSR layout) in the child's order of preference, so for one child a *smaller entry index is a
  better wish*. Entry ``e`` names ``wish_facility[e]`` and ``wish_seat_type[e]``.
* **priority rank** ``wish_rank[e]``: the position of the child in its facility's priority order
  among all children that wish that facility (0 = highest priority), or ``-1`` if the facility
  does not accept the child. Ranks are unique per facility, so every comparison is one integer
  comparison.

The effective order of a facility over its applicants is, lexicographically:

1. children who currently hold a place there (``current``) first: they cannot lose it;
2. for children in a sibling group, the group's best member (see below);
3. the facility's priority: position in the explicit list, or the criteria tuple;
4. the lottery number (criteria priorities only).

A sibling group is ranked by its best-ranked member; members of a group follow each other
directly in that order. A group is acceptable to a facility only if all members are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

__all__ = [
    "ANY_SEAT_TYPE",
    "CriteriaPriority",
    "Criterion",
    "Instance",
    "InstanceError",
    "ListPriority",
    "build_instance",
]

ANY_SEAT_TYPE = "*"


class InstanceError(ValueError):
    """Invalid input; the message names the offending item and is safe to show to an operator."""


@dataclass(frozen=True, eq=False)
class ListPriority:
    """Explicit priority lists.

    ``position[e]`` is the 0-based position of the entry's child in the list of the entry's
    facility (smaller = higher priority), or ``-1`` if the child is not on that list, which makes
    the child not acceptable there (unless it currently holds a place there).
    """

    position: np.ndarray


@dataclass(frozen=True, eq=False)
class Criterion:
    """One priority criterion, e.g. ``sibling``, ``social_urgency``, ``catchment``.

    ``values`` has one number per child (``per_wish=False``, shape ``(n,)``) or one number per
    wish entry (``per_wish=True``, shape ``(nnz,)``, for facility-specific criteria such as
    "has a sibling at this facility"). ``higher_is_better`` says which way the criterion points
    (``False`` e.g. for the date of application: earlier is better).
    """

    name: str
    values: np.ndarray
    per_wish: bool = False
    higher_is_better: bool = True


@dataclass(frozen=True, eq=False)
class CriteriaPriority:
    """Priorities as criteria tuples compared lexicographically, ties broken by lottery.

    ``lottery`` holds lottery numbers (smaller wins): one per child for single tie-breaking
    (``lottery_per_wish=False``) or one per wish entry for multiple tie-breaking; see
    :mod:`lotse.matching.lottery` for how they are drawn. Every child that wishes a facility is
    acceptable to it.
    """

    criteria: tuple[Criterion, ...]
    lottery: np.ndarray
    lottery_per_wish: bool = False
    seed: int | None = None
    tie_breaking: str = "single"


Priority = ListPriority | CriteriaPriority


@dataclass(frozen=True, eq=False)
class Instance:
    """An immutable allocation problem. Build it with :func:`build_instance`."""

    child_ids: tuple[str, ...]
    facility_ids: tuple[str, ...]
    seat_types: tuple[str, ...]
    capacity: np.ndarray  # int64 (m, K)
    wish_ptr: np.ndarray  # int64 (n + 1,)
    wish_facility: np.ndarray  # int32 (nnz,)
    wish_seat_type: np.ndarray  # int32 (nnz,)
    wish_rank: np.ndarray  # int32 (nnz,), -1 = not acceptable
    weight: np.ndarray  # int64 (n,), seats a child occupies
    group: np.ndarray  # int32 (n,), sibling group index or -1
    current: np.ndarray  # int32 (n,), facility where the child holds a place now, or -1
    child_type: np.ndarray  # int32 (n,), index into child_types (for statistics)
    child_types: tuple[str, ...]
    priority: Priority = field(repr=False)

    @property
    def n_children(self) -> int:
        return len(self.child_ids)

    @property
    def n_facilities(self) -> int:
        return len(self.facility_ids)

    @property
    def n_seat_types(self) -> int:
        return len(self.seat_types)

    @property
    def n_wishes(self) -> int:
        return int(self.wish_facility.size)

    @cached_property
    def wish_pool(self) -> np.ndarray:
        """Pool index ``facility * K + seat_type`` per wish entry (int64)."""
        return self.wish_facility.astype(np.int64) * self.n_seat_types + self.wish_seat_type

    @cached_property
    def pool_capacity(self) -> np.ndarray:
        """Capacity per pool, flat (int64, length ``m * K``)."""
        return self.capacity.reshape(-1).astype(np.int64)

    @cached_property
    def wish_child(self) -> np.ndarray:
        """Child index per wish entry."""
        return np.repeat(np.arange(self.n_children, dtype=np.int64), np.diff(self.wish_ptr))

    @cached_property
    def unit_weights(self) -> bool:
        return bool(np.all(self.weight == 1))

    @cached_property
    def has_groups(self) -> bool:
        return bool(np.any(self.group >= 0))

    @cached_property
    def group_members(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR of sibling groups: members of group ``g`` are ``members[ptr[g]:ptr[g+1]]``."""
        in_group = np.flatnonzero(self.group >= 0)
        order = in_group[np.argsort(self.group[in_group], kind="stable")]
        n_groups = int(self.group.max()) + 1 if in_group.size else 0
        counts = np.bincount(self.group[in_group], minlength=n_groups)
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return ptr, order

    def wishes_of(self, child: int) -> range:
        """Wish entry indices of one child, best first."""
        return range(int(self.wish_ptr[child]), int(self.wish_ptr[child + 1]))

    def priority_key(self, entry: int) -> list[tuple[str, float]]:
        """The components of the priority comparison at the entry's facility, as (name, value).

        Values are as given (not negated). For a sibling group the components of the group's
        best-ranked member are returned, since the group is ranked by that member.
        """
        entry = self._group_representative(entry)
        child = int(self.wish_child[entry])
        facility = int(self.wish_facility[entry])
        key: list[tuple[str, float]] = [("current_place", int(self.current[child] == facility))]
        prio = self.priority
        if isinstance(prio, ListPriority):
            key.append(("priority_list", int(prio.position[entry])))
            return key
        for crit in prio.criteria:
            value = crit.values[entry] if crit.per_wish else crit.values[child]
            key.append((crit.name, value.item()))
        lot = prio.lottery[entry] if prio.lottery_per_wish else prio.lottery[child]
        key.append(("lottery", int(lot)))
        return key

    def _group_representative(self, entry: int) -> int:
        child = int(self.wish_child[entry])
        g = int(self.group[child])
        if g < 0:
            return entry
        pos = entry - int(self.wish_ptr[child])
        gptr, members = self.group_members
        candidates = [int(self.wish_ptr[c]) + pos for c in members[gptr[g] : gptr[g + 1]]]
        return min(candidates, key=lambda e: self._own_sort_key(e))

    def _own_sort_key(self, entry: int) -> tuple[float, ...]:
        child = int(self.wish_child[entry])
        facility = int(self.wish_facility[entry])
        parts: list[float] = [0 if self.current[child] == facility else 1]
        prio = self.priority
        if isinstance(prio, ListPriority):
            pos = int(prio.position[entry])
            parts.append(pos if pos >= 0 else np.inf)
            return tuple(parts)
        for crit in prio.criteria:
            value = float(crit.values[entry] if crit.per_wish else crit.values[child])
            parts.append(-value if crit.higher_is_better else value)
        parts.append(float(prio.lottery[entry] if prio.lottery_per_wish else prio.lottery[child]))
        return tuple(parts)


# --------------------------------------------------------------------------- construction


def _as_int_array(values: object, length: int, name: str, default: int) -> np.ndarray:
    if values is None:
        return np.full(length, default, dtype=np.int64)
    arr = np.asarray(values, dtype=np.int64)
    if arr.shape != (length,):
        raise InstanceError(f"{name}: expected {length} values, got shape {arr.shape}")
    return arr


def _codes(values: np.ndarray, *, negate: bool = False) -> tuple[np.ndarray, int]:
    """Map values to non-negative integer codes preserving order (reversed if ``negate``).

    Returns (codes, radix). Small integer ranges are shifted in one pass; anything else is
    ranked with ``np.unique``. A constant column gets radix 1 and is skipped when packing.
    """
    if values.size == 0:
        return np.zeros(0, dtype=np.int64), 1
    if values.dtype.kind in "iub":
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 2**40:
            if hi == lo:
                return np.zeros(0, dtype=np.int64), 1
            if negate:
                return np.subtract(hi, values, dtype=np.int64), hi - lo + 1
            return np.subtract(values, lo, dtype=np.int64), hi - lo + 1
    uniq, inverse = np.unique(-values if negate else values, return_inverse=True)
    return inverse.astype(np.int64, copy=False), int(uniq.size)


def _dense_rank_rows(columns: list[tuple[np.ndarray, bool]]) -> tuple[np.ndarray, int]:
    """Dense rank of rows compared lexicographically over ``(values, negate)`` columns."""
    coded = [_codes(v, negate=neg) for v, neg in columns]
    coded = [(c, r) for c, r in coded if r > 1]
    if not coded:
        return np.zeros(0, dtype=np.int64), 1
    if len(coded) == 1:
        return coded[0]
    n = coded[0][0].size
    order = _sort_by_columns(coded)
    differs = np.zeros(n, dtype=bool)
    for col, _ in coded:
        s = col[order]
        differs[1:] |= s[1:] != s[:-1]
    ranks_sorted = np.cumsum(differs)
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = ranks_sorted
    return ranks, int(ranks_sorted[-1]) + 1


def _sort_by_columns(columns: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Argsort of rows by integer columns (codes, radix), first column most significant.

    Columns are packed into as few int64 words as fit (mixed radix, in place) so that the
    common case is a single ``argsort`` instead of a multi-key ``lexsort``. Columns with radix 1
    are constant and skipped.
    """
    words: list[np.ndarray] = []
    word: np.ndarray | None = None
    span = 1
    for codes, radix in columns:
        if radix <= 1:
            continue
        if word is not None and span * radix < 2**62:
            word *= radix
            word += codes
            span *= radix
        else:
            if word is not None:
                words.append(word)
            word, span = codes.astype(np.int64, copy=True), radix
    if word is None:
        size = next((c.size for c, r in columns if r > 1), 0)
        return np.arange(size, dtype=np.int64)
    words.append(word)
    if len(words) == 1:
        return np.argsort(words[0])
    return np.lexsort(words[::-1])


def _rank_within_facility(
    facility: np.ndarray, m: int, columns: list[tuple[np.ndarray, int]]
) -> np.ndarray:
    """Position of every entry within its facility after sorting by ``columns``."""
    if facility.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = _sort_by_columns([(facility, max(m, 2)), *columns])
    starts = np.concatenate([[0], np.cumsum(np.bincount(facility, minlength=m))])
    rank = np.empty(facility.size, dtype=np.int64)
    sorted_start = starts[facility[order]]
    np.subtract(np.arange(facility.size, dtype=np.int64), sorted_start, out=sorted_start)
    rank[order] = sorted_start
    return rank


def _check_duplicates(inst_ptr: np.ndarray, pool: np.ndarray, child_ids: Sequence[str]) -> None:
    """Raise if a child wishes the same (facility, seat type) twice."""
    lengths = np.diff(inst_ptr)
    if pool.size == 0:
        return
    child = np.repeat(np.arange(lengths.size), lengths)
    max_len = int(lengths.max())
    if max_len <= 32:
        # Wish lists are short: compare each entry with the next d entries of the same child,
        # cheaper than sorting all entries.
        for d in range(1, max_len):
            same = (child[d:] == child[:-d]) & (pool[d:] == pool[:-d])
            if same.any():
                bad = int(child[d:][np.argmax(same)])
                raise InstanceError(f"child {child_ids[bad]!r}: duplicate wish")
        return
    key = child * (int(pool.max()) + 1) + pool
    uniq, counts = np.unique(key, return_counts=True)
    if (counts > 1).any():
        bad = int(uniq[np.argmax(counts > 1)] // (int(pool.max()) + 1))
        raise InstanceError(f"child {child_ids[bad]!r}: duplicate wish")


def build_instance(
    *,
    child_ids: Sequence[str],
    facility_ids: Sequence[str],
    capacity: np.ndarray | Sequence[Sequence[int]],
    wish_ptr: np.ndarray | Sequence[int],
    wish_facility: np.ndarray | Sequence[int],
    priority: Priority,
    seat_types: Sequence[str] = (ANY_SEAT_TYPE,),
    wish_seat_type: np.ndarray | Sequence[int] | None = None,
    weight: np.ndarray | Sequence[int] | None = None,
    group: np.ndarray | Sequence[int] | None = None,
    current: np.ndarray | Sequence[int] | None = None,
    child_type: np.ndarray | Sequence[int] | None = None,
    child_types: Sequence[str] | None = None,
) -> Instance:
    """Validate the arrays and compute the effective priority rank of every wish entry.

    Arguments are index-based (the JSON reader in :mod:`lotse.matching.io` maps ids to indices):
    ``capacity`` has shape ``(m, K)``; ``wish_ptr``/``wish_facility``/``wish_seat_type`` are
    the CSR wish lists, best first (``wish_seat_type`` defaults to 0); ``weight`` defaults to 1;
    ``group`` gives the sibling group per child (-1 = none; members of a group must have wish
    lists naming the same facilities in the same order); ``current`` is the facility where the
    child holds a place now (-1 = none) and must appear among its wishes.

    Steps:

    1. validate shapes, ranges, capacities >= 0, weights >= 1, no duplicate (facility, seat
       type) in a child's list, groups aligned;
    2. per wish entry, build the sort columns *acceptable?*, *not current?*, then the priority
       (list position, or each criterion oriented so that smaller is better, then lottery);
       consecutive per-child criteria are first collapsed into one per-child rank so that the
       big per-entry sort stays a single ``argsort`` of packed int64 keys;
    3. rank = position within the facility after sorting by those columns;
    4. for sibling groups, re-rank by (group's best member rank, own rank).
    """
    n, m = len(child_ids), len(facility_ids)
    k_types = len(seat_types)
    cap = np.asarray(capacity, dtype=np.int64).reshape(m, k_types)
    ptr = np.asarray(wish_ptr, dtype=np.int64)
    fac = np.asarray(wish_facility, dtype=np.int32)
    nnz = fac.size
    if ptr.shape != (n + 1,) or ptr[0] != 0 or ptr[-1] != nnz or np.any(np.diff(ptr) < 0):
        raise InstanceError("wish_ptr must be non-decreasing, start at 0 and end at len(wishes)")
    if len(set(child_ids)) != n:
        raise InstanceError("child ids must be unique")
    if len(set(facility_ids)) != m:
        raise InstanceError("facility ids must be unique")
    if np.any(cap < 0):
        f, t = np.argwhere(cap < 0)[0]
        raise InstanceError(
            f"facility {facility_ids[f]!r}: negative capacity for seat type {seat_types[t]!r}"
        )
    if nnz and (fac.min() < 0 or fac.max() >= m):
        raise InstanceError("wish_facility contains an unknown facility index")
    stype = (
        np.zeros(nnz, dtype=np.int32)
        if wish_seat_type is None
        else np.asarray(wish_seat_type, dtype=np.int32)
    )
    if stype.shape != (nnz,) or (nnz and (stype.min() < 0 or stype.max() >= k_types)):
        raise InstanceError("wish_seat_type must give a known seat type index per wish")
    w = _as_int_array(weight, n, "weight", 1)
    if np.any(w < 1):
        raise InstanceError(f"child {child_ids[int(np.argmax(w < 1))]!r}: weight must be >= 1")
    grp = _as_int_array(group, n, "group", -1).astype(np.int32)
    cur = _as_int_array(current, n, "current", -1).astype(np.int32)
    ctype = _as_int_array(child_type, n, "child_type", 0).astype(np.int32)
    ctypes = tuple(child_types) if child_types is not None else tuple(seat_types)

    pool = fac.astype(np.int64) * k_types + stype
    _check_duplicates(ptr, pool, child_ids)
    child = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    has_current = cur >= 0
    is_current = cur[child] == fac if has_current.any() else np.zeros(nnz, dtype=bool)
    if has_current.any():
        found = np.zeros(n, dtype=bool)
        found[child[is_current]] = True
        missing = has_current & ~found
        if missing.any():
            bad = int(np.argmax(missing))
            raise InstanceError(f"child {child_ids[bad]!r}: current place is not among its wishes")

    # Step 2: the sort columns, most significant first.
    not_current = (~is_current).astype(np.int8) if has_current.any() else np.zeros(0, np.int8)
    current_col = (not_current, 2 if not_current.size else 1)
    if isinstance(priority, ListPriority):
        position = np.asarray(priority.position, dtype=np.int64)
        if position.shape != (nnz,):
            raise InstanceError("ListPriority.position must have one value per wish entry")
        unacceptable = (position < 0) & ~is_current
        columns: list[tuple[np.ndarray, int]] = [
            (unacceptable.astype(np.int8), 2),
            current_col,
            _codes(np.where(position < 0, nnz + n, position)),
        ]
    else:
        unacceptable = np.zeros(nnz, dtype=bool)
        columns = [(unacceptable, 1), current_col]
        run: list[tuple[np.ndarray, bool]] = []  # consecutive per-child columns, collapsed

        def flush_run() -> None:
            if run:
                ranks, radix = _dense_rank_rows(run)
                columns.append((ranks[child] if radix > 1 else ranks, radix))
                run.clear()

        specs = [
            (c.name, np.asarray(c.values), c.per_wish, c.higher_is_better)
            for c in priority.criteria
        ]
        specs.append(("lottery", np.asarray(priority.lottery), priority.lottery_per_wish, False))
        for name, values, per_wish, higher in specs:
            expected = (nnz,) if per_wish else (n,)
            if values.shape != expected:
                raise InstanceError(f"criterion {name!r}: expected shape {expected}")
            if values.dtype.kind not in "iubf":
                raise InstanceError(f"criterion {name!r}: values must be numbers")
            if values.dtype.kind == "f" and np.isnan(values).any():
                raise InstanceError(f"criterion {name!r}: values must not be NaN")
            if values.dtype.kind == "b":
                values = values.astype(np.int8)
            if per_wish:
                flush_run()
                columns.append(_codes(values, negate=higher))
            else:
                run.append((values, higher))
        flush_run()

    # Groups: a group is acceptable at a wish position only if all members are. A "slot" is one
    # (group, wish position) pair; the members' entries at that position share it.
    slot = np.empty(0, dtype=np.int64)
    in_g = np.zeros(nnz, dtype=bool)
    if np.any(grp >= 0):
        _check_groups(grp, ptr, fac, child_ids)
        g_entry = grp[child]
        in_g = g_entry >= 0
        pos = np.arange(nnz, dtype=np.int64) - ptr[child]
        slot = _group_slots(grp, ptr)[g_entry[in_g]] + pos[in_g]
    if slot.size:
        bad_slot = np.zeros(int(slot.max()) + 1, dtype=bool)
        np.logical_or.at(bad_slot, slot, unacceptable[in_g])
        unacceptable[in_g] = bad_slot[slot]
        columns[0] = (unacceptable.astype(np.int8), 2)

    # Step 3.
    rank = _rank_within_facility(fac, m, columns)

    # Step 4: siblings follow their group's best member.
    if slot.size:
        best = np.full(int(slot.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, slot, rank[in_g])
        group_key = rank.copy()
        group_key[in_g] = best[slot]
        rank = _rank_within_facility(
            fac,
            m,
            [(unacceptable.astype(np.int8), 2), _codes(group_key), _codes(rank)],
        )

    rank = np.where(unacceptable, -1, rank).astype(np.int32)
    return Instance(
        child_ids=tuple(child_ids),
        facility_ids=tuple(facility_ids),
        seat_types=tuple(seat_types),
        capacity=cap,
        wish_ptr=ptr,
        wish_facility=fac,
        wish_seat_type=stype,
        wish_rank=rank,
        weight=w,
        group=grp,
        current=cur,
        child_type=ctype,
        child_types=ctypes,
        priority=priority,
    )


def _group_slots(grp: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Offset of each group's block of wish positions in a flat per-(group, position) array."""
    n_groups = int(grp.max()) + 1
    length = np.zeros(n_groups, dtype=np.int64)
    members = np.flatnonzero(grp >= 0)
    length[grp[members]] = (ptr[members + 1] - ptr[members]).astype(np.int64)
    return np.concatenate([[0], np.cumsum(length)[:-1]])


def _check_groups(
    grp: np.ndarray, ptr: np.ndarray, fac: np.ndarray, child_ids: Sequence[str]
) -> None:
    """Members of a sibling group must name the same facilities in the same order."""
    members = np.flatnonzero(grp >= 0)
    first: dict[int, int] = {}
    for c in members.tolist():
        g = int(grp[c])
        if g not in first:
            first[g] = c
            continue
        a = first[g]
        if not np.array_equal(fac[ptr[a] : ptr[a + 1]], fac[ptr[c] : ptr[c + 1]]):
            raise InstanceError(
                f"sibling group of {child_ids[a]!r} and {child_ids[c]!r}: members must wish "
                "the same facilities in the same order"
            )
    sizes = np.bincount(grp[members])
    if np.any(sizes == 1):
        g = int(np.argmax(sizes == 1))
        c = int(members[np.argmax(grp[members] == g)])
        raise InstanceError(f"sibling group of {child_ids[c]!r} has only one member")
