"""Instance construction: priority ranks from lists and criteria, the lottery, the Python API."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lotse.matching import (
    CriteriaPriority,
    Criterion,
    InstanceError,
    ListPriority,
    build_instance,
    check,
    instance_from_dict,
    multiple_lottery,
    single_lottery,
    solve,
)


def test_issue_snippet_names_its_unknown_ids() -> None:
    """The snippet in the issue mentions f2 and c3 without defining them: a clear error."""
    snippet = {
        "facilities": [{"id": "f1", "capacity": 3}],
        "children": [{"id": "c1", "wishes": ["f2", "f1"]}],
        "priorities": {"f1": ["c3", "c1"], "f2": ["c1"]},
    }
    with pytest.raises(InstanceError, match="child 'c1': wish 1 names unknown facility 'f2'"):
        instance_from_dict(snippet)


def test_single_lottery_follows_the_published_recipe() -> None:
    ids = ["b", "a", "c10", "c9"]
    numbers = single_lottery(ids, seed=2025)
    by_id = sorted(ids)
    perm = np.random.default_rng(2025).permutation(len(ids))
    assert {cid: int(numbers[ids.index(cid)]) for cid in ids} == {
        cid: int(perm[i]) + 1 for i, cid in enumerate(by_id)
    }
    assert sorted(numbers.tolist()) == [1, 2, 3, 4]
    np.testing.assert_array_equal(numbers, single_lottery(ids, seed=2025))


def test_multiple_lottery_follows_the_published_recipe() -> None:
    child_ids, facility_ids = ["c2", "c1"], ["g", "f"]
    ptr = np.array([0, 2, 3])
    fac = np.array([0, 1, 1])  # c2 wishes g, f; c1 wishes f
    numbers = multiple_lottery(child_ids, facility_ids, ptr, fac, seed=5)
    pairs = sorted([("g", "c2"), ("f", "c2"), ("f", "c1")])
    perm = np.random.default_rng(5).permutation(3)
    expected = {pair: int(perm[j]) + 1 for j, pair in enumerate(pairs)}
    assert numbers.tolist() == [expected[("g", "c2")], expected[("f", "c2")], expected[("f", "c1")]]


def _criteria_instance(tie_breaking: str, seed: int, n: int = 30) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    children = [
        {
            "id": f"c{i:02d}",
            "wishes": [f"f{j}" for j in rng.permutation(3)[: int(rng.integers(1, 4))]],
            "criteria": {
                "sibling": [f"f{int(rng.integers(0, 3))}"] if rng.random() < 0.3 else [],
                "urgency": int(rng.integers(0, 2)),
                "applied_on": f"2025-0{int(rng.integers(1, 4))}-1{int(rng.integers(0, 3))}",
            },
        }
        for i in range(n)
    ]
    return {
        "facilities": [{"id": f"f{j}", "capacity": int(rng.integers(1, 8))} for j in range(3)],
        "children": children,
        "criteria": ["sibling", "urgency", {"name": "applied_on", "better": "lower"}],
        "lottery": {"seed": seed, "tie_breaking": tie_breaking},
    }


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["single", "multiple"]), st.integers(0, 10_000))
def test_criteria_ranks_are_lexicographic_then_lottery(tie_breaking: str, seed: int) -> None:
    data = _criteria_instance(tie_breaking, seed)
    inst = instance_from_dict(data)
    for f in range(inst.n_facilities):
        entries = np.flatnonzero(inst.wish_facility == f)
        ranked = sorted(entries.tolist(), key=lambda e: inst.wish_rank[e])
        keys = [
            tuple(
                (-v if name in ("sibling", "urgency") else v)
                for name, v in inst.priority_key(e)
                if name != "current_place"
            )
            for e in ranked
        ]
        assert keys == sorted(keys), "rank order must equal the criteria tuple order"
        assert [inst.wish_rank[e] for e in ranked] == list(range(len(ranked)))
    result = solve(inst)
    assert check(inst, result.assigned_wish).stable


def test_seed_changes_only_ties() -> None:
    a = instance_from_dict(_criteria_instance("single", 1), seed=1)
    b = instance_from_dict(_criteria_instance("single", 1), seed=2)
    assert not np.array_equal(a.wish_rank, b.wish_rank)
    again = instance_from_dict(_criteria_instance("single", 1), seed=1)
    np.testing.assert_array_equal(a.wish_rank, again.wish_rank)


def test_python_api_example() -> None:
    """The example in docs/matching.md: what the allocation app does with database rows."""
    inst = build_instance(
        child_ids=["anna", "ben", "cem"],
        facility_ids=["kita-a", "kita-b"],
        seat_types=["u3", "o3"],
        capacity=[[2, 2], [1, 0]],  # rows: facilities; columns: seat types
        wish_ptr=[0, 2, 4, 5],  # anna: entries 0-1, ben: 2-3, cem: 4
        wish_facility=[0, 1, 0, 1, 0],
        wish_seat_type=[0, 0, 0, 0, 1],
        weight=[2, 1, 1],  # anna is under 3 in a mixed group: counts double
        priority=CriteriaPriority(
            criteria=(
                # per wish entry: anna has a sibling at kita-a
                Criterion("sibling", np.array([1, 0, 0, 0, 0]), per_wish=True),
                # per child: earlier application first
                Criterion(
                    "applied_on", np.array([20250110, 20250105, 20250101]), higher_is_better=False
                ),
            ),
            lottery=single_lottery(["anna", "ben", "cem"], seed=42),
            seed=42,
        ),
    )
    result = solve(inst, mechanism="child_da")
    assert result.assignment.tolist() == [0, 1, 0]  # facility index per child, -1 = none
    [reason] = result.explanations.for_child(1)
    assert reason["reason"] == "outranked"
    assert reason["deciding_criterion"] == "sibling"
    assert check(inst, result.assigned_wish).stable
    assert result.stats.by_wish == (2, 1)
    assert result.cutoffs.full.tolist() == [True, False, True, True]  # kita-b has no o3 seats


def test_list_priority_arrays() -> None:
    inst = build_instance(
        child_ids=["a", "b"],
        facility_ids=["x"],
        capacity=[[1]],
        wish_ptr=[0, 1, 2],
        wish_facility=[0, 0],
        priority=ListPriority(position=np.array([1, 0])),
    )
    assert solve(inst).assignment.tolist() == [-1, 0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity": [[-1]]}, "facility 'x': negative capacity"),
        ({"wish_facility": [0, 3]}, "unknown facility index"),
        ({"weight": [1, 0]}, "child 'b': weight must be between 1 and"),
        ({"child_ids": ["a", "a"]}, "child ids must be unique"),
        ({"wish_ptr": [0, 2, 1]}, "wish_ptr"),
    ],
)
def test_build_instance_validates(changes: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "child_ids": ["a", "b"],
        "facility_ids": ["x"],
        "capacity": [[1]],
        "wish_ptr": [0, 1, 2],
        "wish_facility": [0, 0],
        "priority": ListPriority(position=np.array([1, 0])),
    }
    args.update(changes)
    with pytest.raises(InstanceError, match=message):
        build_instance(**args)


def test_remaining_seats_rerun() -> None:
    """Re-run on remaining seats: reduce capacities by accepted places, drop placed children."""
    data = _criteria_instance("single", 3, n=40)
    first = solve(instance_from_dict(data))
    placed = {cid for cid, f in first.assignment_by_id().items() if f is not None}
    accepted = sorted(placed)[: len(placed) // 2]  # families that accepted their offer
    used: dict[str, int] = {}
    for cid in accepted:
        fid = first.assignment_by_id()[cid]
        assert fid is not None
        used[fid] = used.get(fid, 0) + 1
    second_data = {
        **data,
        "facilities": [
            {"id": f["id"], "capacity": f["capacity"] - used.get(f["id"], 0)}
            for f in data["facilities"]
        ],
        "children": [c for c in data["children"] if c["id"] not in accepted],
    }
    second = solve(instance_from_dict(second_data))
    assert check(second.instance, second.assigned_wish).stable
