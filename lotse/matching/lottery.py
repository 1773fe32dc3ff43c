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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["multiple_lottery", "single_lottery"]


def _id_order(ids: Sequence[str]) -> np.ndarray:
    """Indices of ``ids`` in code-point order of the id strings."""
    # numpy's unicode sort is code-point order, like Python's sorted(), and much faster at 1M ids.
    arr = np.asarray(ids, dtype=str)
    return np.argsort(arr, kind="stable")


def single_lottery(child_ids: Sequence[str], seed: int) -> np.ndarray:
    """Lottery number (1 = best) per child index, one number valid at all facilities.

    Steps: order the children by id; draw ``default_rng(seed).permutation(n)``; give the
    ``i``-th child in id order the number ``perm[i] + 1``.
    """
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
) -> np.ndarray:
    """Lottery number (1 = best) per wish entry, drawn independently per facility.

    Steps: collect the distinct (facility id, child id) pairs of all wishes, sort them by facility
    id then child id, draw ``default_rng(seed).permutation(len(pairs))`` and give pair ``j`` the
    number ``perm[j] + 1``. Two wishes of one child for the same facility (different care scopes)
    share a number.
    """
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
