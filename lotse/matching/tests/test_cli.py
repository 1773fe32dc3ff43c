"""Command line: the minimal format, the result format, and clear errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lotse.matching.cli import main

ROOT = Path(__file__).resolve().parents[3]

MINIMAL = {
    "facilities": [{"id": "f1", "capacity": 3}, {"id": "f2", "capacity": 1}],
    "children": [
        {"id": "c1", "wishes": ["f2", "f1"]},
        {"id": "c2", "wishes": ["f2"]},
        {"id": "c3", "wishes": ["f1"]},
    ],
    "priorities": {"f1": ["c3", "c1"], "f2": ["c2", "c1"]},
}


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_package_does_not_import_django() -> None:
    code = (
        "import sys, lotse.matching, lotse.matching.cli\n"
        "assert not any(m.startswith('django') for m in sys.modules), 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_module_entry_point_solves_and_checks(tmp_path: Path) -> None:
    """`python -m lotse.matching` end to end, in a subprocess as a user would run it."""
    instance = _write(tmp_path, "instance.json", MINIMAL)
    out = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, "-m", "lotse.matching", "solve", str(instance), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())
    assert result["assignment"] == {"c1": "f1", "c2": "f2", "c3": "f1"}
    run = subprocess.run(
        [sys.executable, "-m", "lotse.matching", "check", str(instance), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["blocking_pairs"] == 0


@pytest.mark.parametrize("mechanism", ["child_da", "facility_da", "iterative", "exact"])
def test_solve_writes_result(
    tmp_path: Path, mechanism: str, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = _write(tmp_path, "i.json", MINIMAL)
    out = tmp_path / "r.json"
    assert main(["solve", str(instance), "--out", str(out), "--mechanism", mechanism]) == 0
    result = json.loads(out.read_text())
    assert result["assignment"] == {"c1": "f1", "c2": "f2", "c3": "f1"}
    assert result["mechanism"] == mechanism
    assert result["check"]["stable"] is True
    assert result["stats"]["by_wish"] == [2, 1]
    [reason] = result["explanations"]["c1"]
    assert reason["reason"] == "outranked"
    assert reason["facility"] == "f2"
    assert reason["deciding_criterion"] == "priority_list"
    cut = {c["facility"]: c for c in result["cutoffs"]}
    assert cut["f2"]["status"] == "full" and cut["f2"]["last_admitted"] == "c2"
    assert cut["f1"]["status"] == "not_full"
    assert "blocking pairs" in capsys.readouterr().out


def test_check_reports_blocking_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = _write(tmp_path, "i.json", MINIMAL)
    # c1 would rather have f2 and outranks nobody there, but f1 has room for c3: c3 unassigned
    # while f1 has free seats is a blocking pair.
    bad = _write(tmp_path, "r.json", {"assignment": {"c1": "f1", "c2": "f2", "c3": None}})
    assert main(["check", str(instance), str(bad)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["feasible"] is True
    assert report["blocking_pairs"] == 1
    assert report["blocking_examples"][0]["children"] == ["c3"]


def test_check_reports_infeasible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = _write(tmp_path, "i.json", MINIMAL)
    bad = _write(tmp_path, "r.json", {"assignment": {"c1": "f2", "c2": "f2", "c3": "f2"}})
    assert main(["check", str(instance), str(bad)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["feasible"] is False
    codes = {v["code"] for v in report["violations"]}
    assert codes == {"not_a_wish", "over_capacity"}


def _bad(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(MINIMAL))
    for key, value in changes.items():
        data[key] = value
    return data


BAD_INPUTS = [
    ("{not json", "malformed JSON at line 1"),
    (
        _bad(children=[{"id": "c1", "wishes": ["f9"]}]),
        "child 'c1': wish 1 names unknown facility 'f9'",
    ),
    (
        _bad(children=[{"id": "c1", "wishes": ["f1", "f1"]}]),
        "child 'c1': facility 'f1' is wished twice",
    ),
    (
        _bad(facilities=[{"id": "f1", "capacity": -1}, {"id": "f2", "capacity": 1}]),
        "facility 'f1': capacity must be an integer between 0 and 1000000000, got -1",
    ),
    (
        _bad(facilities=[{"id": "f1", "capacity": {"u3": -2}}]),
        "facility 'f1': capacity of seat type 'u3' must be an integer between 0",
    ),
    (_bad(priorities={"f1": ["c7"]}), "priorities of 'f1': unknown child 'c7'"),
    (_bad(priorities={"f8": ["c1"]}), "priorities: unknown facility 'f8'"),
    (_bad(priorities={"f1": ["c1", "c1"]}), "priorities of 'f1': child 'c1' is listed twice"),
    (
        _bad(facilities=[{"id": "f1", "capacity": 1}, {"id": "f1", "capacity": 1}]),
        "facility 'f1': duplicate id",
    ),
    (
        _bad(children=[{"id": "c1", "wishes": []}, {"id": "c1", "wishes": []}]),
        "child 'c1': duplicate id",
    ),
    (
        _bad(children=[{"id": "c1", "wishes": ["f1"], "weight": 0}]),
        "child 'c1': weight must be an integer between 1",
    ),
    (_bad(children=[{"id": "c1", "wishes": "f1"}]), "child 'c1': 'wishes' must be a list"),
    (
        _bad(children=[{"id": "c1", "wishes": ["f1"], "current": "f5"}]),
        "child 'c1': current place 'f5' is an unknown facility",
    ),
    (_bad(sibling_groups=[["c1", "c9"]]), "sibling group #1: unknown child 'c9'"),
    (_bad(sibling_groups=[["c1", "c2"]]), "members must wish the same facilities"),
    (_bad(criteria=[]), "give either 'priorities'"),
    ([1, 2], "the top level must be a JSON object"),
]


@pytest.mark.parametrize(("data", "message"), BAD_INPUTS)
def test_bad_input_is_a_clear_error(
    tmp_path: Path, data: Any, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = _write(tmp_path, "i.json", data)
    assert main(["solve", str(instance), "--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.json"), str(tmp_path / "r.json")]) == 2
    assert "cannot read file" in capsys.readouterr().err


def test_result_with_unknown_ids_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = _write(tmp_path, "i.json", MINIMAL)
    bad = _write(tmp_path, "r.json", {"assignment": {"c1": "f7", "c2": None, "c3": None}})
    assert main(["check", str(instance), str(bad)]) == 2
    assert "child 'c1' is assigned to unknown facility 'f7'" in capsys.readouterr().err


def test_check_uses_the_seed_of_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ties decided by --seed at solve time must be judged with that seed by check."""
    data = {
        "facilities": [{"id": "f", "capacity": 5}],
        "children": [{"id": f"c{i}", "wishes": ["f"]} for i in range(10)],
        "criteria": [],
        "lottery": {"seed": 1},
    }
    instance = _write(tmp_path, "i.json", data)
    for seed in range(3, 8):
        out = tmp_path / f"r{seed}.json"
        assert main(["solve", str(instance), "--out", str(out), "--seed", str(seed)]) == 0
        assert json.loads(out.read_text())["lottery"]["seed"] == seed
        assert main(["check", str(instance), str(out)]) == 0
    capsys.readouterr()
