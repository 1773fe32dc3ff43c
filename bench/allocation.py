"""Benchmark of the allocation engine on city-like instances (not a timed test).

    .venv/bin/python bench/allocation.py                      # 20k (+ matching 1.4.3), 60k, 1M
    .venv/bin/python bench/allocation.py --sizes 20000 --no-baseline
    .venv/bin/python bench/allocation.py --no-baseline --before main   # engine of main, same run

Instances: facilities on a jittered grid (one facility per grid cell), every child lives near a
random facility and wishes its ``wishes`` nearest facilities (distance plus a little noise),
seats are about 85% of the children, priorities are criteria tuples (sibling at the facility,
social urgency, catchment area, staff child, age, date of application) with a single lottery.

One line per size: applicants, facilities, wishes, seconds (build + solve, also split), peak MB
(traced NumPy/Python memory of build + solve including the input arrays) and the process' max
RSS. Every size runs in its own subprocess so that the memory figures do not mix. At 20,000
applicants it also runs ``matching`` 1.4.3 ``HospitalResident`` (build + solve) on the same
instance, checks that both assignments agree and prints the ratio.

**The C yardstick** (every size): ``bench/c_da.c``, a plain C child-proposing DA, is compiled
with ``gcc -O2`` and run on the same raw arrays; it packs each wish's criteria into one 64-bit
key and runs the textbook queue-based DA with a max-heap per facility. Its own CPU clock
covers key building + DA (not file reading). The line shows its CPU seconds, ``ratio`` =
engine CPU seconds (build + solve) / C CPU seconds (CPU time, because the shared machine's
load inflates wall-clock time unevenly), and whether both assignments agree. The published
lottery is drawn before the clock starts for both (an input of the allocation, drawn once).

**Repetitions**: the CPU figures are the best of ``--repeat`` runs (default 5) of build + solve
(the split shown is that run's), the C figure the best of as many runs of the binary; the clock
runs without tracemalloc, whose allocation hooks would add to the NumPy call overhead. The
memory figure comes from one more, traced run.

**Same-run baseline** (``--before REV``): the engine of git revision ``REV`` (its
``lotse/matching`` only, imported under another name) runs on the same instance in the same
process, its repetitions alternating with the current engine's so that both see the same machine
load; the line shows its CPU seconds, its ratio to C and whether its assignment is the same.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lotse.matching as engine  # noqa: E402
from lotse.matching import Instance, single_lottery  # noqa: E402

SEATS_PER_CHILD = 0.85
# Facilities per size as in the targets (a Berlin year: 60k x 3k; Germany: 1M x 60k); others n/20.
FACILITIES = {60_000: 3_000, 1_000_000: 60_000}


def generate(n: int, m: int, wishes: int, seed: int = 0) -> dict[str, Any]:
    """A city-like instance as plain arrays (ids, CSR wishes, criteria values, capacities)."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(m))
    gx, gy = np.arange(m) % side, np.arange(m) // side
    fx = gx + rng.uniform(-0.3, 0.3, m)
    fy = gy + rng.uniform(-0.3, 0.3, m)
    radius = 3  # a disk of 29 grid cells, so that even corner children have >= 10 candidates
    offsets = np.array(
        [
            (dx, dy)
            for dx in range(-radius, radius + 1)
            for dy in range(-radius, radius + 1)
            if dx * dx + dy * dy <= radius * radius
        ]
    )
    home = rng.integers(0, m, n)
    cx = fx[home] + rng.normal(0, 0.6, n)
    cy = fy[home] + rng.normal(0, 0.6, n)
    wish_facility = np.empty((n, wishes), dtype=np.int32)
    wish_distance = np.empty((n, wishes), dtype=np.float32)
    chunk = 100_000
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        ox = gx[home[lo:hi], None] + offsets[None, :, 0]
        oy = gy[home[lo:hi], None] + offsets[None, :, 1]
        cand = oy * side + ox
        valid = (ox >= 0) & (ox < side) & (oy >= 0) & (cand < m)
        cand = np.where(valid, cand, 0)
        dist = np.hypot(fx[cand] - cx[lo:hi, None], fy[cand] - cy[lo:hi, None])
        noisy = np.where(valid, dist + rng.exponential(0.4, dist.shape), np.inf)
        pick = np.argpartition(noisy, wishes - 1, axis=1)[:, :wishes]
        order = np.argsort(np.take_along_axis(noisy, pick, 1), axis=1)
        pick = np.take_along_axis(pick, order, 1)
        wish_facility[lo:hi] = np.take_along_axis(cand, pick, 1)
        wish_distance[lo:hi] = np.take_along_axis(dist, pick, 1)
    share = rng.lognormal(0, 0.35, m)
    capacity = rng.multinomial(int(SEATS_PER_CHILD * n), share / share.sum())
    # Criteria: a sibling at one of the wished facilities, urgency set by the Jugendamt, catchment
    # (within 1.2 grid units), staff child, age in days (older first), application day.
    sibling_at = np.where(
        rng.random(n) < 0.08, wish_facility[np.arange(n), rng.integers(0, 3, n)], -1
    )
    return {
        "child_ids": [f"c{i:07d}" for i in range(n)],
        "facility_ids": [f"f{j:05d}" for j in range(m)],
        "capacity": capacity.reshape(m, 1),
        "wish_ptr": np.arange(0, n * wishes + 1, wishes, dtype=np.int64),
        "wish_facility": wish_facility.reshape(-1),
        "sibling": (wish_facility == sibling_at[:, None]).reshape(-1).astype(np.int8),
        "catchment": (wish_distance < 1.2).reshape(-1).astype(np.int8),
        "urgency": (rng.random(n) < 0.03).astype(np.int8),
        "staff": (rng.random(n) < 0.01).astype(np.int8),
        "age_days": rng.integers(365, 3 * 365, n),
        "applied_on": rng.integers(0, 365, n),
        "lottery": single_lottery([f"c{i:07d}" for i in range(n)], LOTTERY_SEED),
    }


