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

1. children who currently hold a seat in that pool (``current``) first: they cannot lose it
   (the engine refuses an instance whose holders do not fit into their pool);
2. for children in a sibling group, the group's best member (see below);
3. the facility's priority: position in the explicit list, or the criteria tuple;
4. the lottery number (criteria priorities only);
5. a remaining tie (one child wishing the facility in two seat types, or equal numbers given
   through the API): wish entry order, i.e. the child's better wish, then the child listed first.

A sibling group is ranked by its best-ranked member: within the children holding a seat in
the pool, and within the others (a sibling's current place never lifts the others above the
children holding seats there). A group is acceptable to a facility only if all members are.

A group wants to be placed **together** (all members at the same wish position, which names
the same facility for all). It never moves a member that holds a place now to something worse:
the group's wishes count only up to the first position holding a member's current place
(:attr:`Instance.group_last_position`). If it cannot be placed together there, it is
**apart**: ``required`` groups (the default) keep the current places of their members and leave
the others unassigned; ``preferred`` groups let every member apply alone with its whole list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

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
#: Largest capacity of one pool and largest weight of one child. Sums over a million children
#: stay far below 2**63, so the int64 arithmetic of the mechanisms cannot overflow.
MAX_UNITS = 10**9
#: Wish entries are ranked in int32.
MAX_WISH_ENTRIES = 2**31 - 1


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
    #: A re-run's lottery: the draws the numbers come from (members per draw, see
    #: :func:`lotse.matching.lottery.drawn_numbers`); None = one draw over this instance.
    draws: tuple[tuple[Any, ...], ...] | None = None


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
    weight: np.ndarray  # int64 (n,), seats a child occupies (its default)
    wish_weight: np.ndarray  # int64 (nnz,), seats the child occupies in that wish's pool
    group: np.ndarray  # int32 (n,), sibling group index or -1
    current: np.ndarray  # int32 (n,), facility where the child holds a place now, or -1
    current_entry: np.ndarray  # int64 (n,), wish entry of the seat it holds now, or -1
    child_type: np.ndarray  # int32 (n,), index into child_types (for statistics)
    child_types: tuple[str, ...]
    priority: Priority = field(repr=False)
    group_preferred: np.ndarray = field(  # bool (n_groups,): True = "preferred", else "required"
        default_factory=lambda: np.zeros(0, dtype=bool), repr=False
    )

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
        return bool(np.all(self.wish_weight == 1))

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

    @property
    def n_groups(self) -> int:
        return int(self.group.max()) + 1 if self.group.size and self.group.max() >= 0 else 0

    @cached_property
    def group_last_position(self) -> np.ndarray:
        """Per sibling group: the last wish position at which it may be placed together.

        The first position holding a member's current place (a worse one would take that place
        away), or the last position of the shared list.
        """
        gptr, members = self.group_members
        out = np.empty(self.n_groups, dtype=np.int64)
        for g in range(self.n_groups):
            ms = members[gptr[g] : gptr[g + 1]]
            last = int(self.wish_ptr[ms[0] + 1] - self.wish_ptr[ms[0]]) - 1
            held = self.current_entry[ms]
            pos = (held - self.wish_ptr[ms])[held >= 0]
            out[g] = min(last, int(pos.min())) if pos.size else last
        return out

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
        key: list[tuple[str, float]] = [("current_place", int(self.current_entry[child] == entry))]
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
        tier = self.current_entry[child] == entry  # the best member is taken within the tier
        candidates = [
            int(self.wish_ptr[c]) + pos
            for c in members[gptr[g] : gptr[g + 1]]
            if (self.current_entry[c] == int(self.wish_ptr[c]) + pos) == tier
        ]
        return min(candidates, key=lambda e: self._own_sort_key(e))

    def _own_sort_key(self, entry: int) -> tuple[float, ...]:
        child = int(self.wish_child[entry])
        parts: list[float] = [0 if self.current_entry[child] == entry else 1]
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


