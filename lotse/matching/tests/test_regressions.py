"""Regression cases stored as JSON in ``regressions/`` (instance, mechanism, expected outcome)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lotse.matching import REASONS, check, instance_from_dict, solve

CASES = sorted((Path(__file__).parent / "regressions").glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_regression(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    inst = instance_from_dict(case["instance"])
    result = solve(inst, case["mechanism"])
    expected = case["expected"]
    assert result.assignment_by_id() == expected["assignment"]
    report = check(inst, result.assigned_wish)
    assert report.feasible, report.violations
    assert report.blocking_pairs == expected["blocking_pairs"]
    if "sibling_blocking_pairs" in expected:
        assert report.sibling_blocking_pairs == expected["sibling_blocking_pairs"]
    if "rounds" in expected:
        assert result.rounds == expected["rounds"]
    if "seat_types" in expected:
        got = {
            cid: inst.seat_types[t]
            for cid, t in zip(inst.child_ids, result.assigned_seat_type.tolist(), strict=True)
            if t >= 0
        }
        assert got == expected["seat_types"]
    index = {cid: i for i, cid in enumerate(inst.child_ids)}
    for cid, reasons in expected.get("reasons", {}).items():
        got_reasons = result.explanations.for_child(index[cid])
        assert [r["reason"] for r in got_reasons] == reasons
        assert set(reasons) <= set(REASONS)
    for cid, criteria in expected.get("deciding_criteria", {}).items():
        got_reasons = result.explanations.for_child(index[cid])
        assert [r.get("deciding_criterion") for r in got_reasons] == criteria
