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
from hypothesis import HealthCheck, given, settings

from lotse.matching import instance_from_dict, instance_to_dict, solve
from lotse.matching.certificate import instance_digest, make_certificate, verify_certificate
from lotse.matching.cli import main

from .strategies import build, instance_dicts

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
    lottery = cert["lottery"]
    assert (lottery["seed"], lottery["tie_breaking"]) == (99, "single")
    assert sorted(lottery["numbers"].values()) == list(range(1, 21))  # the numbers as used
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


def _same_instance(a: Any, b: Any) -> None:
    import numpy as np

    assert a.child_ids == b.child_ids and a.facility_ids == b.facility_ids
    np.testing.assert_array_equal(a.wish_rank, b.wish_rank)
    np.testing.assert_array_equal(a.wish_facility, b.wish_facility)
    np.testing.assert_array_equal(a.pool_capacity, b.pool_capacity)
    np.testing.assert_array_equal(a.current_entry, b.current_entry)
    np.testing.assert_array_equal(a.weight, b.weight)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance_dicts(max_children=8, seat_types=True, groups=True, current=True, weights=True))
def test_instance_to_dict_round_trip_lists(data: dict[str, Any]) -> None:
    inst = build(data)
    again = instance_from_dict(json.loads(json.dumps(instance_to_dict(inst))))
    _same_instance(inst, again)


def test_instance_to_dict_round_trip_arrays_and_certificate() -> None:
    """What the allocation app does: arrays → Instance → JSON → certificate → verified."""
    import numpy as np

    from lotse.matching import CriteriaPriority, Criterion, build_instance, multiple_lottery

    rng = np.random.default_rng(4)
    n, m, k = 60, 5, 3
    ptr = np.arange(0, n * k + 1, k)
    fac = np.concatenate([rng.choice(m, k, replace=False) for _ in range(n)])
    ids = [f"a{i}" for i in range(n)]
    fids = [f"{j}" for j in range(m)]
    inst = build_instance(
        child_ids=ids,
        facility_ids=fids,
        seat_types=["u3/2025-08", "ue3/2025-08"],
        capacity=rng.integers(0, 8, (m, 2)),
        wish_ptr=ptr,
        wish_facility=fac,
        wish_seat_type=np.repeat(rng.integers(0, 2, n), k),
        weight=rng.integers(1, 3, n),
        priority=CriteriaPriority(
            criteria=(
                Criterion("sibling", rng.integers(0, 2, n * k), per_wish=True),
                Criterion("age", rng.normal(0, 100, n), higher_is_better=False),
            ),
            lottery=multiple_lottery(ids, fids, ptr, fac, 7),
            lottery_per_wish=True,
            seed=7,
            tie_breaking="multiple",
        ),
    )
    data = json.loads(json.dumps(instance_to_dict(inst)))
    _same_instance(inst, instance_from_dict(data))
    cert = make_certificate(data, solve(inst))
    assert verify_certificate(json.loads(json.dumps(cert))).confirmed
