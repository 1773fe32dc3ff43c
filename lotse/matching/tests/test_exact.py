"""The exact mechanism (CP-SAT) against brute force: fewest blocking pairs, then most placed."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotse.matching import check, child_proposing_da, instance_from_dict, solve
from lotse.matching.exact import model_blocking_pairs

from .strategies import build, instance_dicts, naive_report

SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _feasible(inst: Any, aw: tuple[int, ...]) -> bool:
    load: dict[int, int] = {}
    for e in aw:
        if e >= 0:
            if inst.wish_rank[e] < 0:
                return False
            q = int(inst.wish_pool[e])
            load[q] = load.get(q, 0) + int(inst.wish_weight[e])
    return all(v <= inst.pool_capacity[q] for q, v in load.items())


def _brute_force_best(inst: Any) -> tuple[int, int]:
    """(fewest blocking pairs, most placed children among those) over every assignment."""
    best: tuple[int, int] | None = None
    options = [[-1, *inst.wishes_of(c)] for c in range(inst.n_children)]
    for aw in itertools.product(*options):
        if not _feasible(inst, aw):
            continue
        blocking, codes = naive_report(inst, list(aw))
        if codes:
            continue
        key = (blocking, -sum(e >= 0 for e in aw))
        best = key if best is None or key < best else best
    assert best is not None
    return best[0], -best[1]


@SLOW
@given(
    instance_dicts(
        max_children=6, max_facilities=3, max_capacity=2, groups=True, current=True, weights=True
    )
)
def test_exact_is_optimal_on_small_instances(data: dict[str, Any]) -> None:
    inst = build(data)
    result = solve(inst, "exact", time_limit=20)
    report = check(inst, result.assigned_wish)
    assert report.feasible, report.violations
    fewest, placed = _brute_force_best(inst)
    assert result.exact is not None
    assert report.blocking_pairs == fewest == result.exact["blocking_pairs"]
    # The model counts blocking pairs exactly as check does (not only: DA happened to be best).
    assert result.exact["model_blocking_pairs"] == fewest
    assert int(np.sum(result.assigned_wish >= 0)) == placed
    assert result.exact["status"] == ("stable" if fewest == 0 else "minimal")
    assert fewest <= check(inst, child_proposing_da(inst).assigned_wish).blocking_pairs


@SLOW
@given(instance_dicts(max_children=10, max_facilities=4, max_capacity=3, seat_types=True))
def test_exact_without_siblings_and_weights_is_stable_like_da(data: dict[str, Any]) -> None:
    """A stable matching exists; every one places the same children (rural hospitals)."""
    inst = build(data)
    result = solve(inst, "exact", time_limit=20)
    assert result.exact is not None and result.exact["status"] == "stable"
    da = child_proposing_da(inst)
    assert check(inst, result.assigned_wish).stable
    assert set(np.flatnonzero(result.assigned_wish >= 0)) == set(
        np.flatnonzero(da.assigned_wish >= 0)
    )


def test_exact_removes_the_instability_da_leaves() -> None:
    """regressions/siblings-instability.json: DA leaves a blocking pair, a stable one exists."""
    import json
    from pathlib import Path

    case = json.loads(
        (Path(__file__).parent / "regressions" / "siblings-instability.json").read_text()
    )
    inst = instance_from_dict(case["instance"])
    assert check(inst, child_proposing_da(inst).assigned_wish).blocking_pairs == 1
    result = solve(inst, "exact", time_limit=10)
    assert result.exact is not None
    assert result.exact["status"] == "stable"
    assert result.exact["da_blocking_pairs"] == 1
    assert check(inst, result.assigned_wish).stable


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instance_dicts(
        max_children=7, max_facilities=3, max_capacity=2, groups=True, current=True, weights=True
    ),
    st.data(),
)
def test_model_counts_what_check_counts_on_any_assignment(data: dict[str, Any], draw: Any) -> None:
    """The constraint model's blocking pairs = check's, for random (feasible) assignments."""
    inst = build(data)
    aw = [draw.draw(st.sampled_from([-1, *inst.wishes_of(c)])) for c in range(inst.n_children)]
    report = check(inst, np.asarray(aw))
    counted = model_blocking_pairs(inst, np.asarray(aw))
    if report.feasible:
        assert counted == report.blocking_pairs
    else:
        assert counted is None


def test_together_preferred_group_does_not_block_alone() -> None:
    """Together at f2, a member alone would fit f1's free seat: no blocking pair (the group
    chose to be together, and it does not fit at f1)."""
    data = {
        "facilities": [{"id": "f1", "capacity": 1}, {"id": "f2", "capacity": 2}],
        "children": [{"id": c, "wishes": ["f1", "f2"]} for c in ("a", "b")],
        "priorities": {"f1": ["a", "b"], "f2": ["a", "b"]},
        "sibling_groups": [{"children": ["a", "b"], "together": "preferred"}],
    }
    inst = instance_from_dict(data)
    da = child_proposing_da(inst)
    assert da.assignment_by_id() == {"a": "f2", "b": "f2"}
    assert check(inst, da.assigned_wish).blocking_pairs == 0
    assert model_blocking_pairs(inst, da.assigned_wish) == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instance_dicts(
        max_children=10, max_facilities=4, max_capacity=3, groups=True, current=True, weights=True
    )
)
def test_repair_is_feasible_and_never_worse_than_da(data: dict[str, Any]) -> None:
    from lotse.matching.exact import repair

    inst = build(data)
    da = child_proposing_da(inst)
    before = check(inst, da.assigned_wish)
    aw, report = repair(inst, da.assigned_wish, before)
    assert report.feasible, report.violations  # no current place lost, groups whole
    assert report.blocking_pairs <= before.blocking_pairs
    assert check(inst, aw).blocking_pairs == report.blocking_pairs
