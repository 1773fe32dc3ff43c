"""Sibling groups: current places are never lost, together required or preferred, exact check."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotse.matching import REASONS, check, child_proposing_da, exact_mechanism, instance_from_dict

from .strategies import build, instance_dicts, naive_report

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ISSUE_18 = {
    "facilities": [{"id": "f1", "capacity": 2}],
    "children": [
        {"id": "a", "wishes": [], "current": "f1"},
        {"id": "b", "wishes": [], "current": "f1"},
        {"id": "c", "wishes": ["f1"]},
    ],
    "priorities": {"f1": ["a", "b", "c"]},
    "sibling_groups": [["b", "c"]],
}


def test_issue_instance_keeps_b() -> None:
    """The instance of issue 18 used to drop b: its group did not fit at b's own facility."""
    inst = instance_from_dict(ISSUE_18)
    result = child_proposing_da(inst)
    assert result.assignment_by_id() == {"a": "f1", "b": "f1", "c": None}
    report = check(inst, result.assigned_wish)
    assert report.feasible and report.stable
    [reason] = result.explanations.for_child(2)
    assert reason["reason"] == "outranked"
    assert reason["deciding_criterion"] == "current_place"


def _moving_family(together: str) -> dict[str, Any]:
    """b holds f1 and wishes f2 first; its sibling c wishes f2, then f1; f2 has one seat."""
    return {
        "facilities": [{"id": "f1", "capacity": 2}, {"id": "f2", "capacity": 1}],
        "children": [
            {"id": "a", "wishes": [], "current": "f1"},
            {"id": "b", "wishes": ["f2"], "current": "f1"},
            {"id": "c", "wishes": ["f2", "f1"]},
        ],
        "priorities": {"f1": ["a", "b", "c"], "f2": ["b", "c"]},
        "sibling_groups": [{"children": ["b", "c"], "together": together}],
    }


def test_required_group_apart_keeps_places_and_leaves_the_rest() -> None:
    inst = instance_from_dict(_moving_family("required"))
    result = child_proposing_da(inst)
    assert result.assignment_by_id() == {"a": "f1", "b": "f1", "c": None}
    assert check(inst, result.assigned_wish).stable
    codes = [r["reason"] for r in result.explanations.for_child(2)]
    assert codes == ["sibling_group_does_not_fit", "outranked"]


def test_preferred_group_apart_applies_alone() -> None:
    """Apart, b moves up to f2 alone and c takes the seat b frees at f1."""
    inst = instance_from_dict(_moving_family("preferred"))
    result = child_proposing_da(inst)
    assert result.assignment_by_id() == {"a": "f1", "b": "f2", "c": "f1"}
    report = check(inst, result.assigned_wish)
    assert report.feasible and report.stable


def test_wish_after_the_held_place_is_explained() -> None:
    data = _moving_family("required")
    data["children"][1]["wishes"] = ["f1", "f2"]  # b's current place f1 comes first
    data["children"][2]["wishes"] = ["f1", "f2"]
    data["facilities"][1]["capacity"] = 2
    inst = instance_from_dict(data)
    result = child_proposing_da(inst)
    assert result.assignment_by_id() == {"a": "f1", "b": "f1", "c": None}
    codes = [r["reason"] for r in result.explanations.for_child(2)]
    assert codes == ["outranked", "sibling_keeps_current_place"]
    assert "sibling_keeps_current_place" in REASONS


GROUPS = instance_dicts(
    max_children=8, max_facilities=3, max_capacity=3, groups=True, current=True, weights=True
)


@FAST
@given(GROUPS)
def test_current_places_never_lost_and_check_is_exact(data: dict[str, Any]) -> None:
    inst = build(data)
    result = child_proposing_da(inst)
    report = check(inst, result.assigned_wish)
    assert report.feasible, report.violations
    expected, codes = naive_report(inst, result.assigned_wish.tolist())
    assert codes == set()
    assert report.blocking_pairs == expected
    for c in np.flatnonzero(inst.current_entry >= 0).tolist():
        assert 0 <= result.assigned_wish[c] <= inst.current_entry[c]
    envy = result.explanations.code == REASONS.index("justified_envy")
    # Every justified-envy reason is a blocking pair, and every single child's blocking pair
    # has its reason. A group's blocking pair may have none: a "preferred" group placed apart
    # can block together at a wish no better than a member's own place, which no reason for
    # a better wish can say (DA may leave such pairs, the exact mechanism resolves them; see
    # test_two_groups_splitting_each_other_do_not_both_lose_the_pool).
    assert not envy.any() or report.blocking_pairs > 0
    assert envy.any() or report.blocking_pairs == report.sibling_blocking_pairs


#: Found by the property test above (CI, 2026-11-30): at f1 the required twins c0/c1 and the
#: preferred twins c4/c5 (c5 holds a place there) split each other. DA used to reject both
#: groups in the same step; c4/c5 then went apart (c4 alone at f0), although together at f1
#: they fit once c0/c1, who can never fit beside c5's place, had gone: a sibling blocking pair
#: that no per-wish reason can name (c4 got its first wish, c5 its current place).
SPLIT_EACH_OTHER = {
    "facilities": [
        {"id": "f0", "capacity": 3},
        {"id": "f1", "capacity": 2},
        {"id": "f2", "capacity": 0},
    ],
    "children": [
        {"id": "c0", "wishes": ["f0", "f1"]},
        {"id": "c1", "wishes": ["f0", "f1"]},
        {"id": "c2", "wishes": [], "weight": 2, "current": "f0"},
        {"id": "c4", "wishes": ["f0", "f1"]},
        {"id": "c5", "wishes": ["f0", "f1"], "current": "f1"},
    ],
    "priorities": {"f0": ["c2", "c4", "c5"], "f1": ["c1", "c0", "c4", "c5"], "f2": []},
    "sibling_groups": [["c0", "c1"], {"children": ["c4", "c5"], "together": "preferred"}],
}


def test_two_groups_splitting_each_other_do_not_both_lose_the_pool() -> None:
    """Guard: DA rejects one split group per pool at a time (the best-ranked rejected
    member's) and re-admits before judging the next (mechanisms._keep_groups_whole)."""
    inst = instance_from_dict(SPLIT_EACH_OTHER)
    da = child_proposing_da(inst)
    assert da.assignment_by_id() == {
        "c0": None,
        "c1": None,
        "c2": "f0",
        "c4": "f1",
        "c5": "f1",
    }
    assert check(inst, da.assigned_wish).blocking_pairs == 0
    # The exact mechanism agrees: stable, the twins together at f1.
    exact = exact_mechanism(inst)
    assert exact.exact is not None and exact.exact["status"] == "stable"
    assert exact.assignment_by_id() == da.assignment_by_id()


@FAST
@given(GROUPS, st.data())
def test_check_equals_the_definition_on_any_assignment(data: dict[str, Any], draw: Any) -> None:
    """Not only DA's outcomes: random assignments, feasible or not."""
    inst = build(data)
    aw = [draw.draw(st.sampled_from([-1, *inst.wishes_of(c)])) for c in range(inst.n_children)]
    report = check(inst, np.asarray(aw))
    expected, codes = naive_report(inst, aw)
    assert report.blocking_pairs == expected
    got = {v["code"] for v in report.violations}
    assert codes <= got
    assert got - codes <= {"over_capacity", "not_acceptable"}
