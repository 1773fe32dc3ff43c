"""The lottery's draws: a re-run keeps the published numbers, late applications are drawn after
them (lotse.matching.lottery, "Draws"), and a certificate carries the draws so anyone can
recompute the numbers."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotse.matching import (
    CriteriaPriority,
    InstanceError,
    instance_from_dict,
    instance_to_dict,
    multiple_lottery,
    single_lottery,
    solve,
)
from lotse.matching.certificate import make_certificate, verify_certificate
from lotse.matching.lottery import drawn_numbers

ids = st.lists(st.integers(0, 10_000).map(str), min_size=1, max_size=40, unique=True)


@given(ids, st.integers(0, 2**63 - 1))
def test_one_draw_over_the_children_is_the_published_lottery(
    child_ids: list[str], seed: int
) -> None:
    assert np.array_equal(
        single_lottery(child_ids, seed, draws=[child_ids]), single_lottery(child_ids, seed)
    )


@given(ids, st.integers(0, 2**32), st.data())
def test_a_subset_keeps_the_numbers_of_the_published_draw(
    child_ids: list[str], seed: int, data: st.DataObject
) -> None:
    published = dict(zip(child_ids, single_lottery(child_ids, seed).tolist(), strict=True))
    subset = data.draw(st.lists(st.sampled_from(child_ids), unique=True))
    numbers = single_lottery(subset, seed, draws=[child_ids])
    assert numbers.tolist() == [published[c] for c in subset]


def test_drawn_again_over_a_subset_the_numbers_move() -> None:
    """Why draws exist: today's draw over the children left changes their numbers."""
    everyone = [f"c{i}" for i in range(10)]
    left = everyone[1:]
    again = single_lottery(left, 7).tolist()
    kept = single_lottery(left, 7, draws=[everyone]).tolist()
    assert again != kept
    assert sorted(again) == list(range(1, 10))


def test_late_batches_are_numbered_after_every_earlier_draw() -> None:
    on_time = [f"a{i}" for i in range(5)]
    batch1, batch2 = ["z1", "b7"], ["c3"]
    numbers = drawn_numbers([on_time, batch1, batch2], 11, pairs=False)
    assert sorted(numbers[c] for c in on_time) == [1, 2, 3, 4, 5]
    assert sorted(numbers[c] for c in batch1) == [6, 7]
    assert numbers["c3"] == 8
    # The documented draw: members sorted, default_rng([seed, k]).permutation(size).
    perm = np.random.default_rng([11, 1]).permutation(2)
    assert [numbers["b7"], numbers["z1"]] == (5 + perm + 1).tolist()
    # A later batch never moves an earlier one.
    assert drawn_numbers([on_time, batch1], 11, pairs=False).items() <= numbers.items()


def test_multiple_lottery_draws_pairs() -> None:
    child_ids, facility_ids = ["x", "y", "z"], ["f", "g"]
    ptr = np.array([0, 2, 3, 5])
    fac = np.array([0, 1, 0, 1, 0])
    pairs = sorted(
        {(facility_ids[f], child_ids[c]) for c, f in zip([0, 0, 1, 2, 2], fac, strict=True)}
    )
    assert np.array_equal(
        multiple_lottery(child_ids, facility_ids, ptr, fac, 5, draws=[pairs]),
        multiple_lottery(child_ids, facility_ids, ptr, fac, 5),
    )


def test_a_child_in_no_draw_or_drawn_twice_is_refused() -> None:
    with pytest.raises(InstanceError, match="in no draw"):
        single_lottery(["a", "b"], 1, draws=[["a"]])
    with pytest.raises(InstanceError, match="drawn twice"):
        single_lottery(["a"], 1, draws=[["a"], ["a"]])


RERUN: dict[str, Any] = {
    "facilities": [{"id": "f1", "capacity": 1}, {"id": "f2", "capacity": 1}],
    "children": [
        {"id": "c2", "wishes": ["f1", "f2"], "current": {"facility": "f2"}},
        {"id": "c3", "wishes": ["f1"]},
        {"id": "c4", "wishes": ["f1", "f2"]},
        {"id": "late", "wishes": ["f1"]},
    ],
    "criteria": [],
    # c1 and c5 took part in the published run and are out of play now; their numbers stay.
    "lottery": {"seed": 3, "draws": [["c1", "c2", "c3", "c4", "c5"], ["late"]]},
}


def test_a_rerun_certificate_carries_the_draws_and_is_verified() -> None:
    inst = instance_from_dict(RERUN)
    assert isinstance(inst.priority, CriteriaPriority)
    published = single_lottery(["c1", "c2", "c3", "c4", "c5"], 3).tolist()
    assert inst.priority.lottery.tolist()[:3] == published[1:4]
    assert inst.priority.lottery.tolist()[3] == 6
    data = json.loads(json.dumps(instance_to_dict(inst)))
    assert data["lottery"]["draws"] == RERUN["lottery"]["draws"]
    cert = make_certificate(data, solve(inst))
    assert cert["lottery"]["numbers"] == dict(
        zip(["c2", "c3", "c4", "late"], [*published[1:4], 6], strict=True)
    )
    assert verify_certificate(json.loads(json.dumps(cert))).confirmed
    # Another order of the draws is another instance (the digest pins the draws) …
    forged = copy.deepcopy(cert)
    forged["instance"]["lottery"]["draws"].reverse()
    assert not verify_certificate(forged).confirmed
    # … and stated numbers that are not the draws' are refuted.
    forged = copy.deepcopy(cert)
    forged["lottery"]["numbers"]["late"] = 1
    report = verify_certificate(forged)
    assert "lottery numbers" in " ".join(report.problems)