LOTTERY_SEED = 2025


def build(data: dict[str, Any], seed: int = LOTTERY_SEED, module: Any = engine) -> Instance:
    """The engine's Instance from the generated arrays (the lottery drawn beforehand).

    ``module`` is the engine package (``lotse.matching``, or another revision's copy).
    """
    lottery = data["lottery"]
    criterion = module.Criterion
    priority = module.CriteriaPriority(
        criteria=(
            criterion("sibling", data["sibling"], per_wish=True),
            criterion("social_urgency", data["urgency"]),
            criterion("catchment", data["catchment"], per_wish=True),
            criterion("staff_child", data["staff"]),
            criterion("age_days", data["age_days"]),
            criterion("applied_on", data["applied_on"], higher_is_better=False),
        ),
        lottery=lottery,
        seed=seed,
    )
    return module.build_instance(
        child_ids=data["child_ids"],
        facility_ids=data["facility_ids"],
        capacity=data["capacity"],
        wish_ptr=data["wish_ptr"],
        wish_facility=data["wish_facility"],
        priority=priority,
    )


def run_matching_library(inst: Instance) -> tuple[float, float, dict[str, str | None]]:
    """Build + solve with matching 1.4.3 on the same instance: wall and CPU seconds, assignment."""
    from matching.games import HospitalResident

    t0 = time.perf_counter()
    c0 = time.process_time()
    fids, cids = inst.facility_ids, inst.child_ids
    resident_prefs = {
        cids[c]: [fids[f] for f in inst.wish_facility[inst.wishes_of(c)].tolist()]
        for c in range(inst.n_children)
    }
    order = np.lexsort((inst.wish_rank, inst.wish_facility))
    hospital_prefs: dict[str, list[str]] = {f: [] for f in fids}
    for f, c in zip(
        inst.wish_facility[order].tolist(), inst.wish_child[order].tolist(), strict=True
    ):
        hospital_prefs[fids[f]].append(cids[c])
    capacities = {fids[f]: int(inst.capacity[f, 0]) for f in range(inst.n_facilities)}
    solution: dict[Any, Any] = {}

    def build_and_solve() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = HospitalResident.create_from_dictionaries(
                resident_prefs, hospital_prefs, capacities
            )
            solution.update(game.solve(optimal="resident"))

    # matching deep-copies its linked player objects recursively: give it a deep stack.
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 30)
    worker = threading.Thread(target=build_and_solve)
    worker.start()
    worker.join()
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    out: dict[str, str | None] = dict.fromkeys(cids)
    for hospital, residents in solution.items():
        for r in residents:
            out[r.name] = hospital.name
    return seconds, cpu, out


