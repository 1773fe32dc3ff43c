"""``Explanations.for_children`` (one pass for a whole city) equals ``for_child`` child by child:
the same reasons, the same keys, the same Python types."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from lotse.matching import (
    CriteriaPriority,
    Criterion,
    build_instance,
    child_proposing_da,
    multiple_lottery,
    single_lottery,
    solve,
)

from .strategies import build, instance_dicts

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _typed(reasons: list[list[dict[str, Any]]]) -> str:
    """Reasons with the type of every value, so that 1 and 1.0 and True differ."""
    return json.dumps(
        [[{k: [type(v).__name__, v] for k, v in r.items()} for r in rs] for rs in reasons]
    )


def _same(result: Any, children: np.ndarray | None = None) -> None:
    ex = result.explanations
    picked = range(result.instance.n_children) if children is None else children.tolist()
    expected = [ex.for_child(c) for c in picked]
    assert _typed(ex.for_children(children)) == _typed(expected)


@FAST
@given(
    instance_dicts(max_children=10, max_facilities=4, max_capacity=3, seat_types=True, current=True)
)
def test_lists_seat_types_current(data: dict[str, Any]) -> None:
    _same(child_proposing_da(build(data)))


@FAST
@given(instance_dicts(max_children=8, max_facilities=3, max_capacity=4, weights=True, groups=True))
def test_weights_and_sibling_groups(data: dict[str, Any]) -> None:
    _same(solve(build(data), "child_da"))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("tie_breaking", ["single", "multiple"])
def test_criteria_and_lottery(seed: int, tie_breaking: str) -> None:
    """Criteria per child and per wish (integers, floats, flags), ties broken by lottery."""
    rng = np.random.default_rng(seed)
    n, m, k = 300, 12, 3
    lengths = rng.integers(1, 5, n)
    ptr = np.concatenate([[0], np.cumsum(lengths)])
    wish_facility = np.concatenate([rng.choice(m, int(x), replace=False) for x in lengths])
    child_ids = [str(i) for i in range(n)]
    facility_ids = [str(f) for f in range(m)]
    criteria = (
        Criterion("sibling", rng.integers(0, 2, int(ptr[-1])), per_wish=True),
        Criterion("urgent", rng.integers(0, 2, n).astype(bool)),
        Criterion("score", rng.integers(0, 3, n).astype(float) / 2),
        Criterion("age", rng.integers(0, 4, n), higher_is_better=False),
    )
    if tie_breaking == "multiple":
        lottery = multiple_lottery(child_ids, facility_ids, ptr, wish_facility, seed)
        priority = CriteriaPriority(criteria, lottery, lottery_per_wish=True, seed=seed)
    else:
        priority = CriteriaPriority(criteria, single_lottery(child_ids, seed), seed=seed)
    inst = build_instance(
        child_ids=child_ids,
        facility_ids=facility_ids,
        capacity=rng.integers(0, 15, (m, k)),
        wish_ptr=ptr,
        wish_facility=wish_facility,
        wish_seat_type=rng.integers(0, k, int(ptr[-1])),
        seat_types=["a", "b", "c"],
        priority=priority,
    )
    result = child_proposing_da(inst)
    _same(result)
    _same(result, np.array([5, 3, 3, n - 1], dtype=np.int64))
    _same(result, np.array([], dtype=np.int64))
