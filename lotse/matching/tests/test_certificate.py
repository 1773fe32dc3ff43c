"""Fairness certificates: written by solve, confirmed by the standalone verifier, tampering
refuted (exit 1), unreadable certificates a clear error (exit 2)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lotse.matching import instance_from_dict, solve
from lotse.matching.certificate import instance_digest, make_certificate, verify_certificate
from lotse.matching.cli import main

ROOT = Path(__file__).resolve().parents[3]
REGRESSIONS = Path(__file__).parent / "regressions"

CRITERIA = {
    "facilities": [{"id": "f1", "capacity": 2}, {"id": "f2", "capacity": 1}],
    "children": [
        {"id": f"c{i}", "wishes": ["f1", "f2"], "criteria": {"urgent": i % 3 == 0}}
        for i in range(20)
    ],
    "criteria": ["urgent"],
    "lottery": {"seed": 11},
}


def _certificate(data: dict[str, Any], mechanism: str = "child_da", **kw: Any) -> dict[str, Any]:
    inst = instance_from_dict(data, **kw)
    return make_certificate(data, solve(inst, mechanism, time_limit=10))


def _write(tmp_path: Path, cert: Any) -> Path:
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(cert), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.json")), ids=lambda p: p.stem)
def test_every_regression_case_certifies(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    cert = _certificate(case["instance"], case["mechanism"])
    report = verify_certificate(json.loads(json.dumps(cert)))
    assert report.confirmed, report.problems
    assert report.facts["reproduced"] is True


def test_published_seed_is_the_one_verified() -> None:
    cert = _certificate(CRITERIA, seed=99)
    assert cert["lottery"] == {"seed": 99, "tie_breaking": "single"}
    assert verify_certificate(cert).confirmed
    other = copy.deepcopy(cert)
    other["lottery"]["seed"] = 100
    assert not verify_certificate(other).confirmed


def test_exact_mechanism_is_verified_not_rerun() -> None:
    case = json.loads((REGRESSIONS / "siblings-instability.json").read_text())
    cert = _certificate(case["instance"], "exact")
    assert cert["stability"]["status"] == "stable"
    report = verify_certificate(cert)
    assert report.confirmed, report.problems
    assert report.facts["reproduced"] is None
    assert report.facts["da_blocking_pairs"] == 1
    # Claiming DA's (unstable) assignment as the exact result is refuted.
    da = _certificate(case["instance"], "child_da")
    forged = {**cert, "assignment": da["assignment"], "seat_types": da["seat_types"]}
    assert not verify_certificate(forged).confirmed


def _tamper(cert: dict[str, Any], how: str) -> dict[str, Any]:
    cert = copy.deepcopy(cert)
    if how == "swap":
        a = cert["assignment"]
        placed = next(c for c, f in a.items() if f is not None)
        waiting = next(c for c, f in a.items() if f is None)
        a[placed], a[waiting] = None, a[placed]
    elif how == "instance":
        cert["instance"]["facilities"][0]["capacity"] = 3
    elif how == "digest":
        cert["instance_digest"] = "sha256:" + "0" * 64
    elif how == "claim":
        cert["stability"]["blocking_pairs"] = 1
    return cert


@pytest.mark.parametrize("how", ["swap", "instance", "digest", "claim"])
def test_tampering_is_refuted_with_exit_1(
    tmp_path: Path, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cert = _certificate(CRITERIA)
    assert main(["verify", str(_write(tmp_path, cert))]) == 0
    capsys.readouterr()
    assert main(["verify", str(_write(tmp_path, _tamper(cert, how)))]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["certificate"] == "refuted"
    assert report["problems"]


@pytest.mark.parametrize(
    ("cert", "message"),
    [
        ({"format": "something else"}, "'format' must be"),
        ({"format": "lotse-fairness-certificate/1"}, "'instance' is missing"),
        ([], "'format' must be"),
    ],
)
def test_unreadable_certificate_exits_2(
    tmp_path: Path, cert: Any, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(_write(tmp_path, cert))]) == 2
    assert message in capsys.readouterr().err


def test_digest_is_canonical() -> None:
    shuffled = json.loads(json.dumps(CRITERIA))
    shuffled = dict(reversed(list(shuffled.items())))
    assert instance_digest(shuffled) == instance_digest(CRITERIA)


def test_solve_writes_a_certificate_anyone_can_verify(tmp_path: Path) -> None:
    """End to end in subprocesses, as an Ombudsstelle would run it."""
    instance = tmp_path / "instance.json"
    instance.write_text(json.dumps(CRITERIA), encoding="utf-8")
    cert = tmp_path / "cert.json"
    cmd = [sys.executable, "-m", "lotse.matching"]
    run = subprocess.run(
        [
            *cmd,
            "solve",
            str(instance),
            "--out",
            str(tmp_path / "r.json"),
            "--certificate",
            str(cert),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    run = subprocess.run([*cmd, "verify", str(cert)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["certificate"] == "confirmed"
