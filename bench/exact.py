"""DA with siblings against the exact mechanism (CP-SAT), on the same instances, in one run.

    .venv/bin/python bench/exact.py                         # 1,600 x 86 and 5,000 x 150, 3 seeds
    .venv/bin/python bench/exact.py --sizes 5000 --seeds 1 --time-limit 60

Instances: facilities on a jittered grid; every child lives near a random facility and wishes
its 5 nearest (distance plus noise). Every facility has one pool of "mixed (1-6)" seats in
which an under-3 child counts double (weight 2, 40% of the children are under 3); seats are
about 85% of the demand in weight units. 10% of the children are in sibling groups (pairs, a
few triplets) who share the wish list of the eldest, half "required" and half "preferred"; 5%
hold a current place at their last wish. Priorities: a sibling at the facility, social
urgency, catchment, then a single lottery.

One line per instance and mechanism: blocking pairs, placed children, first wishes, seconds;
for the exact mechanism also its status (stable / minimal / best_found).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lotse.matching import (  # noqa: E402
    CriteriaPriority,
    Criterion,
    Instance,
    build_instance,
    check,
    single_lottery,
    solve,
)

FACILITIES = {1600: 86, 5000: 150}
WISHES = 5


def _homes_and_wishes(
    rng: np.random.Generator, n: int, m: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    side = math.ceil(math.sqrt(m))
    fx = np.arange(m) % side + rng.uniform(-0.3, 0.3, m)
    fy = np.arange(m) // side + rng.uniform(-0.3, 0.3, m)
    home = rng.integers(0, m, n)
    cx = fx[home] + rng.normal(0, 0.7, n)
    cy = fy[home] + rng.normal(0, 0.7, n)
    dist = np.hypot(fx[None, :] - cx[:, None], fy[None, :] - cy[:, None])
    noisy = dist + rng.exponential(0.5, dist.shape)
    wishes = np.argsort(noisy, axis=1)[:, :WISHES]
    return wishes, np.take_along_axis(dist, wishes, 1), home


def generate(n: int, seed: int) -> Instance:
    """A city with siblings, mixed groups and current places (see the module docstring)."""
    rng = np.random.default_rng(seed)
    m = FACILITIES.get(n, max(2, n // 33))
    wishes, distance, _ = _homes_and_wishes(rng, n, m)
    weight = np.where(rng.random(n) < 0.4, 2, 1)
    group = np.full(n, -1, dtype=np.int64)
    g, i = 0, 0
    order = rng.permutation(n)
    while i < n and np.sum(group >= 0) < 0.1 * n:
        size = 3 if rng.random() < 0.1 else 2
        members = order[i : i + size]
        group[members] = g
        wishes[members] = wishes[members[0]]
        distance[members] = distance[members[0]]
        g, i = g + 1, i + size
    current = np.full(n, -1, dtype=np.int64)
    holders = rng.random(n) < 0.05
    current[holders] = wishes[holders, -1]
    demand = int(weight.sum())
    share = rng.lognormal(0, 0.35, m)
    capacity = rng.multinomial(int(0.85 * demand), share / share.sum())
    held = np.bincount(current[holders], weights=weight[holders], minlength=m).astype(np.int64)
    capacity = np.maximum(capacity, held)
    sibling_at = np.where(rng.random(n) < 0.08, wishes[np.arange(n), 0], -1)
    child_ids = [f"c{i:05d}" for i in range(n)]
    priority = CriteriaPriority(
        criteria=(
            Criterion("sibling", (wishes == sibling_at[:, None]).reshape(-1), per_wish=True),
            Criterion("social_urgency", (rng.random(n) < 0.03).astype(np.int8)),
            Criterion("catchment", (distance < 1.0).reshape(-1), per_wish=True),
        ),
        lottery=single_lottery(child_ids, seed),
        seed=seed,
    )
    return build_instance(
        child_ids=child_ids,
        facility_ids=[f"f{j:03d}" for j in range(m)],
        seat_types=["mixed"],
        capacity=capacity.reshape(m, 1),
        wish_ptr=np.arange(0, n * WISHES + 1, WISHES),
        wish_facility=wishes.reshape(-1),
        weight=weight,
        group=group,
        group_preferred=rng.random(g) < 0.5,
        current=current,
        priority=priority,
    )


def run(inst: Instance, mechanism: str, time_limit: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = solve(inst, mechanism, time_limit=time_limit)
    seconds = time.perf_counter() - t0
    report = check(inst, result.assigned_wish)
    assert report.feasible, report.violations
    stats = result.stats
    row = {
        "mechanism": mechanism,
        "blocking": report.blocking_pairs,
        "sibling_blocking": report.sibling_blocking_pairs,
        "placed": stats.assigned,
        "first": stats.by_wish[0] if stats.by_wish else 0,
        "seconds": seconds,
        "status": (result.exact or {}).get("status", "-"),
        "to_best": (result.exact or {}).get("seconds_to_best", seconds),
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1600,5000")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}", flush=True)
    for n in (int(s) for s in args.sizes.split(",")):
        for seed in range(1, args.seeds + 1):
            inst = generate(n, seed)
            groups = int(inst.group.max()) + 1
            head = (
                f"n={n:,} facilities={inst.n_facilities} seed={seed} groups={groups} "
                f"(children in groups {int(np.sum(inst.group >= 0))}) "
                f"holders={int(np.sum(inst.current >= 0))}"
            )
            print(head, flush=True)
            for mechanism in ("child_da", "exact"):
                row = run(inst, mechanism, args.time_limit)
                print(
                    f"  {mechanism:<8} blocking={row['blocking']:>3} "
                    f"(sibling {row['sibling_blocking']}) placed={row['placed']:,} "
                    f"first_wish={row['first']:,} seconds={row['seconds']:.2f} "
                    f"(fewest blocking pairs reached after {row['to_best']:.2f} s) "
                    f"status={row['status']} load={os.getloadavg()[0]:.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
