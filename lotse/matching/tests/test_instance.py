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


@pytest.mark.parametrize("length", [3, 40])  # short lists: shifted comparison; long: np.unique
def test_duplicate_wish_refused_and_neighbours_sharing_a_pool_are_not(length: int) -> None:
    """Equal pools at the same distance in the flat wish array are a duplicate only within one
    child: here every child wishes the same facilities in the same order, so each entry equals
    the one ``length`` places later (another child's), which must not count."""
    n, m = 4, length
    facilities = np.tile(np.arange(m), n)
    args: dict[str, Any] = {
        "child_ids": [f"c{i}" for i in range(n)],
        "facility_ids": [f"f{j}" for j in range(m)],
        "capacity": np.ones((m, 1), dtype=np.int64),
        "wish_ptr": np.arange(0, n * m + 1, m),
        "wish_facility": facilities,
        "priority": ListPriority(position=np.repeat(np.arange(n), m)),
    }
    placed = [i if i < m else -1 for i in range(n)]
    assert solve(build_instance(**args)).assignment.tolist() == placed
    facilities = facilities.copy()
    facilities[2 * m + m - 1] = facilities[2 * m]  # c2 wishes f0 first and last
    with pytest.raises(InstanceError, match="child 'c2': duplicate wish"):
        build_instance(**{**args, "wish_facility": facilities})


def test_tied_entries_of_one_child_rank_in_wish_order() -> None:
    """Tie rule: one child wishing one facility in two seat types has the same criteria there;
    its better wish gets the better rank (the stable order of the entries), on every run."""
    inst = build_instance(
        child_ids=["a", "b"],
        facility_ids=["x"],
        seat_types=["full", "part"],
        capacity=[[1, 1]],
        wish_ptr=[0, 2, 4],
        wish_facility=[0, 0, 0, 0],
        wish_seat_type=[1, 0, 0, 1],  # a: part first; b: full first
        priority=CriteriaPriority(criteria=(), lottery=np.array([1, 2])),
    )
    assert inst.wish_rank.tolist() == [0, 1, 2, 3]
    assert solve(inst).assigned_seat_type.tolist() == [1, 0]


def test_packed_sort_equals_stable_argsort() -> None:
    """The packed-key sort (index in the low bits) and the stable argsort it stands in for give
    the same order, ties included; a key too wide for packing takes the stable argsort."""
    from lotse.matching.instance import _stable_argsort

    rng = np.random.default_rng(5)
    for span in (3, 1000, 2**40, 2**62):
        word = rng.integers(0, min(span, 2**62), 10_000, dtype=np.int64)
        word[::7] = word[0]  # many ties
        expected = np.argsort(word, kind="stable")
        np.testing.assert_array_equal(_stable_argsort(word.copy(), span)[0], expected)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_packed_ranks_equal_python_sort_for_extreme_values(seed: int) -> None:
    """Criteria near -2**63 and 2**63 with small ranges, bools, floats, unsigned and per-wish
    columns between per-child ones: the packed key (sums may wrap around in int64) ranks every
    facility exactly as Python's sort of the criteria tuples, ties in entry order."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 30)), int(rng.integers(1, 4))
    lengths = rng.integers(0, m + 1, n)
    ptr = np.concatenate([[0], np.cumsum(lengths)])
    facility = np.concatenate([rng.permutation(m)[:k] for k in lengths]).astype(np.int64)
    nnz = int(ptr[-1])
    makers = [
        lambda k: rng.integers(-(2**63), -(2**63) + 3, k, dtype=np.int64),
        lambda k: rng.integers(2**63 - 4, 2**63 - 1, k, dtype=np.int64, endpoint=True),
        lambda k: rng.integers(0, 2, k).astype(bool),
        lambda k: rng.integers(0, 4, k) / 2,
        lambda k: rng.integers(0, 3, k).astype(np.uint32),
        lambda k: rng.integers(-(2**62), 2**62, k),
    ]
    criteria = []
    for j in range(int(rng.integers(1, 6))):
        per_wish = bool(rng.random() < 0.5)
        values = makers[int(rng.integers(0, len(makers)))](nnz if per_wish else n)
        criteria.append(Criterion(f"k{j}", values, per_wish, bool(rng.random() < 0.5)))
    lottery = rng.integers(1, 4, n)  # ties between children too
    inst = build_instance(
        child_ids=[f"c{i}" for i in range(n)],
        facility_ids=[f"f{j}" for j in range(m)],
        capacity=np.ones((m, 1), dtype=np.int64),
        wish_ptr=ptr,
        wish_facility=facility,
        priority=CriteriaPriority(criteria=tuple(criteria), lottery=lottery),
    )
    child = np.repeat(np.arange(n), lengths)

    def key(e: int) -> tuple[Any, ...]:
        parts: list[Any] = []
        for c in criteria:
            v = c.values[e] if c.per_wish else c.values[child[e]]
            v = int(v) if v.dtype.kind != "f" else float(v)
            parts.append(-v if c.higher_is_better else v)
        return (*parts, int(lottery[child[e]]), e)

    for f in range(m):
        entries = np.flatnonzero(facility == f).tolist()
        expected = sorted(entries, key=key)
        assert [inst.wish_rank[e] for e in expected] == list(range(len(entries)))