C_SOURCE = Path(__file__).resolve().parent / "c_da.c"


def run_c(data: dict[str, Any], repeat: int = 1) -> tuple[float, np.ndarray] | None:
    """Compile and run the C yardstick on the same arrays: its best CPU seconds and assignment."""
    if shutil.which("gcc") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "c_da"
        subprocess.run(["gcc", "-O2", "-o", str(binary), str(C_SOURCE)], check=True)
        arrays = {
            "wish_ptr": np.asarray(data["wish_ptr"], dtype=np.int64),
            "wish_facility": np.asarray(data["wish_facility"], dtype=np.int32),
            "capacity": np.asarray(data["capacity"], dtype=np.int64).reshape(-1),
            "sibling": data["sibling"].astype(np.int8),
            "catchment": data["catchment"].astype(np.int8),
            "urgency": data["urgency"].astype(np.int8),
            "staff": data["staff"].astype(np.int8),
            "age_days": data["age_days"].astype(np.int64),
            "applied_on": data["applied_on"].astype(np.int64),
            "lottery": data["lottery"].astype(np.int64),
        }
        for name, arr in arrays.items():
            arr.tofile(Path(tmp) / f"{name}.bin")
        best = math.inf
        for _ in range(repeat):
            out = subprocess.run([str(binary), tmp], check=True, capture_output=True, text=True)
            best = min(best, float(out.stdout.strip()))
        assigned = np.fromfile(Path(tmp) / "assigned.bin", dtype=np.int32)
        return best, assigned


def load_revision(rev: str, into: Path) -> Any:
    """The engine package of git revision ``rev``, extracted into ``into`` as ``lotse_rev``."""
    import importlib

    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", rev, "lotse/matching"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "lotse" / "matching").rename(into / "lotse_rev")
    sys.path.insert(0, str(into))
    # Its modules import each other relatively only, so the copy is independent of lotse.matching.
    return importlib.import_module("lotse_rev")


