"""The published, reproducible lottery that breaks ties between equally ranked children.

How a lottery number is derived (this is the text a municipality publishes next to the seed):

* **Single tie-breaking** (default): sort all children by their id (plain code-point order of
  the id string, as Python's ``sorted`` does). Draw
  ``perm = numpy.random.default_rng(seed).permutation(n)``. The child at position ``i`` of the
  sorted list gets lottery number ``perm[i] + 1``. One number per child, used at every facility;
  the smaller number wins a tie.
* **Multiple tie-breaking** (option): list every (facility id, child id) pair for which the child
  wishes the facility, sorted by facility id, then child id. Draw
  ``perm = numpy.random.default_rng(seed).permutation(len(pairs))``; pair ``j`` gets lottery
  number ``perm[j] + 1``. Only the order of the numbers *within one facility* matters, and that
  order is a uniformly random permutation of the facility's applicants, independent across
  facilities.

Anyone with the instance, the seed and NumPy (whose ``PCG64`` bit generator and permutation
algorithm are stable across versions) can recompute every number.

**Draws: the same numbers in every re-run.** A round is published once and then re-run on the
children still in play (plus late applications). Their numbers must not be drawn again over
that smaller set — a child ahead of another on the lottery could fall behind after someone else
declines. So the lottery of a re-run is given as its **draws**, in the order they were made:

* draw 0 is the published run's: all its children (single) or all its (facility id, child id)
  pairs (multiple), numbered exactly as above with ``default_rng(seed)``;
* draw ``k`` ≥ 1 is the ``k``-th batch of late applications (those that joined at one
  re-run), numbered after every earlier draw: members sorted as above,
  ``perm = numpy.random.default_rng([seed, k]).permutation(len(batch))``, member ``i`` gets
  ``offset + perm[i] + 1`` where ``offset`` is the number of members of all earlier draws.

A child keeps its number in every later run; a late application never gets a number before an
on-time one (it joined after the published draw) nor before an earlier late one. The draws
name every child (or pair) that ever took part, also those no longer in play, so that nobody's
number moves. Without draws there is one draw over the instance's own children — identical to
the published lottery above.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .instance import InstanceError

__all__ = ["drawn_numbers", "multiple_lottery", "single_lottery"]

#: The lottery's draws: per draw its members, child ids (single tie-breaking) or (facility id,
#: child id) pairs (multiple tie-breaking).
Draws = Sequence[Sequence[Any]]


def _id_order(ids: Sequence[str]) -> np.ndarray:
    """Indices of ``ids`` in code-point order of the id strings."""
    # numpy's unicode sort is code-point order, like Python's sorted(), and much faster at 1M ids.
    arr = np.asarray(ids, dtype=str)
    return np.argsort(arr, kind="stable")


def single_lottery(
    child_ids: Sequence[str], seed: int, *, draws: Draws | None = None
) -> np.ndarray:
    """Lottery number (1 = best) per child index, one number valid at all facilities.

    Steps: order the children by id; draw ``default_rng(seed).permutation(n)``; give the
    ``i``-th child in id order the number ``perm[i] + 1``. With ``draws`` (a re-run): each
    child's number from the draw that holds it (:func:`drawn_numbers`).
    """
    if draws is not None:
        return _look_up(drawn_numbers(draws, seed, pairs=False), list(child_ids), "child")
    n = len(child_ids)
    order = _id_order(child_ids)
    perm = np.random.default_rng(seed).permutation(n)
    numbers = np.empty(n, dtype=np.int64)
    numbers[order] = perm + 1
    return numbers


def multiple_lottery(
    child_ids: Sequence[str],
    facility_ids: Sequence[str],
    wish_ptr: np.ndarray,
    wish_facility: np.ndarray,
    seed: int,
    *,
    draws: Draws | None = None,
) -> np.ndarray:
    """Lottery number (1 = best) per wish entry, drawn independently per facility.

    Steps: collect the distinct (facility id, child id) pairs of all wishes, sort them by facility
    id then child id, draw ``default_rng(seed).permutation(len(pairs))`` and give pair ``j`` the
    number ``perm[j] + 1``. Two wishes of one child for the same facility (different care scopes)
    share a number. With ``draws`` (a re-run): each pair's number from the draw that holds it.
    """
    if draws is not None:
        drawn = drawn_numbers(draws, seed, pairs=True)
        child_of_entry = np.repeat(np.arange(len(child_ids)), np.diff(wish_ptr))
        keys = [
            (facility_ids[int(f)], child_ids[int(c)])
            for f, c in zip(
                np.asarray(wish_facility).tolist(), child_of_entry.tolist(), strict=True
            )
        ]
        return _look_up(drawn, keys, "wish")
    n = len(child_ids)
    child_rank = np.empty(n, dtype=np.int64)
    child_rank[_id_order(child_ids)] = np.arange(n)
    fac_rank = np.empty(len(facility_ids), dtype=np.int64)
    fac_rank[_id_order(facility_ids)] = np.arange(len(facility_ids))
    child_of_entry = np.repeat(np.arange(n), np.diff(wish_ptr))
    pair_key = fac_rank[wish_facility] * n + child_rank[child_of_entry]
    unique_keys, inverse = np.unique(pair_key, return_inverse=True)
    perm = np.random.default_rng(seed).permutation(unique_keys.size)
    return (perm + 1)[inverse].astype(np.int64)


def drawn_numbers(draws: Draws, seed: int, *, pairs: bool) -> dict[Any, int]:
    """Every member's lottery number from the draws, in the order they were made.

    Draw ``k`` numbers its members after all members of the draws before it: members sorted
    (child ids in code-point order; pairs by facility id, then child id), ``perm =
    default_rng(seed)`` (draw 0, the published one) or ``default_rng([seed, k])`` (draw ``k``)
    ``.permutation(size)``, the ``i``-th sorted member gets ``offset + perm[i] + 1``. A member
    named twice is an error.
    """
    numbers: dict[Any, int] = {}
    offset = 0
    for k, raw in enumerate(draws):
        members = [_member(m, pairs) for m in raw]
        if pairs:
            order = _pair_order([f for f, _ in members], [c for _, c in members])
        else:
            order = _id_order(members) if members else np.zeros(0, dtype=np.int64)
        rng = np.random.default_rng(seed if k == 0 else [seed, k])
        perm = rng.permutation(len(members))
        drawn = np.empty(len(members), dtype=np.int64)
        drawn[order] = offset + perm + 1
        for member, number in zip(members, drawn.tolist(), strict=True):
            if member in numbers:
                raise InstanceError(f"lottery: {member!r} is drawn twice")
            numbers[member] = number
        offset += len(members)
    return numbers


def _member(value: Any, pairs: bool) -> Any:
    if pairs:
        if (
            not isinstance(value, list | tuple)
            or len(value) != 2
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise InstanceError(
                f"lottery: a draw member must be [facility id, child id], got {value!r}"
            )
        return (value[0], value[1])
    if not isinstance(value, str) or not value:
        raise InstanceError(f"lottery: a draw member must be a child id, got {value!r}")
    return value


def _pair_order(facility_ids: Sequence[str], child_ids: Sequence[str]) -> np.ndarray:
    """Indices of the pairs sorted by facility id, then child id (code-point order)."""
    if not facility_ids:
        return np.zeros(0, dtype=np.int64)
    _, fac_rank = np.unique(np.asarray(facility_ids, dtype=str), return_inverse=True)
    _, child_rank = np.unique(np.asarray(child_ids, dtype=str), return_inverse=True)
    return np.lexsort((child_rank.reshape(-1), fac_rank.reshape(-1)))


def _look_up(numbers: dict[Any, int], keys: Sequence[Any], what: str) -> np.ndarray:
    out = np.empty(len(keys), dtype=np.int64)
    for i, key in enumerate(keys):
        number = numbers.get(key)
        if number is None:
            raise InstanceError(f"lottery: {what} {key!r} is in no draw")
        out[i] = number
    return out
