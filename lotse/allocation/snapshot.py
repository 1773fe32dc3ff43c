"""The shape of ``Round.snapshot``: what the engine sees of a round, frozen as JSON.

Parallel arrays, one entry per application ("row"), the wishes as a CSR list (the wishes of
row ``i`` are entries ``wish_ptr[i]`` to ``wish_ptr[i + 1] - 1``, best first), and one entry per
seat quota. Integers for flags (0/1) so that NumPy reads every array as one block. Written by
``engine_io.take_snapshot``, read by ``engine_io.build`` and the round services; a published
run can be reproduced from it, the rules and the published lottery seed.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class QuotaArrays(TypedDict):
    """One entry per seat quota of a wished facility."""

    id: list[int]  # SeatQuota id
    facility: list[int]  # Facility id
    band: list[str]  # seat type: age band "u3", "ue3", "school", or "mixed" (1 to 6 years)
    start: list[str]  # first month of the seats, ISO date
    free: list[int]  # places: capacity − taken − open offers' places when the snapshot was taken


class Snapshot(TypedDict):
    version: int  # SNAPSHOT_VERSION of engine_io
    taken_at: str  # ISO datetime
    # --- one entry per application (row), ordered by application id
    application: list[int]  # Application id
    band: list[str]  # age band at the desired start
    desired_start: list[str]  # ISO date (first of the month)
    home_district: list[int]  # District id, 0 = unknown
    social_urgency: list[int]  # 0/1, set by the Jugendamt
    employment: list[int]  # 0/1
    single_parent: list[int]  # 0/1
    birth: list[int]  # (expected) birth date as a proleptic ordinal
    submitted: list[int]  # submission time, epoch seconds
    wish_ptr: list[int]  # CSR pointers, len = rows + 1
    # Sibling groups formed for this round (all members in the snapshot, same wishes):
    group: NotRequired[list[int]]  # SiblingGroup id, 0 = none (absent in older snapshots)
    group_preferred: NotRequired[list[int]]  # 1 = together preferred, 0 = required
    # 0/1: from the first birthday to school entry at the desired start, so the child may take
    # a place in a mixed group (absent in older snapshots: none may)
    mixed_age: NotRequired[list[int]]
    # --- one entry per wish
    wish_facility: list[int]  # Facility id
    wish_quota: list[int]  # SeatQuota id the wish uses, 0 = the facility has no such seats
    # SeatQuota id of the facility's mixed-group places for a child of mixed_age (0 = none);
    # the wish can then be met with either seat (engine_io.build; absent in older snapshots)
    wish_mixed: NotRequired[list[int]]
    sibling: list[int]  # 0/1: a sibling attends (or was declared at) the facility
    catchment: list[int]  # 0/1: the family lives in the facility's district
    staff: list[int]  # 0/1: a parent works at the facility
    # 1 = a wish added after the snapshot to an application frozen in it (never in a stored
    # snapshot: only in a re-run's merged one, engine_io.merge_snapshots; it ranks after
    # every frozen wish at its facility)
    wish_late: NotRequired[list[int]]
    # --- one entry per seat quota
    quota: QuotaArrays


#: The integer arrays a priority criterion can read.
CriterionArray = Literal[
    "sibling",
    "social_urgency",
    "catchment",
    "staff",
    "employment",
    "single_parent",
    "birth",
    "submitted",
]