def _int64(values: object, name: str) -> np.ndarray:
    """``values`` as int64; out-of-range or non-integer input is an :class:`InstanceError`."""
    try:
        arr = np.asarray(values)
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
            raise ValueError
        return np.asarray(values, dtype=np.int64)
    except (OverflowError, ValueError, TypeError):
        raise InstanceError(f"{name}: expected integers between -2**63 and 2**63-1") from None


def _integers(values: object, name: str) -> np.ndarray:
    """An integer array as given (no int64 copy of 10^7 entries), anything else via _int64."""
    if isinstance(values, np.ndarray) and (
        values.dtype.kind == "i" or (values.dtype.kind == "u" and values.dtype.itemsize < 8)
    ):
        return values
    return _int64(values, name)


def _as_int_array(values: object, length: int, name: str, default: int) -> np.ndarray:
    if values is None:
        return np.full(length, default, dtype=np.int64)
    arr = _int64(values, name)
    if arr.shape != (length,):
        raise InstanceError(f"{name}: expected {length} values, got shape {arr.shape}")
    return arr


@dataclass(frozen=True, eq=False)
class _Column:
    """One sort column: ``code = sign * values + offset``, every code in ``0 .. radix-1``.

    Small integer criteria stay as given (``sign``/``offset`` orient and shift them while
    packing, without an int64 copy of 10^7 entries); ``per_child`` columns hold one value per
    child and are expanded to the child's wish entries only once, inside the packed key.
    """

    values: np.ndarray
    radix: int
    sign: int = 1
    offset: int = 0
    per_child: bool = False


def _constant(size: int) -> _Column:
    return _Column(np.zeros(size, dtype=np.int8), 1)


def _codes(values: np.ndarray, *, negate: bool = False) -> _Column:
    """Order-preserving codes of ``values`` (reversed if ``negate``) as a column.

    Small integer ranges keep the values (code ``values - lo`` or ``hi - values``); anything
    else is ranked with ``np.unique``. A constant column gets radix 1 and is skipped when
    packing.
    """
    if values.size == 0:
        return _constant(0)
    if values.dtype.kind in "ib" or (values.dtype.kind == "u" and values.dtype.itemsize < 8):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 2**40:
            if hi == lo:
                return _constant(values.size)
            if negate:
                return _Column(values, hi - lo + 1, sign=-1, offset=hi)
            return _Column(values, hi - lo + 1, offset=-lo)
    uniq, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.astype(np.int64, copy=False).reshape(-1)
    if negate:
        # Reverse the dense rank instead of negating the values: -(-2**63) overflows in int64.
        inverse = np.subtract(uniq.size - 1, inverse)
    return _Column(inverse, int(uniq.size))


def _dense_rank_rows(columns: list[tuple[np.ndarray, bool]]) -> _Column:
    """Dense rank of rows compared lexicographically over ``(values, negate)`` columns."""
    coded = [c for c in (_codes(v, negate=neg) for v, neg in columns) if c.radix > 1]
    if not coded:
        return _constant(0)
    if len(coded) == 1:
        return coded[0]
    n = coded[0].values.size
    words = _pack(coded, None)
    if len(words) == 1:
        order, values = _stable_argsort(*words[0], keep_values=True)
        differs = values[1:] != values[:-1]
    else:
        order = np.lexsort([w for w, _ in words[::-1]])
        differs = np.zeros(n - 1, dtype=bool)
        for word, _ in words:
            s = word[order]
            differs |= s[1:] != s[:-1]
    ranks_sorted = np.zeros(n, dtype=np.int64)
    np.cumsum(differs, out=ranks_sorted[1:])
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = ranks_sorted
    return _Column(ranks, int(ranks_sorted[-1]) + 1)


def _pack(columns: list[_Column], lengths: np.ndarray | None) -> list[tuple[np.ndarray, int]]:
    """Mixed-radix int64 words (word, span) of the columns, first column most significant.

    As few words as fit below 2**62. ``lengths`` (wishes per child) expands per-child columns;
    ``None`` when all columns have one value per row.
    """
    words: list[tuple[np.ndarray, int]] = []
    group: list[_Column] = []
    span = 1
    for col in columns:
        if col.radix <= 1:
            continue
        if group and span * col.radix >= 2**62:
            words.append((_pack_word(group, lengths), span))
            group, span = [], 1
        group.append(col)
        span *= col.radix
    if group:
        words.append((_pack_word(group, lengths), span))
    return words


