"""Database rows → snapshot → :class:`lotse.matching.Instance` → result → offers.

The **snapshot** is a compact, JSON-serialisable set of parallel arrays (one entry per
application, CSR wish lists, one entry per seat quota) taken in one go. Everything the engine
sees comes from it, so a simulation or a published run can be reproduced from the stored
snapshot, the rules and the published lottery seed.

Engine mapping:

* child id = application id (as a string; the published lottery orders children by it);
* facility = directory facility; seat type = ``"<age band>/<YYYY-MM>"`` of the seat quota a
  wish uses (a child wanting to start in month D uses the latest quota with start ≤ D); a wish
  for which the facility has no such seats gets a pool of capacity 0 (reason "no_capacity");
* criteria = the rule set's ordered criteria (see :data:`CRITERIA`), then the lottery.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from lotse.applications.models import Application, Guardian, Offer, SeatQuota, Wish
from lotse.directory.models import Facility
from lotse.matching import (
    CriteriaPriority,
    Criterion,
    Instance,
    build_instance,
    check,
    multiple_lottery,
    single_lottery,
    solve,
)

from .models import AllocationRules

SNAPSHOT_VERSION = 1

#: criterion -> (snapshot array, per_wish, higher_is_better)
CRITERIA: dict[str, tuple[str, bool, bool]] = {
    "sibling": ("sibling", True, True),
    "social_urgency": ("social_urgency", False, True),
    "catchment": ("catchment", True, True),
    "staff_child": ("staff", True, True),
    "employment": ("employment", False, True),
    "single_parent": ("single_parent", False, True),
    "age": ("birth", False, False),
    "application_date": ("submitted", False, False),
}


def _band_of(birth: dt.date, start: dt.date) -> str:
    months = (start.year - birth.year) * 12 + start.month - birth.month - (start.day < birth.day)
    return "u3" if months < 36 else ("ue3" if months < 72 else "school")


# --------------------------------------------------------------------------- snapshot


def eligible_applications(municipality: str, start_from: dt.date, start_until: dt.date) -> Any:
    return Application.objects.filter(
        municipality=municipality,
        status__in=[Application.Status.SUBMITTED, Application.Status.IN_ALLOCATION],
        desired_start__gte=start_from,
        desired_start__lte=start_until,
    )


APP_FIELDS = (
    "pk",
    "child_id",
    "child__birth_date",
    "child__expected_birth_date",
    "desired_start",
    "home_district_id",
    "sibling_facility_id",
    "staff_facility_id",
    "social_urgency",
    "employment",
    "single_parent",
    "submitted_at",
    "created_at",
)


def take_snapshot(applications: QuerySet[Application]) -> dict[str, Any]:
    """Read applications, wishes, priority facts and free seats into parallel arrays.

    ``applications`` is a queryset (not a list of ids) so that 60,000 applications are read
    with a handful of queries and no giant ``IN (...)`` lists.
    """
    apps = list(applications.order_by("pk").values_list(*APP_FIELDS))
    index = {row[0]: i for i, row in enumerate(apps)}
    wishes_by_app: dict[int, list[int]] = defaultdict(list)
    wish_rows = Wish.objects.filter(application__in=applications.values("pk"))
    for app_id, facility_id in wish_rows.order_by("application_id", "rank").values_list(
        "application_id", "facility_id"
    ):
        if app_id in index:
            wishes_by_app[app_id].append(facility_id)
    facility_district = dict(
        Facility.objects.filter(wishes__application__in=applications.values("pk"))
        .distinct()
        .values_list("pk", "district_id")
    )
    siblings = _sibling_facilities(applications)

    # Seat quotas of the wished facilities, free seats = capacity - taken - open offers.
    quotas = list(
        SeatQuota.objects.filter(facility_id__in=facility_district.keys())
        .annotate(open_offers=Count("offers", filter=Q(offers__status=Offer.Status.OFFERED)))
        .order_by("facility_id", "seat_type", "start_month")
        .values_list(
            "pk", "facility_id", "seat_type", "start_month", "capacity", "taken", "open_offers"
        )
    )
    quota_index: dict[tuple[int, str], tuple[list[dt.date], list[int]]] = defaultdict(
        lambda: ([], [])
    )
    for pk, facility_id, band, start, *_ in quotas:
        starts, pks = quota_index[(facility_id, band)]
        starts.append(start)
        pks.append(pk)

    snap: dict[str, list[Any]] = {
        k: []
        for k in (
            "application",
            "band",
            "desired_start",
            "home_district",
            "social_urgency",
            "employment",
            "single_parent",
            "birth",
            "submitted",
            "wish_ptr",
            "wish_facility",
            "wish_quota",
            "sibling",
            "catchment",
            "staff",
        )
    }
    snap["wish_ptr"].append(0)
    for row in apps:
        (
            pk,
            child_id,
            birth,
            expected,
            start,
            district,
            sib_decl,
            staff_fac,
            urgent,
            employed,
            single,
            submitted,
            created,
        ) = row
        born = birth or expected
        band = _band_of(born, start)
        snap["application"].append(pk)
        snap["band"].append(band)
        snap["desired_start"].append(start.isoformat())
        snap["home_district"].append(district or 0)
        snap["social_urgency"].append(int(urgent))
        snap["employment"].append(int(employed))
        snap["single_parent"].append(int(single))
        snap["birth"].append(born.toordinal())
        snap["submitted"].append(int((submitted or created).timestamp()))
        sib = siblings.get(child_id, ())
        for facility_id in wishes_by_app.get(pk, []):
            snap["wish_facility"].append(facility_id)
            starts, pks = quota_index.get((facility_id, band), ([], []))
            pos = bisect.bisect_right(starts, start) - 1
            snap["wish_quota"].append(pks[pos] if pos >= 0 else 0)
            snap["sibling"].append(int(facility_id in sib or facility_id == sib_decl))
            snap["catchment"].append(
                int(bool(district) and facility_district.get(facility_id) == district)
            )
            snap["staff"].append(int(facility_id == staff_fac))
        snap["wish_ptr"].append(len(snap["wish_facility"]))
    return {
        "version": SNAPSHOT_VERSION,
        "taken_at": timezone.now().isoformat(),
        **snap,
        "quota": {
            "id": [q[0] for q in quotas],
            "facility": [q[1] for q in quotas],
            "band": [q[2] for q in quotas],
            "start": [q[3].isoformat() for q in quotas],
            "free": [max(q[4] - q[5] - q[6], 0) for q in quotas],
        },
    }


def _sibling_facilities(applications: QuerySet[Application]) -> dict[int, set[int]]:
    """Facilities where a sibling (a child sharing a guardian) holds an accepted place."""
    links = list(
        Guardian.objects.filter(child_id__in=applications.values("child_id")).values_list(
            "child_id", "user_id"
        )
    )
    if not links:
        return {}
    placed: dict[int, set[tuple[int, int]]] = defaultdict(set)
    rows = Offer.objects.filter(
        status=Offer.Status.ACCEPTED,
        application__child__guardian_links__user_id__in=Guardian.objects.filter(
            child_id__in=applications.values("child_id")
        ).values("user_id"),
    ).values_list(
        "application__child__guardian_links__user_id", "application__child_id", "facility_id"
    )
    for user_id, child_id, facility_id in rows:
        placed[user_id].add((child_id, facility_id))
    out: dict[int, set[int]] = defaultdict(set)
    for child_id, user_id in links:
        for other_child, facility_id in placed.get(user_id, ()):
            if other_child != child_id:
                out[child_id].add(facility_id)
    return out


# --------------------------------------------------------------------------- instance


@dataclass
class Prepared:
    """An instance plus the maps back to database ids."""

    instance: Instance
    applications: np.ndarray  # application id per child index
    rows: np.ndarray  # snapshot row per child index
    wish_quota: np.ndarray  # quota id per wish entry (0 = none)
    wish_rank: np.ndarray  # 1-based wish rank (in the full list) per entry


def build(
    snapshot: dict[str, Any],
    rules: AllocationRules,
    *,
    rows: np.ndarray | None = None,
    max_rank: np.ndarray | None = None,
    current_facility: np.ndarray | None = None,
    free: dict[int, int] | None = None,
) -> Prepared:
    """Compile the snapshot and the rule set into an engine instance.

    For a re-run, ``rows`` selects the snapshot rows still in play, ``max_rank`` truncates each
    child's wishes (to the wish it holds an offer for; 0 = keep all), ``current_facility`` marks
    the facility where it holds an offer (-1 = none) and ``free`` gives the live free seats per
    quota id.
    """
    ptr_all = np.asarray(snapshot["wish_ptr"], dtype=np.int64)
    fac_all = np.asarray(snapshot["wish_facility"], dtype=np.int64)
    quota_all = np.asarray(snapshot["wish_quota"], dtype=np.int64)
    n_all = ptr_all.size - 1
    if rows is None:
        rows = np.arange(n_all, dtype=np.int64)
    lengths_all = np.diff(ptr_all)
    lengths = lengths_all[rows]
    if max_rank is not None:
        lengths = np.where(max_rank > 0, np.minimum(lengths, max_rank), lengths)
    starts = ptr_all[rows]
    # Entries kept: for child j, ptr_all[rows[j]] .. + lengths[j].
    entry = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    entry = entry + np.arange(int(lengths.sum()), dtype=np.int64)
    wish_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    wish_child_row = np.repeat(rows, lengths)
    wish_rank = entry - ptr_all[wish_child_row] + 1

    q = snapshot["quota"]
    quota_ids = np.asarray(q["id"], dtype=np.int64)
    quota_free = np.asarray(
        [free.get(int(i), 0) for i in quota_ids] if free is not None else q["free"],
        dtype=np.int64,
    )
    wish_quota = quota_all[entry]
    wish_fac_db = fac_all[entry]
    facility_ids = np.unique(wish_fac_db)
    fac_index = np.searchsorted(facility_ids, wish_fac_db)
    # Seat type names: band/start of the quota, or band/desired start (empty pool).
    band = np.asarray(snapshot["band"])
    desired = np.asarray(snapshot["desired_start"])
    quota_pos = {int(qid): i for i, qid in enumerate(quota_ids.tolist())}
    type_names: list[str] = []
    type_index: dict[str, int] = {}
    wish_type = np.empty(entry.size, dtype=np.int64)
    child_row_of_entry = wish_child_row
    for j, (qid, row) in enumerate(
        zip(wish_quota.tolist(), child_row_of_entry.tolist(), strict=True)
    ):
        if qid:
            i = quota_pos[qid]
            name = f"{q['band'][i]}/{q['start'][i][:7]}"
        else:
            name = f"{band[row]}/{desired[row][:7]}"
        t = type_index.get(name)
        if t is None:
            t = type_index[name] = len(type_names)
            type_names.append(name)
        wish_type[j] = t
    capacity = np.zeros((facility_ids.size, max(len(type_names), 1)), dtype=np.int64)
    if quota_ids.size:
        qfac = np.searchsorted(facility_ids, np.asarray(q["facility"], dtype=np.int64))
        for i in range(quota_ids.size):
            f = int(qfac[i])
            name = f"{q['band'][i]}/{q['start'][i][:7]}"
            if f < facility_ids.size and facility_ids[f] == q["facility"][i] and name in type_index:
                capacity[f, type_index[name]] = int(quota_free[i])
    if not type_names:
        type_names = ["*"]

    app_ids = np.asarray(snapshot["application"], dtype=np.int64)[rows]
    child_ids = [str(a) for a in app_ids.tolist()]
    criteria = []
    for name in rules.criteria:
        if name not in CRITERIA:
            continue
        key, per_wish, higher = CRITERIA[name]
        values = np.asarray(snapshot[key], dtype=np.int64)
        values = values[entry] if per_wish else values[rows]
        criteria.append(
            Criterion(name=name, values=values, per_wish=per_wish, higher_is_better=higher)
        )
    seed = int(rules.lottery_seed)
    if rules.tie_breaking == "multiple":
        lottery = multiple_lottery(
            child_ids, [str(f) for f in facility_ids.tolist()], wish_ptr, fac_index, seed
        )
        priority = CriteriaPriority(
            criteria=tuple(criteria),
            lottery=lottery,
            lottery_per_wish=True,
            seed=seed,
            tie_breaking="multiple",
        )
    else:
        lottery = single_lottery(child_ids, seed)
        priority = CriteriaPriority(criteria=tuple(criteria), lottery=lottery, seed=seed)
    band_names = ["u3", "ue3", "school"]
    child_band = np.asarray([band_names.index(b) for b in band[rows].tolist()], dtype=np.int64)
    current = None
    if current_facility is not None:
        current = np.where(
            current_facility >= 0,
            np.searchsorted(facility_ids, np.maximum(current_facility, 0)),
            -1,
        )
    instance = build_instance(
        child_ids=child_ids,
        facility_ids=[str(f) for f in facility_ids.tolist()],
        capacity=capacity,
        wish_ptr=wish_ptr,
        wish_facility=fac_index,
        wish_seat_type=wish_type,
        seat_types=type_names,
        priority=priority,
        current=current,
        child_type=child_band,
        child_types=band_names,
    )
    return Prepared(
        instance=instance,
        applications=app_ids,
        rows=rows,
        wish_quota=wish_quota,
        wish_rank=wish_rank,
    )


# --------------------------------------------------------------------------- result


def run(prepared: Prepared) -> Any:
    return solve(prepared.instance, "child_da")


def stability(result: Any) -> dict[str, Any]:
    report = check(result.instance, result.assigned_wish)
    return {"feasible": report.feasible, "blocking_pairs": report.blocking_pairs}


def waiting_positions(prepared: Prepared, result: Any) -> dict[int, list[tuple[int, int]]]:
    """Per child index: (facility id, position) on the waiting list of each better wish.

    The waiting list of a pool is every child that prefers it to what it got, in the pool's
    priority order; position 1 is next in line when a seat there frees up.
    """
    inst = prepared.instance
    aw = result.assigned_wish
    limit = np.where(aw >= 0, aw, inst.wish_ptr[1:])
    entries = np.flatnonzero(np.arange(inst.n_wishes) < limit[inst.wish_child])
    # Only pools that have seats keep a waiting list (no seats: nothing can free up there).
    entries = entries[
        (inst.wish_rank[entries] >= 0) & (inst.pool_capacity[inst.wish_pool[entries]] > 0)
    ]
    if not entries.size:
        return {}
    pool = inst.wish_pool[entries]
    order = np.lexsort((inst.wish_rank[entries], pool))
    sorted_entries, sorted_pool = entries[order], pool[order]
    is_start = np.empty(sorted_pool.size, dtype=bool)
    is_start[0] = True
    is_start[1:] = sorted_pool[1:] != sorted_pool[:-1]
    seg_start = np.maximum.accumulate(np.where(is_start, np.arange(sorted_pool.size), 0))
    position = np.arange(sorted_pool.size) - seg_start + 1
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    fac_ids = inst.facility_ids
    for e, pos in zip(sorted_entries.tolist(), position.tolist(), strict=True):
        child = int(inst.wish_child[e])
        out[child].append((int(fac_ids[int(inst.wish_facility[e])]), int(pos)))
    return out


def district_and_band_stats(
    snapshot: dict[str, Any], prepared: Prepared, result: Any
) -> dict[str, Any]:
    """Shares with 1st, 2nd, … wish and unassigned children by home district and seat type."""
    inst = prepared.instance
    aw = result.assigned_wish
    got = aw >= 0
    position = np.where(got, aw - inst.wish_ptr[:-1] + 1, 0)
    n = int(inst.n_children)
    by_wish = np.bincount(position[got], minlength=2)[1:] if got.any() else np.zeros(1)
    district = np.asarray(snapshot["home_district"], dtype=np.int64)[prepared.rows]
    band = np.asarray(snapshot["band"])[prepared.rows]
    unassigned: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for d, b in zip(district[~got].tolist(), band[~got].tolist(), strict=True):
        unassigned[str(d)][b] += 1
    return {
        "children": n,
        "assigned": int(got.sum()),
        "unassigned": int(n - got.sum()),
        "by_wish": [int(x) for x in by_wish.tolist()],
        "share_first": round(float(by_wish[0]) / n, 4) if n and len(by_wish) else 0.0,
        "share_assigned": round(float(got.sum()) / n, 4) if n else 0.0,
        "unassigned_by_district_band": {d: dict(v) for d, v in unassigned.items()},
    }
