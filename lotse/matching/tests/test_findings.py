"""The findings of the independent check of the engine (issue 18), one test each.

Bad input must end with a clear error and exit code 2 (1 means "unstable" for ``check``);
numbers the engine cannot rank exactly are refused; a missing criterion value never outranks a
given one; the held seat is one wish entry, so wishing the current facility twice is fine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lotse.matching import (
    CriteriaPriority,
    Criterion,
    InstanceError,
    ListPriority,
    build_instance,
    check,
    instance_from_dict,
    solve,
)
from lotse.matching import cli as cli_module
from lotse.matching import io as io_module
from lotse.matching.cli import main


def _two_children(values: dict[str, Any], better: str = "higher") -> dict[str, Any]:
    """One seat, two applicants, one criterion with the given values (missing if absent)."""
    children = []
    for cid in ("a", "b"):
        child: dict[str, Any] = {"id": cid, "wishes": ["f1"]}
        if cid in values:
            child["criteria"] = {"c": values[cid]}
        children.append(child)
    return {
        "facilities": [{"id": "f1", "capacity": 1}],
        "children": children,
        "criteria": [{"name": "c", "better": better}],
    }


def _winner(data: dict[str, Any]) -> str:
    result = solve(instance_from_dict(data))
    [winner] = [cid for cid, f in result.assignment_by_id().items() if f == "f1"]
    return winner


def _run(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "i.json"
    path.write_text(text, encoding="utf-8")
    code = main(["solve", str(path), "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Infinity", "Infinity is not a valid JSON number"),
        ("-Infinity", "-Infinity is not a valid JSON number"),
        ("NaN", "NaN is not a valid JSON number"),
        ("1e400", "out of range"),
        (str(2**63 + 5), "out of range"),
        (str(2**53 + 1), "out of range"),
        ("1" * 5000, "digits"),
    ],
)
def test_unrankable_criterion_values_are_refused(
    tmp_path: Path, raw: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(_two_children({"a": 0, "b": 1}, better="lower")).replace(
        '"c": 0', f'"c": {raw}'
    )
    code, err = _run(tmp_path, text, capsys)
    assert code == 2
    assert message in err


def test_values_at_the_limit_rank_exactly() -> None:
    for better, expected in (("lower", "a"), ("higher", "b")):
        assert _winner(_two_children({"a": -(2**53), "b": 2**53}, better)) == expected
        assert _winner(_two_children({"a": 2**53 - 1, "b": 2**53}, better)) == expected


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_python_api_ranks_extreme_values(dtype: type) -> None:
    """int64 extremes rank exactly in both directions (negating -2**63 used to overflow)."""
    info = np.iinfo(np.int64) if dtype is np.int64 else np.finfo(np.float64)
    for higher in (True, False):
        values: np.ndarray = np.array([info.min, info.max, 0], dtype=dtype)
        inst = build_instance(
            child_ids=["lo", "hi", "zero"],
            facility_ids=["f"],
            capacity=[[1]],
            wish_ptr=[0, 1, 2, 3],
            wish_facility=[0, 0, 0],
            priority=CriteriaPriority(
                criteria=(Criterion("c", values, higher_is_better=higher),),
                lottery=np.array([1, 2, 3]),
            ),
        )
        assert solve(inst).assignment_by_id()["hi" if higher else "lo"] == "f"


def test_python_api_refuses_infinite_values() -> None:
    with pytest.raises(InstanceError, match="finite"):
        build_instance(
            child_ids=["a"],
            facility_ids=["f"],
            capacity=[[1]],
            wish_ptr=[0, 1],
            wish_facility=[0],
            priority=CriteriaPriority(
                criteria=(Criterion("c", np.array([np.inf])),), lottery=np.array([1])
            ),
        )


# --------------------------------------------------------------------------- missing values


@pytest.mark.parametrize("better", ["higher", "lower"])
def test_missing_facility_specific_value_never_outranks_a_given_one(better: str) -> None:
    """A distance of 1200 m (lower is better) or a score of -5 beats "not given" (was 0)."""
    given = {"f1": 1200} if better == "lower" else {"f1": -5}
    assert _winner(_two_children({"a": given}, better)) == "a"
    # Naming another facility only: missing at f1, as if not given at all.
    data = _two_children({"a": given, "b": {"f9": 0}}, better)
    data["facilities"].append({"id": "f9", "capacity": 0})
    assert _winner(data) == "a"


def test_list_form_is_one_at_named_facilities() -> None:
    assert _winner(_two_children({"a": [], "b": ["f1"]})) == "b"
    assert _winner(_two_children({"b": ["f1"]})) == "b"


# --------------------------------------------------------------------------- current places


def _two_scopes() -> tuple[Any, Any]:
    data = {
        "facilities": [{"id": "f1", "capacity": {"u3/full": 0, "u3/part": 1}}],
        "children": [
            {
                "id": "k",
                "seat_type": "u3",
                "care_scope": "part",
                "current": "f1",
                "wishes": [{"facility": "f1", "care_scope": "full"}, "f1"],
            }
        ],
        "priorities": {"f1": ["k"]},
    }
    inst = instance_from_dict(data)
    result = solve(inst)
    return inst, result


def test_check_accepts_the_held_scope_when_the_current_facility_is_wished_twice() -> None:
    inst, result = _two_scopes()
    assert result.assignment_by_id() == {"k": "f1"}
    assert inst.seat_types[int(result.assigned_seat_type[0])] == "u3/part"
    report = check(inst, result.assigned_wish)
    assert report.feasible, report.violations
    # Unassigned would lose it.
    lost = check(inst, np.array([-1]))
    assert [v["code"] for v in lost.violations] == ["lost_current_place"]


def test_more_current_places_than_capacity_is_refused() -> None:
    data = {
        "facilities": [{"id": "f1", "capacity": 1}],
        "children": [{"id": c, "wishes": [], "current": "f1"} for c in ("a", "b")],
        "priorities": {"f1": ["a", "b"]},
    }
    with pytest.raises(InstanceError, match="need 2 seats but the capacity is 1"):
        instance_from_dict(data)


def test_current_child_missing_from_an_explicit_list_is_refused() -> None:
    data = {
        "facilities": [{"id": "f1", "capacity": 1}],
        "children": [{"id": "a", "wishes": [], "current": "f1"}],
        "priorities": {"f1": []},
    }
    with pytest.raises(InstanceError, match="holds a place at 'f1' but is not on its priority"):
        instance_from_dict(data)
    with pytest.raises(InstanceError, match="not on its priority list"):
        build_instance(
            child_ids=["a"],
            facility_ids=["f1"],
            capacity=[[1]],
            wish_ptr=[0, 1],
            wish_facility=[0],
            current=[0],
            priority=ListPriority(position=np.array([-1])),
        )


# --------------------------------------------------------------------------- bad input, exit 2


def _minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "facilities": [{"id": "f1", "capacity": 1}],
        "children": [{"id": "c1", "wishes": ["f1"]}],
        "priorities": {"f1": ["c1"]},
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (json.dumps(_minimal(facilities=[{"id": "f1", "capacity": 10**30}])), "between 0 and"),
        (
            json.dumps(_minimal(facilities=[{"id": "f1", "capacity": {"u3": 10**30}}])),
            "capacity of seat type 'u3' must be an integer between 0",
        ),
        (
            json.dumps(_minimal(children=[{"id": "c1", "wishes": ["f1"], "weight": 10**30}])),
            "weight must be an integer between 1",
        ),
        (
            json.dumps(_minimal()).replace('"c1"', '"c\\ud800"'),
            "lone UTF-16 surrogate",
        ),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (
            json.dumps({**_minimal(criteria=[], lottery={"seed": 2**64})}).replace(
                '"priorities": {"f1": ["c1"]}, ', ""
            ),
            "lottery: seed must be an integer between 0 and 2**63-1",
        ),
    ],
)
def test_bad_input_exits_2_with_a_clear_error(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(tmp_path, text, capsys)
    assert code == 2, err
    assert message in err
    assert err.startswith("error: ")


def test_surrogate_pairs_are_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps(_minimal()).replace('"c1"', '"c\\ud83d\\ude00"')
    code, _ = _run(tmp_path, text, capsys)
    assert code == 0


def test_size_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(io_module, "MAX_JSON_BYTES", 100)
    code, err = _run(tmp_path, json.dumps(_minimal(padding="x" * 200)), capsys)
    assert code == 2
    assert "larger than the limit" in err
    assert io_module.MAX_JSON_BYTES == 100


def test_internal_error_exits_3_not_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_module, "solve", broken)
    path = tmp_path / "i.json"
    path.write_text(json.dumps(_minimal()), encoding="utf-8")
    assert main(["solve", str(path), "--out", str(tmp_path / "r.json")]) == 3
    assert "internal error" in capsys.readouterr().err


def test_weight_depends_on_the_pool() -> None:
    """An under-3 child counts 2 in a mixed group (1–6) and 1 in a crèche."""
    data = {
        "facilities": [
            {"id": "kita", "capacity": {"mixed": 3}},
            {"id": "krippe", "capacity": {"u3": 1}},
        ],
        "children": [
            {
                "id": "a",
                "seat_type": "u3",
                "wishes": [{"facility": "kita", "seat_type": "mixed", "weight": 2}, "krippe"],
            },
            {"id": "b", "seat_type": "o3", "wishes": [{"facility": "kita", "seat_type": "mixed"}]},
            {"id": "c", "seat_type": "o3", "wishes": [{"facility": "kita", "seat_type": "mixed"}]},
        ],
        "priorities": {"kita": ["b", "c", "a"], "krippe": ["a"]},
    }
    inst = instance_from_dict(data)
    result = solve(inst)
    assert result.assignment_by_id() == {"a": "krippe", "b": "kita", "c": "kita"}
    assert check(inst, result.assigned_wish).stable
    [reason] = result.explanations.for_child(0)
    assert (reason["reason"], reason["weight"], reason["room_left"]) == ("does_not_fit", 2, 1)