def _pack_word(columns: list[_Column], lengths: np.ndarray | None) -> np.ndarray:
    """One packed word: the sum of ``code_i * (product of the later radices)``, as int64.

    Horner's scheme in place, per-entry and per-child columns accumulated apart and joined by
    one ``np.repeat`` of the per-child part; signs apply to the values and all offsets are added
    as one constant per child: a handful of passes over the entries instead of an int64 copy
    and two passes per column. Intermediate sums may wrap around, but int64 arithmetic is exact
    modulo 2**64 and the final sum lies in ``0 .. span-1``, so the word is exact.
    """
    parts: dict[bool, np.ndarray] = {}  # per_child -> Horner sum of sign * values
    owed = {False: 1, True: 1}  # radices of the columns after each part's last column
    constant = 0
    for col in columns:
        constant = constant * col.radix + col.offset
        side = col.per_child and lengths is not None
        owed[not side] *= col.radix
        part = parts.get(side)
        if part is None:
            part = np.multiply(col.values, col.sign, dtype=np.int64)
        else:
            part *= owed[side] * col.radix
            if col.sign > 0:
                part += col.values
            else:
                part -= col.values
        parts[side] = part
        owed[side] = 1
    constant = (constant + 2**63) % 2**64 - 2**63  # as int64, modulo 2**64 like the sums
    word = parts.get(False)
    if word is not None and owed[False] > 1:
        word *= owed[False]
    per_child = parts.get(True)
    if per_child is None:
        assert word is not None  # the word has at least one column
        if constant:
            word += constant
        return word
    assert lengths is not None  # only lengths makes a column per-child
    if owed[True] > 1:
        per_child *= owed[True]
    per_child += constant
    if word is None:
        return np.repeat(per_child, lengths)
    word += np.repeat(per_child, lengths)
    return word


def _sort_by_columns(columns: list[_Column], lengths: np.ndarray | None = None) -> np.ndarray:
    """Stable argsort of rows by the columns, first column most significant.

    Packed into as few int64 words as fit, so that the common case is one sort instead of a
    multi-key ``lexsort``. Columns with radix 1 are constant and skipped.
    """
    words = _pack(columns, lengths)
    if not words:
        return np.arange(0, dtype=np.int64)
    if len(words) == 1:
        return _stable_argsort(*words[0])[0]
    return np.lexsort([w for w, _ in words[::-1]])