def timed(data: dict[str, Any], module: Any) -> tuple[float, float, float, float, Any]:
    """One build + solve: CPU seconds (total, build, solve), wall seconds, the result."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    inst = build(data, module=module)
    c1 = time.process_time()
    result = module.solve(inst, "child_da")
    c2 = time.process_time()
    return c2 - c0, c1 - c0, c2 - c1, time.perf_counter() - t0, result


def measure(
    n: int, wishes: int, baseline: bool, repeat: int = 5, before: str | None = None
) -> dict[str, Any]:
    """Generate, then time and trace build + solve for one size (run in a subprocess)."""
    m = FACILITIES.get(n, max(1, n // 20))
    data = generate(n, m, wishes)
    input_bytes = sum(v.nbytes for v in data.values() if isinstance(v, np.ndarray))
    with tempfile.TemporaryDirectory() as tmp:
        old = load_revision(before, Path(tmp)) if before else None
        best: tuple[float, ...] = (math.inf,)
        best_old: tuple[float, ...] = (math.inf,)
        old_assignment = None
        result: Any = None
        for _ in range(max(1, repeat)):
            if old is not None:
                *times, res = timed(data, old)
                best_old = min(best_old, tuple(times))
                old_assignment = res.assignment
                del res
            result = None  # free the previous run's arrays before the next one
            *times, result = timed(data, engine)
            best = min(best, tuple(times))
    cpu, build_cpu, solve_cpu, seconds = best
    inst = result.instance
    tracemalloc.start()
    engine.solve(build(data), "child_da")  # the traced run, for the memory figure only
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stats = result.stats
    row: dict[str, Any] = {
        "applicants": n,
        "facilities": m,
        "wishes": wishes,
        "repeat": repeat,
        "build_s": build_cpu,
        "solve_s": solve_cpu,
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mb": (peak + input_bytes) / 2**20,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rounds": result.rounds,
        "first_wish": stats.by_wish[0] / n,
        "unassigned": stats.unassigned / n,
    }
    c_run = run_c(data, repeat)
    if c_run is not None:
        row["c_s"] = c_run[0]
        row["c_ratio"] = row["cpu_s"] / c_run[0]
        row["c_same"] = bool(np.array_equal(c_run[1], result.assignment))
    if old_assignment is not None:
        row["before"] = before
        row["before_cpu_s"] = best_old[0]
        row["before_build_s"] = best_old[1]
        row["before_solve_s"] = best_old[2]
        row["before_same"] = bool(np.array_equal(old_assignment, result.assignment))
        if c_run is not None:
            row["before_c_ratio"] = best_old[0] / c_run[0]
    if baseline:
        seconds, cpu, theirs = run_matching_library(inst)
        row["matching_s"] = seconds
        row["matching_cpu_s"] = cpu
        row["ratio"] = seconds / row["seconds"]
        row["cpu_ratio"] = cpu / row["cpu_s"]
        row["same_assignment"] = theirs == result.assignment_by_id()
    return row


def format_row(row: dict[str, Any]) -> str:
    line = (
        f"applicants={row['applicants']:>9,} facilities={row['facilities']:>6,} "
        f"wishes={row['wishes']} seconds={row['seconds']:.3f} cpu={row['cpu_s']:.3f} "
        f"(build {row['build_s']:.3f} + solve {row['solve_s']:.3f}; best of {row['repeat']}) "
        f"peak_mb={row['peak_mb']:.0f} rss_mb={row['rss_mb']:.0f} rounds={row['rounds']} "
        f"first_wish={row['first_wish']:.1%} unassigned={row['unassigned']:.1%}"
    )
    if "c_s" in row:
        line += (
            f"\n  plain C DA (keys + DA): {row['c_s']:.3f} s cpu, engine/C cpu ratio "
            f"{row['c_ratio']:.1f}x, same assignment: {row['c_same']}"
        )
    if "before" in row:
        line += (
            f"\n  before ({row['before']}): cpu={row['before_cpu_s']:.3f} "
            f"(build {row['before_build_s']:.3f} + solve {row['before_solve_s']:.3f})"
        )
        if "before_c_ratio" in row:
            line += f", engine/C cpu ratio {row['before_c_ratio']:.1f}x"
        line += f", same assignment: {row['before_same']}"
    if "matching_s" in row:
        line += (
            f"\n  matching 1.4.3 (build + solve): {row['matching_s']:.1f} s "
            f"(cpu {row['matching_cpu_s']:.1f} s), ratio {row['ratio']:.0f}x "
            f"(cpu {row['cpu_ratio']:.0f}x), same assignment: {row['same_assignment']}"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,60000,1000000", help="applicant counts")
    parser.add_argument("--wishes", type=int, default=10)
    parser.add_argument("--no-baseline", action="store_true", help="skip matching 1.4.3")
    parser.add_argument("--repeat", type=int, default=5, help="CPU figures: best of this many")
    parser.add_argument("--before", metavar="REV", help="also time the engine of git REV")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON
    args = parser.parse_args()
    if args.one:
        row = measure(
            args.one,
            args.wishes,
            baseline=not args.no_baseline and args.one == 20000,
            repeat=args.repeat,
            before=args.before,
        )
        print(json.dumps(row))
        return
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    for n in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(n), "--wishes", str(args.wishes)]
        cmd += ["--repeat", str(args.repeat)]
        if args.before:
            cmd += ["--before", args.before]
        if args.no_baseline:
            cmd.append("--no-baseline")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        print(format_row(json.loads(out.strip().splitlines()[-1])), flush=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