def _stable_argsort(
    word: np.ndarray, span: int, *, keep_values: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Stable argsort of ``word`` (int64 values in ``0 .. span-1``), overwriting ``word``.

    Returns the order and, with ``keep_values``, the sorted values (else an empty array).

    **Tie rule**: equal keys keep their index order (for wish entries: the child's better wish
    first, then the child with the smaller index). When value and index fit into 63 bits
    together, the index goes into the low bits and one vectorised ``sort`` of the now unique
    keys replaces ``argsort`` (about half its time on 10^7 entries); otherwise a stable
    ``argsort``, which gives the same order.
    """
    shift = max(word.size - 1, 1).bit_length()
    if (span - 1).bit_length() + shift > 63:
        order = np.argsort(word, kind="stable")
        return order, word[order] if keep_values else np.empty(0, dtype=np.int64)
    np.left_shift(word, shift, out=word)
    word |= np.arange(word.size, dtype=np.int64)
    word.sort()
    values = np.right_shift(word, shift) if keep_values else np.empty(0, dtype=np.int64)
    word &= (1 << shift) - 1
    return word, values


def _rank_within_facility(
    facility: np.ndarray, m: int, columns: list[_Column], lengths: np.ndarray | None = None
) -> np.ndarray:
    """Position of every entry within its facility after sorting by ``columns`` (int32)."""
    rank = np.empty(facility.size, dtype=np.int32)
    if facility.size == 0:
        return rank
    order = _sort_by_columns([_Column(facility, max(m, 2)), *columns], lengths)
    # The facility is the leading sort column: sorted position i lies in the block of the
    # facility that starts at start[i], so its rank is i - start[i] (no gather through order).
    counts = np.bincount(facility, minlength=m)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    np.subtract(np.arange(facility.size, dtype=np.int64), start, out=start)
    rank[order] = start
    return rank


def _check_duplicates(
    inst_ptr: np.ndarray, pool: np.ndarray, child: np.ndarray, child_ids: Sequence[str]
) -> None:
    """Raise if a child wishes the same (facility, seat type) twice."""
    lengths = np.diff(inst_ptr)
    if pool.size == 0:
        return
    max_len = int(lengths.max())
    if max_len <= 32:
        # Wish lists are short: compare each entry with the entry d places later, cheaper than
        # sorting all entries. Equal pools of two different children are rare in a city, so
        # whether both entries belong to one child is asked of the equal pairs only.
        for d in range(1, max_len):
            hits = np.flatnonzero(pool[d:] == pool[:-d])
            if hits.size:
                same = child[hits + d] == child[hits]
                if same.any():
                    bad = int(child[hits[np.argmax(same)]])
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
    current_seat_type: np.ndarray | Sequence[int] | None = None,
    child_type: np.ndarray | Sequence[int] | None = None,
    child_types: Sequence[str] | None = None,
    group_preferred: np.ndarray | Sequence[bool] | None = None,
    wish_weight: np.ndarray | Sequence[int] | None = None,
) -> Instance:
    """Validate the arrays and compute the effective priority rank of every wish entry.

    Arguments are index-based (the JSON reader in :mod:`lotse.matching.io` maps ids to indices):
    ``capacity`` has shape ``(m, K)``; ``wish_ptr``/``wish_facility``/``wish_seat_type`` are
    the CSR wish lists, best first (``wish_seat_type`` defaults to 0); ``weight`` defaults to 1;
    ``group`` gives the sibling group per child (-1 = none; members of a group must have wish
    lists naming the same facilities in the same order); ``current`` is the facility where the
    child holds a place now (-1 = none) and ``current_seat_type`` the seat type of that place
    (-1 or omitted: the child's last wish at that facility); the held seat must be among the
    child's wishes. ``wish_weight`` gives the weight per wish entry where it depends on the
    pool (e.g. an under-3 child counts 2 in a mixed group, 1 in a crèche; default: the child's
    ``weight``). ``group_preferred`` has one flag per group: ``True`` = together is
    preferred (apart, each member applies alone), ``False`` (default) = together is required.

    Steps:

    1. validate shapes, ranges (capacities and weights up to :data:`MAX_UNITS`), no duplicate
       (facility, seat type) in a child's list, groups aligned, the seats held now fit their
       pools (an instance that cannot keep every current place is refused);
    2. per wish entry, build the sort columns *acceptable?*, *not the held seat?*, then the
       priority (list position, or each criterion oriented so that smaller is better, then
       lottery); consecutive per-child criteria are first collapsed into one per-child rank so
       that the big per-entry sort stays a single ``argsort`` of packed int64 keys;
    3. rank = position within the facility after sorting by those columns;
    4. for sibling groups, re-rank by (group's best member rank, own rank).
    """
    n, m, k_types = len(child_ids), len(facility_ids), len(seat_types)
    if len(set(child_ids)) != n:
        raise InstanceError("child ids must be unique")
    if len(set(facility_ids)) != m:
        raise InstanceError("facility ids must be unique")
    cap = _capacity(capacity, facility_ids, seat_types)
    ptr, fac, stype = _wish_arrays(wish_ptr, wish_facility, wish_seat_type, n, m, k_types)
    w = _as_int_array(weight, n, "weight", 1)
    if np.any((w < 1) | (w > MAX_UNITS)):
        bad = int(np.argmax((w < 1) | (w > MAX_UNITS)))
        raise InstanceError(f"child {child_ids[bad]!r}: weight must be between 1 and {MAX_UNITS}")
    if wish_weight is None:
        ww = np.ones(fac.size, dtype=np.int64) if weight is None else np.repeat(w, np.diff(ptr))
    else:
        ww = _as_int_array(wish_weight, int(ptr[-1]), "wish_weight", 1)
        if np.any((ww < 1) | (ww > MAX_UNITS)):
            raise InstanceError(f"wish_weight must be between 1 and {MAX_UNITS}")
    grp = _as_int_array(group, n, "group", -1).astype(np.int32)
    ctype = _as_int_array(child_type, n, "child_type", 0).astype(np.int32)
    ctypes = tuple(child_types) if child_types is not None else tuple(seat_types)

    pool = fac.astype(np.int64)
    if k_types > 1:
        pool *= k_types
        pool += stype
    child = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    # With one seat type the int32 facility is the pool: half the bytes to compare.
    _check_duplicates(ptr, fac if k_types == 1 else pool, child, child_ids)
    cur = _as_int_array(current, n, "current", -1)
    if np.any(cur >= m) or np.any(cur < -1):
        raise InstanceError("current contains an unknown facility index")
    held = _held_entries(cur, current_seat_type, ptr, child, fac, stype, child_ids)
    _check_holders_fit(held, pool, ww, cap.reshape(-1), facility_ids, seat_types)
    is_current = np.zeros(fac.size, dtype=bool)
    is_current[held[held >= 0]] = True

    columns, unacceptable = _priority_columns(priority, is_current, n, fac.size)
    if isinstance(priority, ListPriority):
        _check_holders_listed(priority, held, fac, child_ids, facility_ids)
    rank = _rank_with_groups(grp, ptr, fac, m, child, child_ids, columns, unacceptable, is_current)
    n_groups = int(grp.max()) + 1 if n and grp.max() >= 0 else 0
    preferred = (
        np.zeros(n_groups, dtype=bool)
        if group_preferred is None
        else np.asarray(group_preferred, dtype=bool).reshape(-1)
    )
    if preferred.size != n_groups:
        raise InstanceError(f"group_preferred: expected {n_groups} flags, got {preferred.size}")
    inst = Instance(
        group_preferred=preferred,
        child_ids=tuple(child_ids),
        facility_ids=tuple(facility_ids),
        seat_types=tuple(seat_types),
        capacity=cap,
        wish_ptr=ptr,
        wish_facility=fac,
        wish_seat_type=stype,
        wish_rank=rank,
        weight=w,
        wish_weight=ww,
        group=grp,
        current=cur.astype(np.int32),
        current_entry=held,
        child_type=ctype,
        child_types=ctypes,
        priority=priority,
    )
    # Derived arrays the build has computed anyway, so that the mechanisms need not recompute
    # them (the cached properties would give the same values).
    inst.__dict__.update(wish_pool=pool, wish_child=child)
    if weight is None and wish_weight is None:
        inst.__dict__["unit_weights"] = True
    return inst


def _capacity(
    capacity: object, facility_ids: Sequence[str], seat_types: Sequence[str]
) -> np.ndarray:
    cap = _int64(capacity, "capacity")
    if cap.size != len(facility_ids) * len(seat_types):
        raise InstanceError(
            f"capacity: expected {len(facility_ids)} x {len(seat_types)} values, got {cap.size}"
        )
    cap = cap.reshape(len(facility_ids), len(seat_types))
    bad = (cap < 0) | (cap > MAX_UNITS)
    if np.any(bad):
        f, t = np.argwhere(bad)[0]
        what = "negative capacity" if cap[f, t] < 0 else f"capacity above {MAX_UNITS}"
        raise InstanceError(f"facility {facility_ids[f]!r}: {what} for seat type {seat_types[t]!r}")
    return cap


def _wish_arrays(
    wish_ptr: object, wish_facility: object, wish_seat_type: object, n: int, m: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ptr = _int64(wish_ptr, "wish_ptr")
    fac64 = _integers(wish_facility, "wish_facility").reshape(-1)
    nnz = fac64.size
    if nnz > MAX_WISH_ENTRIES:
        raise InstanceError(f"at most {MAX_WISH_ENTRIES} wishes in all")
    if ptr.shape != (n + 1,) or ptr[0] != 0 or ptr[-1] != nnz or np.any(np.diff(ptr) < 0):
        raise InstanceError("wish_ptr must be non-decreasing, start at 0 and end at len(wishes)")
    if nnz and (fac64.min() < 0 or fac64.max() >= m):
        raise InstanceError("wish_facility contains an unknown facility index")
    if wish_seat_type is None:
        stype = np.zeros(nnz, dtype=np.int32)
    else:
        st64 = _int64(wish_seat_type, "wish_seat_type")
        if st64.shape != (nnz,) or (nnz and (st64.min() < 0 or st64.max() >= k)):
            raise InstanceError("wish_seat_type must give a known seat type index per wish")
        stype = st64.astype(np.int32)
    return ptr, fac64.astype(np.int32), stype


def _held_entries(
    cur: np.ndarray,
    current_seat_type: object,
    ptr: np.ndarray,
    child: np.ndarray,
    fac: np.ndarray,
    stype: np.ndarray,
    child_ids: Sequence[str],
) -> np.ndarray:
    """The wish entry of the seat each child holds now (-1 = none).

    It is the entry at the child's current facility with the given seat type, or, without a
    seat type, the child's last wish at that facility.
    """
    n = cur.size
    held = np.full(n, -1, dtype=np.int64)
    if not np.any(cur >= 0):
        return held
    ctype = _as_int_array(current_seat_type, n, "current_seat_type", -1)
    match = (cur[child] == fac) & ((ctype[child] < 0) | (ctype[child] == stype))
    entries = np.flatnonzero(match)
    np.maximum.at(held, child[entries], entries)
    missing = (cur >= 0) & (held < 0)
    if missing.any():
        bad = int(np.argmax(missing))
        raise InstanceError(f"child {child_ids[bad]!r}: current place is not among its wishes")
    return held


def _check_holders_fit(
    held: np.ndarray,
    pool: np.ndarray,
    w: np.ndarray,
    cap: np.ndarray,
    facility_ids: Sequence[str],
    seat_types: Sequence[str],
) -> None:
    """Refuse an instance in which the children holding seats of a pool exceed its capacity."""
    holders = np.flatnonzero(held >= 0)
    if not holders.size:
        return
    load = np.bincount(pool[held[holders]], weights=w[held[holders]], minlength=cap.size)
    over = np.flatnonzero(load > cap)
    if over.size:
        q = int(over[0])
        k = len(seat_types)
        raise InstanceError(
            f"facility {facility_ids[q // k]!r}, seat type {seat_types[q % k]!r}: the children "
            f"holding a place there need {int(load[q])} seats but the capacity is {int(cap[q])}; "
            "every current place must fit"
        )


def _check_holders_listed(
    priority: ListPriority,
    held: np.ndarray,
    fac: np.ndarray,
    child_ids: Sequence[str],
    facility_ids: Sequence[str],
) -> None:
    """An explicit priority list must name every child holding a place at its facility."""
    holders = np.flatnonzero(held >= 0)
    unlisted = holders[np.asarray(priority.position)[held[holders]] < 0]
    if unlisted.size:
        c = int(unlisted[0])
        raise InstanceError(
            f"child {child_ids[c]!r} holds a place at {facility_ids[int(fac[held[c]])]!r} but "
            "is not on its priority list"
        )


def _priority_columns(
    priority: Priority, is_current: np.ndarray, n: int, nnz: int
) -> tuple[list[_Column], np.ndarray]:
    """Sort columns per wish entry, most significant first, and unacceptability.

    Consecutive per-child criteria become one per-child column (their dense rank), expanded to
    the wish entries only inside the packed sort key.
    """
    has_current = bool(is_current.any())
    current_col = _Column((~is_current).view(np.int8), 2) if has_current else _constant(nnz)
    if isinstance(priority, ListPriority):
        position = _int64(priority.position, "ListPriority.position")
        if position.shape != (nnz,):
            raise InstanceError("ListPriority.position must have one value per wish entry")
        unacceptable = position < 0
        return [
            _Column(unacceptable.view(np.int8), 2),
            current_col,
            _codes(np.where(position < 0, nnz + n, position)),
        ], unacceptable
    unacceptable = np.zeros(nnz, dtype=bool)
    columns: list[_Column] = [_constant(nnz), current_col]
    run: list[tuple[np.ndarray, bool]] = []  # consecutive per-child columns, collapsed

    def flush_run() -> None:
        if run:
            ranks = _dense_rank_rows(run)
            columns.append(_Column(ranks.values, ranks.radix, ranks.sign, ranks.offset, True))
            run.clear()

    specs = [(c.name, c.values, c.per_wish, c.higher_is_better) for c in priority.criteria]
    specs.append(("lottery", priority.lottery, priority.lottery_per_wish, False))
    for name, raw, per_wish, higher in specs:
        values = _criterion_values(name, raw, (nnz,) if per_wish else (n,))
        if per_wish:
            flush_run()
            columns.append(_codes(values, negate=higher))
        else:
            run.append((values, higher))
    flush_run()
    return columns, unacceptable


def _criterion_values(name: str, raw: object, expected: tuple[int]) -> np.ndarray:
    """Check one criterion's values: numbers (int64 exact, or finite floats) of the right shape."""
    values = np.asarray(raw)
    if values.shape != expected:
        raise InstanceError(f"criterion {name!r}: expected shape {expected}")
    if values.dtype.kind not in "iubf":
        raise InstanceError(f"criterion {name!r}: values must be numbers")
    if values.dtype.kind == "u" and values.size and int(values.max()) >= 2**63:
        raise InstanceError(f"criterion {name!r}: values must be below 2**63")
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise InstanceError(f"criterion {name!r}: values must be finite (no NaN or infinity)")
    if values.dtype.kind == "b":
        return values.astype(np.int8)
    return values


def _rank_with_groups(
    grp: np.ndarray,
    ptr: np.ndarray,
    fac: np.ndarray,
    m: int,
    child: np.ndarray,
    child_ids: Sequence[str],
    columns: list[_Column],
    unacceptable: np.ndarray,
    is_current: np.ndarray,
) -> np.ndarray:
    """Steps 3 and 4: rank per facility; sibling groups follow their best member (-1 = refused).

    A group is acceptable at a wish position only if all members are. A "slot" is one
    (group, wish position) pair; the members' entries at that position share it. The best
    member is taken within the same tier (holding a seat in the pool or not), so that a
    sibling's current place never lifts the others above children holding seats there.
    """
    slot = np.empty(0, dtype=np.int64)
    in_g = np.zeros(fac.size, dtype=bool)
    if np.any(grp >= 0):
        _check_groups(grp, ptr, fac, child_ids)
        g_entry = grp[child]
        in_g = g_entry >= 0
        pos = np.arange(fac.size, dtype=np.int64) - ptr[child]
        slot = _group_slots(grp, ptr)[g_entry[in_g]] + pos[in_g]
    if slot.size:
        bad_slot = np.zeros(int(slot.max()) + 1, dtype=bool)
        np.logical_or.at(bad_slot, slot, unacceptable[in_g])
        unacceptable = unacceptable.copy()
        # A held seat stays acceptable: the member keeps it even when the group cannot come.
        unacceptable[in_g] = bad_slot[slot] & ~is_current[in_g]
        columns = [_Column(unacceptable.view(np.int8), 2), *columns[1:]]
    rank = _rank_within_facility(fac, m, columns, np.diff(ptr))
    if slot.size:
        slot = slot * 2 + is_current[in_g]  # the tier is part of the slot
        best = np.full(int(slot.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, slot, rank[in_g])
        group_key = rank.copy()
        group_key[in_g] = best[slot]
        rank = _rank_within_facility(
            fac,
            m,
            [_Column(unacceptable.view(np.int8), 2), _codes(group_key), _codes(rank)],
        )
    if unacceptable.any():
        rank[unacceptable] = -1
    return rank


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
