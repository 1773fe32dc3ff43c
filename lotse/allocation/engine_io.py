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
import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from lotse.applications.models import Application, Guardian, Offer, SeatQuota, Wish
from lotse.applications.selectors import OPEN_PLACES
from lotse.directory.models import Facility, SeatType, fits_mixed_group
from lotse.matching import (
    CriteriaPriority,
    Criterion,
    Instance,
    Result,
    build_instance,
    check,
    instance_to_dict,
    multiple_lottery,
    read_assignment,
    single_lottery,
    solve,
)
from lotse.matching.certificate import make_certificate
from lotse.matching.check import GroupOutcome

from .models import AllocationRules
from .snapshot import CriterionArray, QuotaArrays, Snapshot

SNAPSHOT_VERSION = 1

#: criterion -> (snapshot array, per_wish, higher_is_better)
CRITERIA: dict[str, tuple[CriterionArray, bool, bool]] = {
    "sibling": ("sibling", True, True),
    "social_urgency": ("social_urgency", False, True),
    "catchment": ("catchment", True, True),
    "staff_child": ("staff", True, True),
    "employment": ("employment", False, True),
    "single_parent": ("single_parent", False, True),
    "age": ("birth", False, False),
    "application_date": ("submitted", False, False),
}


def _months(birth: dt.date, start: dt.date) -> int:
    return (start.year - birth.year) * 12 + start.month - birth.month - (start.day < birth.day)


def _band_of(birth: dt.date, start: dt.date) -> str:
    months = _months(birth, start)
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
    "sibling_group_id",
    "sibling_group__together",
)


def take_snapshot(applications: QuerySet[Application]) -> Snapshot:
    """Read applications, wishes, priority facts and free seats into parallel arrays.

    ``applications`` is a queryset (not a list of ids) so that 60,000 applications are read
    with a handful of queries and no giant ``IN (...)`` lists.
    """
    apps = list(applications.order_by("pk").values_list(*APP_FIELDS))
    wishes = _wishes_by_application(applications, {row[0] for row in apps})
    wished = sorted({f for facilities in wishes.values() for f in facilities})
    facility_district: dict[int, int | None] = {}
    for i in range(0, len(wished), 2000):  # the wished facilities, read by primary key
        facility_district.update(
            Facility.objects.filter(pk__in=wished[i : i + 2000]).values_list("pk", "district_id")
        )
    quotas = _quota_rows(facility_district.keys())
    facts = _Facts(
        wishes=wishes,
        facility_district=facility_district,
        siblings=_sibling_facilities(applications),
        quota_index=_quota_index(quotas),
        mixed_facilities=frozenset(q[1] for q in quotas if q[2] == SeatType.MIXED),
    )
    arrays = _empty_arrays()
    for row in apps:
        _add_application(arrays, row, facts)
    arrays |= _snapshot_groups(apps, wishes)
    return cast(
        Snapshot,
        {
            "version": SNAPSHOT_VERSION,
            "taken_at": timezone.now().isoformat(),
            **arrays,
            "quota": _quota_arrays(quotas),
        },
    )


#: A seat quota row: pk, facility, seat type, start month, capacity, taken, places in open
#: offers (all in places: an under-3 child in a mixed group holds its weight).
QuotaRow = tuple[int, int, str, dt.date, int, int, int]


@dataclass(frozen=True)
class _Facts:
    """What the snapshot needs besides the application rows, read once."""

    wishes: dict[int, list[int]]  # application id → wished facility ids, best first
    facility_district: dict[int, int | None]
    siblings: dict[int, set[int]]  # child id → facilities where a sibling is placed
    quota_index: dict[tuple[int, str], tuple[list[dt.date], list[int]]]
    mixed_facilities: frozenset[int] = frozenset()  # facilities with mixed-group quotas

    def quota_for(self, facility_id: int, seat_type: str, start: dt.date) -> int:
        """The quota a child starting in ``start`` uses: the latest one with start ≤ it (0 =
        the facility has no such seats)."""
        starts, pks = self.quota_index.get((facility_id, seat_type), ([], []))
        pos = bisect.bisect_right(starts, start) - 1
        return pks[pos] if pos >= 0 else 0


def _wishes_by_application(
    applications: QuerySet[Application], wanted: set[int]
) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    rows = Wish.objects.filter(application__in=applications.values("pk"))
    for app_id, facility_id in rows.order_by("application_id", "rank").values_list(
        "application_id", "facility_id"
    ):
        if app_id in wanted:
            out[app_id].append(facility_id)
    return out


def _quota_rows(facility_ids: Iterable[int]) -> list[QuotaRow]:
    """Seat quotas of the wished facilities with the places their open offers hold."""
    return list(
        SeatQuota.objects.filter(facility_id__in=list(facility_ids))
        .annotate(open_places=OPEN_PLACES)
        .order_by("facility_id", "seat_type", "start_month")
        .values_list(
            "pk", "facility_id", "seat_type", "start_month", "capacity", "taken", "open_places"
        )
    )


def _quota_index(
    quotas: list[QuotaRow],
) -> dict[tuple[int, str], tuple[list[dt.date], list[int]]]:
    """(facility, band) → (start months ascending, quota ids), to find a start's quota."""
    index: dict[tuple[int, str], tuple[list[dt.date], list[int]]] = defaultdict(lambda: ([], []))
    for pk, facility_id, band, start, *_ in quotas:
        starts, pks = index[(facility_id, band)]
        starts.append(start)
        pks.append(pk)
    return index


_ROW_ARRAYS = (
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
    "mixed_age",
    "wish_mixed",
)


def _empty_arrays() -> dict[str, list[Any]]:
    arrays: dict[str, list[Any]] = {k: [] for k in _ROW_ARRAYS}
    arrays["wish_ptr"].append(0)
    return arrays


def _add_application(arrays: dict[str, list[Any]], row: tuple[Any, ...], facts: _Facts) -> None:
    """Append one application (a row of ``APP_FIELDS``) and its wishes to the arrays."""
    (pk, child_id, birth, expected, start, district, sib_decl, staff_fac) = row[:8]
    urgent, employed, single, submitted, created = row[8:13]
    born = birth or expected
    band = _band_of(born, start)
    mixed_age = fits_mixed_group(_months(born, start))
    arrays["application"].append(pk)
    arrays["band"].append(band)
    arrays["mixed_age"].append(int(mixed_age))
    arrays["desired_start"].append(start.isoformat())
    arrays["home_district"].append(district or 0)
    arrays["social_urgency"].append(int(urgent))
    arrays["employment"].append(int(employed))
    arrays["single_parent"].append(int(single))
    arrays["birth"].append(born.toordinal())
    arrays["submitted"].append(int((submitted or created).timestamp()))
    sib = facts.siblings.get(child_id, set())
    for facility_id in facts.wishes.get(pk, []):
        arrays["wish_facility"].append(facility_id)
        arrays["wish_quota"].append(facts.quota_for(facility_id, band, start))
        mixed = mixed_age and facility_id in facts.mixed_facilities
        arrays["wish_mixed"].append(
            facts.quota_for(facility_id, SeatType.MIXED, start) if mixed else 0
        )
        arrays["sibling"].append(int(facility_id in sib or facility_id == sib_decl))
        arrays["catchment"].append(
            int(bool(district) and facts.facility_district.get(facility_id) == district)
        )
        arrays["staff"].append(int(facility_id == staff_fac))
    arrays["wish_ptr"].append(len(arrays["wish_facility"]))


def _snapshot_groups(
    apps: list[tuple[Any, ...]], wishes: dict[int, list[int]]
) -> dict[str, list[int]]:
    """Sibling groups of the round, per row: the group id (0 = none) and 1 = "preferred".

    A group is formed only if at least two of its applications are in the snapshot and they
    wish the same facilities in the same order (the services keep them so); otherwise each
    child takes part on its own, as the family would expect for a child applying alone.
    """
    members: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(apps):
        if row[13]:
            members[row[13]].append(i)
    group = [0] * len(apps)
    preferred = [0] * len(apps)
    for gid, rows in members.items():
        lists = [wishes.get(apps[i][0], []) for i in rows]
        if len(rows) < 2 or any(w != lists[0] for w in lists[1:]):
            continue
        for i in rows:
            group[i] = gid
            preferred[i] = int(apps[i][14] == "preferred")
    return {"group": group, "group_preferred": preferred}


#: Snapshot arrays with one entry per wish (the others of ``_ROW_ARRAYS`` have one per row).
_WISH_ARRAYS = ("wish_facility", "wish_quota", "sibling", "catchment", "staff", "wish_mixed")
#: Arrays that snapshots taken before mixed groups lack, and ``wish_late`` (only a re-run's
#: merged snapshot with late wishes has it); read as zeros.
_OPTIONAL_ARRAYS = ("mixed_age", "wish_mixed", "wish_late")


def _array(snapshot: Snapshot, key: str) -> list[Any]:
    """A snapshot array; an optional one missing in an older snapshot is all zeros."""
    if key in snapshot or key not in _OPTIONAL_ARRAYS:
        return snapshot[key]  # type: ignore[literal-required,no-any-return]
    per_wish = key in _WISH_ARRAYS or key == "wish_late"
    size = len(snapshot["wish_facility"] if per_wish else snapshot["application"])
    return [0] * size


def merge_snapshots(base: Snapshot, extra: Snapshot) -> Snapshot:
    """``base`` with what ``extra`` (read at a re-run) adds to it.

    * Rows of ``extra`` not in ``base`` (late applications joining a round) are appended:
      rows and wishes concatenated, the CSR pointers of ``extra`` shifted.
    * Rows of ``extra`` already in ``base`` (an on-time application that added a wish after
      the deadline) keep their frozen row and wishes; the wishes of ``extra`` for facilities
      the frozen list does not name are appended to that row, in their order, and marked in
      the per-wish array ``wish_late`` (1 = added after the snapshot). ``engine_io.build``
      ranks such a wish after every frozen wish at its facility (docs/applications.md, "A
      wish after the deadline"); the frozen wishes and their ranks never change.

    Seat quotas are the union by id (``base``'s entry wins; a re-run reads live free seats
    anyway). Without late wishes the result has no ``wish_late`` array, exactly as before.
    """
    known = {a: i for i, a in enumerate(base["application"])}
    keep = [i for i, a in enumerate(extra["application"]) if a not in known]
    merged: dict[str, Any] = dict(base)
    ptr = extra["wish_ptr"]
    added_to = _late_wishes(base, extra, known)
    if added_to:
        _append_late_wishes(merged, base, extra, added_to)
    base_rows = cast(Snapshot, merged)  # base, with the late wishes in its rows
    late_flags = list(_array(base_rows, "wish_late")) if added_to else None
    for key in _ROW_ARRAYS:
        if key == "wish_ptr":
            continue
        values = _array(extra, key)
        if key in _WISH_ARRAYS:
            added = [values[e] for i in keep for e in range(ptr[i], ptr[i + 1])]
        else:
            added = [values[i] for i in keep]
        merged[key] = list(_array(base_rows, key)) + added
    wish_ptr = list(base_rows["wish_ptr"])
    for i in keep:
        wish_ptr.append(wish_ptr[-1] + ptr[i + 1] - ptr[i])
    merged["wish_ptr"] = wish_ptr
    if late_flags is not None:  # the late applications' own wishes are not late wishes
        merged["wish_late"] = late_flags + [0] * (len(merged["wish_facility"]) - len(late_flags))
    # Other per-row arrays (sibling groups): appended as well, 0 where ``extra`` lacks them.
    n_base, n_extra = len(base["application"]), len(extra["application"])
    for key, value in base.items():
        if key in merged and key not in _ROW_ARRAYS and isinstance(value, list):
            if len(value) == n_base and key not in ("application",):
                other = extra.get(key, [0] * n_extra)
                merged[key] = list(value) + [other[i] for i in keep]
    quota: QuotaArrays = {k: list(v) for k, v in base["quota"].items()}  # type: ignore[misc]
    have = set(quota["id"])
    q = extra["quota"]
    for i, qid in enumerate(q["id"]):
        if qid not in have:
            for k in quota:
                quota[k].append(q[k][i])  # type: ignore[literal-required]
    merged["quota"] = quota
    return cast(Snapshot, merged)


def _late_wishes(base: Snapshot, extra: Snapshot, known: dict[int, int]) -> dict[int, list[int]]:
    """Base row → the wish entries of ``extra`` that row's frozen list does not name (in order)."""
    out: dict[int, list[int]] = {}
    bptr, bfac = base["wish_ptr"], base["wish_facility"]
    eptr, efac = extra["wish_ptr"], extra["wish_facility"]
    for i, app in enumerate(extra["application"]):
        row = known.get(app)
        if row is None:
            continue
        frozen = set(bfac[bptr[row] : bptr[row + 1]])
        new = [e for e in range(eptr[i], eptr[i + 1]) if efac[e] not in frozen]
        if new:
            out[row] = new
    return out


def _append_late_wishes(
    merged: dict[str, Any], base: Snapshot, extra: Snapshot, added_to: dict[int, list[int]]
) -> None:
    """Rebuild the per-wish arrays of ``base`` with the late wishes appended to their rows."""
    bptr = base["wish_ptr"]
    wish_keys = (*_WISH_ARRAYS, "wish_late")
    old = {k: _array(base, k) for k in wish_keys}
    new_values = {k: _array(extra, k) for k in _WISH_ARRAYS}
    out: dict[str, list[Any]] = {k: [] for k in wish_keys}
    wish_ptr = [0]
    for row in range(len(base["application"])):
        start, end = bptr[row], bptr[row + 1]
        for k in wish_keys:
            out[k].extend(old[k][start:end])
        for e in added_to.get(row, ()):
            for k in _WISH_ARRAYS:
                out[k].append(new_values[k][e])
            out["wish_late"].append(1)
        wish_ptr.append(len(out["wish_facility"]))
    merged.update(out)
    merged["wish_ptr"] = wish_ptr


def _quota_arrays(quotas: list[QuotaRow]) -> QuotaArrays:
    return {
        "id": [q[0] for q in quotas],
        "facility": [q[1] for q in quotas],
        "band": [q[2] for q in quotas],
        "start": [q[3].isoformat() for q in quotas],
        "free": [max(q[4] - q[5] - q[6], 0) for q in quotas],
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
    wish_mixed: np.ndarray | None = None  # bool per entry: the facility's mixed-group places


def build(
    snapshot: Snapshot,
    rules: AllocationRules,
    *,
    rows: np.ndarray | None = None,
    max_rank: np.ndarray | None = None,
    current_facility: np.ndarray | None = None,
    free: dict[int, int] | None = None,
    draws: list[list[Any]] | None = None,
    held_quota: np.ndarray | None = None,
) -> Prepared:
    """Compile the snapshot and the rule set into an engine instance.

    For a re-run, ``rows`` selects the snapshot rows still in play, ``max_rank`` truncates each
    child's wishes (to the wish it holds an offer for; 0 = keep all), ``current_facility`` marks
    the facility where it holds an offer (-1 = none), ``held_quota`` the quota id of that offer
    (0 = none; which seats there it holds: its band's or the mixed group's, see
    :func:`_kept_wishes`), ``free`` gives the live free places per quota id and ``draws`` the
    lottery's draws (:func:`lottery_draws`: the published run's, then the late
    applications'), so that every child keeps its published lottery number.

    Mixed groups: a wish for a facility with mixed-group places that the child may take
    (``mixed_age``) is two entries, the band's seats first, then the mixed group, whose
    weight is the rule set's ``mixed_under3_weight`` for an under-3 child (1 otherwise).
    """
    if rows is None:
        rows = np.arange(len(snapshot["wish_ptr"]) - 1, dtype=np.int64)
    wishes = _kept_wishes(snapshot, rows, max_rank, held_quota)
    wish_fac_db = np.asarray(snapshot["wish_facility"], dtype=np.int64)[wishes.entry]
    facility_ids = np.unique(wish_fac_db)
    seat_types = _seat_types(snapshot, wishes)
    app_ids = np.asarray(snapshot["application"], dtype=np.int64)[rows]
    child_ids = [str(a) for a in app_ids.tolist()]
    fac_index = np.searchsorted(facility_ids, wish_fac_db)
    instance = build_instance(
        child_ids=child_ids,
        facility_ids=[str(f) for f in facility_ids.tolist()],
        capacity=_capacity(snapshot, facility_ids, seat_types, free),
        wish_ptr=wishes.ptr,
        wish_facility=fac_index,
        wish_seat_type=seat_types.of_wish,
        seat_types=seat_types.names or ["*"],
        priority=_priority(
            snapshot, rules, rows, wishes, child_ids, facility_ids, fac_index, draws
        ),
        current=_current_places(current_facility, facility_ids),
        current_seat_type=_held_seat_types(wishes, seat_types, held_quota),
        child_type=_child_bands(snapshot, rows),
        child_types=BANDS,
        wish_weight=_wish_weights(snapshot, wishes, rules),
        **_sibling_groups(snapshot, rows, wishes),
    )
    return Prepared(
        instance=instance,
        applications=app_ids,
        rows=rows,
        wish_quota=wishes.quota,
        wish_rank=wishes.rank,
        wish_mixed=wishes.mixed,
    )


def _wish_weights(snapshot: Snapshot, wishes: _Wishes, rules: AllocationRules) -> np.ndarray | None:
    """Places each entry takes in its pool: the rule set's weight for an under-3 child in a
    mixed group, 1 everywhere else (None without mixed groups: the engine's unit weights)."""
    if not wishes.mixed.any():
        return None
    rows = np.unique(wishes.child_row[wishes.mixed])
    under3 = np.zeros(len(snapshot["band"]), dtype=bool)
    under3[rows] = [snapshot["band"][r] == "u3" for r in rows.tolist()]
    heavy = wishes.mixed & under3[wishes.child_row]
    return np.where(heavy, int(rules.mixed_under3_weight), 1).astype(np.int64)


def _held_seat_types(
    wishes: _Wishes, seat_types: _SeatTypes, held_quota: np.ndarray | None
) -> np.ndarray | None:
    """Seat type of the place each child holds in a re-run (-1 = none, or: its last wish at
    the facility): the entry of its offer's quota, which ends its list (``_kept_wishes``)."""
    if held_quota is None:
        return None
    child = np.repeat(np.arange(held_quota.size, dtype=np.int64), np.diff(wishes.ptr))
    held = held_quota[child]
    hit = (held > 0) & (wishes.quota == held)
    out = np.full(held_quota.size, -1, dtype=np.int64)
    out[child[hit]] = seat_types.of_wish[hit]
    return out


BANDS = ["u3", "ue3", "school"]


def _sibling_groups(snapshot: Snapshot, rows: np.ndarray, wishes: _Wishes) -> dict[str, Any]:
    """The engine's ``group`` (index per child, -1 = none) and ``group_preferred`` flags.

    Members must all be among ``rows`` (a re-run leaves out placed children) and keep the
    same wish list after the cut (see ``services._in_play``); a group with fewer than two
    such members takes part as single children.
    """
    raw = snapshot.get("group")
    if not raw:
        return {}
    gid = np.asarray(raw, dtype=np.int64)[rows]
    preferred_of = np.asarray(snapshot.get("group_preferred") or [0] * len(raw))[rows]
    facility = np.asarray(snapshot["wish_facility"], dtype=np.int64)[wishes.entry]
    members: dict[int, list[int]] = defaultdict(list)
    for j in np.flatnonzero(gid).tolist():
        members[int(gid[j])].append(j)
    group = np.full(rows.size, -1, dtype=np.int64)
    preferred: list[bool] = []
    for key in sorted(members):
        ms = members[key]
        lists = [facility[wishes.ptr[j] : wishes.ptr[j + 1]].tolist() for j in ms]
        if len(ms) < 2 or any(w != lists[0] for w in lists[1:]):
            continue
        group[ms] = len(preferred)
        preferred.append(bool(preferred_of[ms[0]]))
    if not preferred:
        return {}
    return {"group": group, "group_preferred": preferred}


@dataclass(frozen=True)
class _Wishes:
    """The engine's wish entries: the snapshot's wishes the instance keeps (a re-run cuts
    some), a wish for a facility with mixed-group places giving up to two."""

    entry: np.ndarray  # snapshot wish entry per engine entry
    ptr: np.ndarray  # CSR pointers of the engine entries per child
    child_row: np.ndarray  # snapshot row per entry
    rank: np.ndarray  # 1-based rank in the child's full wish list
    quota: np.ndarray  # quota id per entry (0 = none)
    mixed: np.ndarray  # bool per entry: the quota is the facility's mixed-group places


def _kept_wishes(
    snapshot: Snapshot,
    rows: np.ndarray,
    max_rank: np.ndarray | None,
    held_quota: np.ndarray | None = None,
) -> _Wishes:
    """The engine entries of the kept wishes, best first.

    A wish with a mixed-group quota (``wish_mixed``) gives two consecutive entries for the
    same facility: its band's seats, then the mixed group. So a child takes a crèche seat
    whenever one is left for it and never uses two mixed places (under-3 weight) instead; a
    facility without seats of the child's band gives only the mixed entry. A child in a
    sibling group gets one entry per wish (the band's seats, else the mixed group's), so that
    the group's lists stay aligned position by position, as the engine needs. In a re-run a
    child holding an offer keeps its list up to the entry of the offer's quota
    (``held_quota``): it may move up (from a mixed place to its band's seats at the same
    facility, too), never down.
    """
    ptr_all = np.asarray(snapshot["wish_ptr"], dtype=np.int64)
    lengths = np.diff(ptr_all)[rows]
    if max_rank is not None:
        lengths = np.where(max_rank > 0, np.minimum(lengths, max_rank), lengths)
    starts = ptr_all[rows]
    # Wishes kept: for child j, ptr_all[rows[j]] .. + lengths[j].
    wish = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    wish = wish + np.arange(int(lengths.sum()), dtype=np.int64)
    wish_child = np.repeat(np.arange(rows.size, dtype=np.int64), lengths)
    band_q = np.asarray(snapshot["wish_quota"], dtype=np.int64)[wish]
    mixed_q = np.asarray(_array(snapshot, "wish_mixed"), dtype=np.int64)[wish]
    has_mixed = mixed_q != 0
    if has_mixed.any() and snapshot.get("group"):
        group = np.asarray(snapshot["group"], dtype=np.int64)
        single = group[rows][wish_child] != 0  # sibling group members: one entry per wish
        has_mixed &= ~(single & (band_q != 0))
    if has_mixed.any():
        has_band = (band_q != 0) | ~has_mixed
        count = has_band.astype(np.int64) + has_mixed
        of = np.repeat(np.arange(wish.size, dtype=np.int64), count)  # kept wish per entry
        second = np.arange(of.size) - np.repeat(np.cumsum(count) - count, count) == 1
        mixed = second | ~has_band[of]
        quota = np.where(mixed, mixed_q[of], band_q[of])
    else:  # no mixed groups: one entry per wish
        of, mixed, quota = np.arange(wish.size, dtype=np.int64), has_mixed, band_q
    child = wish_child[of]
    keep = _cut_at_held(child, quota, rows.size, held_quota)
    of, mixed, quota, child = of[keep], mixed[keep], quota[keep], child[keep]
    entry = wish[of]
    child_row = rows[child]
    return _Wishes(
        entry=entry,
        ptr=np.concatenate([[0], np.cumsum(np.bincount(child, minlength=rows.size))]).astype(
            np.int64
        ),
        child_row=child_row,
        rank=entry - ptr_all[child_row] + 1,
        quota=quota,
        mixed=mixed,
    )


def _cut_at_held(
    child: np.ndarray, quota: np.ndarray, n: int, held_quota: np.ndarray | None
) -> np.ndarray:
    """Mask of the entries kept: a child holding an offer keeps its entries up to the one of
    the offer's quota (the rank cut leaves a mixed entry behind a held band seat)."""
    if held_quota is None:
        return np.ones(child.size, dtype=bool)
    held = held_quota[child]
    hit = np.flatnonzero((held > 0) & (quota == held))
    last = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(last, child[hit], hit)
    return np.arange(child.size) <= last[child]


@dataclass(frozen=True)
class _SeatTypes:
    """Seat type names ("<band>/<YYYY-MM>") and the seat type of every kept wish."""

    names: list[str]
    index: dict[str, int]
    of_wish: np.ndarray


def _seat_types(snapshot: Snapshot, wishes: _Wishes) -> _SeatTypes:
    """Band/start of the wish's quota, or band/desired start for a wish without seats (its
    pool has capacity 0, so the engine reports "no_capacity")."""
    q = snapshot["quota"]
    quota_pos = {qid: i for i, qid in enumerate(q["id"])}
    band, desired = snapshot["band"], snapshot["desired_start"]
    names: list[str] = []
    index: dict[str, int] = {}
    of_wish = np.empty(wishes.entry.size, dtype=np.int64)
    for j, (qid, row) in enumerate(
        zip(wishes.quota.tolist(), wishes.child_row.tolist(), strict=True)
    ):
        if qid:
            i = quota_pos[qid]
            name = f"{q['band'][i]}/{q['start'][i][:7]}"
        else:
            name = f"{band[row]}/{desired[row][:7]}"
        t = index.get(name)
        if t is None:
            t = index[name] = len(names)
            names.append(name)
        of_wish[j] = t
    return _SeatTypes(names=names, index=index, of_wish=of_wish)


def _capacity(
    snapshot: Snapshot,
    facility_ids: np.ndarray,
    seat_types: _SeatTypes,
    free: dict[int, int] | None,
) -> np.ndarray:
    """Free seats per (facility, seat type): the snapshot's, or the live ones of a re-run."""
    q = snapshot["quota"]
    quota_free = [free.get(i, 0) for i in q["id"]] if free is not None else q["free"]
    capacity = np.zeros((facility_ids.size, max(len(seat_types.names), 1)), dtype=np.int64)
    if not q["id"]:
        return capacity
    qfac = np.searchsorted(facility_ids, np.asarray(q["facility"], dtype=np.int64))
    for i in range(len(q["id"])):
        f = int(qfac[i])
        t = seat_types.index.get(f"{q['band'][i]}/{q['start'][i][:7]}")
        if f < facility_ids.size and facility_ids[f] == q["facility"][i] and t is not None:
            capacity[f, t] = int(quota_free[i])
    return capacity


def _priority(
    snapshot: Snapshot,
    rules: AllocationRules,
    rows: np.ndarray,
    wishes: _Wishes,
    child_ids: list[str],
    facility_ids: np.ndarray,
    fac_index: np.ndarray,
    draws: list[list[Any]] | None = None,
) -> CriteriaPriority:
    """The rule set's criteria in order, then the published lottery (one or per facility).

    Without ``draws`` the lottery is drawn over the children of this instance (the published
    run and simulations: all rows of the snapshot). A re-run passes the round's draws, so the
    numbers are the published run's and never drawn again over the smaller set in play."""
    criteria = []
    late = snapshot.get("wish_late")
    if late and any(late):
        # A wish added after the snapshot comes after every frozen wish at its facility,
        # whatever the rules say (docs/applications.md, "A wish after the deadline"): it can
        # never take a seat from a child who wished it in time.
        criteria.append(
            Criterion(
                name=LATE_WISH,
                values=np.asarray(late, dtype=np.int64)[wishes.entry],
                per_wish=True,
                higher_is_better=False,
            )
        )
    for name in rules.criteria:
        if name not in CRITERIA:
            continue
        key, per_wish, higher = CRITERIA[name]
        values = np.asarray(snapshot[key], dtype=np.int64)
        values = values[wishes.entry] if per_wish else values[rows]
        criteria.append(
            Criterion(name=name, values=values, per_wish=per_wish, higher_is_better=higher)
        )
    seed = int(rules.lottery_seed)
    frozen = tuple(tuple(d) for d in draws) if draws is not None else None
    if rules.tie_breaking == "multiple":
        lottery = multiple_lottery(
            child_ids,
            [str(f) for f in facility_ids.tolist()],
            wishes.ptr,
            fac_index,
            seed,
            draws=frozen,
        )
        return CriteriaPriority(
            criteria=tuple(criteria),
            lottery=lottery,
            lottery_per_wish=True,
            seed=seed,
            tie_breaking="multiple",
            draws=frozen,
        )
    lottery = single_lottery(child_ids, seed, draws=frozen)
    return CriteriaPriority(criteria=tuple(criteria), lottery=lottery, seed=seed, draws=frozen)


#: The criterion a re-run puts first when a child added a wish after the snapshot.
LATE_WISH = "late_wish"


def draw_members(
    snapshot: Snapshot, rows: Iterable[int], tie_breaking: str, *, late: bool = False
) -> list[Any]:
    """The lottery members of these snapshot rows, as the engine draws them: application ids
    (single tie-breaking) or the distinct [facility id, application id] pairs of their wish
    lists (multiple), as strings. The pairs of wishes added after the snapshot (``wish_late``)
    only with ``late`` — the published draw never had them."""
    apps, ptr, fac = snapshot["application"], snapshot["wish_ptr"], snapshot["wish_facility"]
    if tie_breaking != "multiple":
        return [str(apps[r]) for r in rows]
    flags = _array(snapshot, "wish_late")
    pairs = {
        (str(fac[e]), str(apps[r]))
        for r in rows
        for e in range(ptr[r], ptr[r + 1])
        if late or not flags[e]
    }
    return [list(p) for p in sorted(pairs)]


def lottery_draws(
    snapshot: Snapshot, on_time: int, tie_breaking: str, late: list[list[Any]]
) -> list[list[Any]]:
    """The lottery of a re-run (docs/allocation.md, "The lottery in re-runs"): draw 0 over the
    published run's rows (the first ``on_time`` rows of the snapshot, all of them, also the
    children no longer in play), then ``late``: one draw per batch of late applications, in
    the order they joined (stored with the runs, :class:`~lotse.allocation.models.Run`)."""
    return [draw_members(snapshot, range(on_time), tie_breaking), *late]


def _current_places(
    current_facility: np.ndarray | None, facility_ids: np.ndarray
) -> np.ndarray | None:
    """Facility index of the place each child holds in a re-run (-1 = none)."""
    if current_facility is None:
        return None
    return np.where(
        current_facility >= 0,
        np.searchsorted(facility_ids, np.maximum(current_facility, 0)),
        -1,
    )


def _child_bands(snapshot: Snapshot, rows: np.ndarray) -> np.ndarray:
    band = np.asarray(snapshot["band"])[rows]
    return np.asarray([BANDS.index(b) for b in band.tolist()], dtype=np.int64)


# --------------------------------------------------------------------------- result


#: Allocation methods a rule set may choose (lotse.matching mechanisms).
MECHANISMS = ("child_da", "exact")
#: Seconds the exact mechanism may search in one run.
EXACT_TIME_LIMIT = 60.0


def run(prepared: Prepared, mechanism: str = "child_da") -> Any:
    return solve(prepared.instance, mechanism, time_limit=EXACT_TIME_LIMIT)


def published_assignment(result: Any) -> dict[str, Any]:
    """What a certificate certifies: the assignment by id, seat types, the exact report."""
    inst = result.instance
    return {
        "mechanism": result.mechanism,
        "assignment": result.assignment_by_id(),
        "seat_types": {
            cid: inst.seat_types[t]
            for cid, t in zip(inst.child_ids, result.assigned_seat_type.tolist(), strict=True)
            if t >= 0
        },
        "exact": result.exact,
    }


def certificate(
    snapshot: Snapshot, rules: AllocationRules, published: dict[str, Any] | None
) -> dict[str, Any]:
    """The fairness certificate of the published run (docs/matching.md): the instance compiled
    from the stored snapshot with the published rules and seed, the assignment stored when it
    was published, the stability result. Children appear by application id, facilities by
    directory id (no names). Anyone can check it with ``python -m lotse.matching verify``.

    Rounds published before the assignment was stored: the (deterministic) DA run is
    recomputed. Re-runs depend on the live state of the offers and are not covered yet.
    """
    prepared = build(snapshot, rules)
    if published is None:
        return make_certificate(instance_to_dict(prepared.instance), run(prepared))
    return make_certificate(instance_to_dict(prepared.instance), stored_result(prepared, published))


def stored_result(prepared: Prepared, published: dict[str, Any]) -> Result:
    """The result stored by :func:`published_assignment`, on the instance it was computed on
    (the run the planner reviewed is published as it was, even if the solver is not
    deterministic under a time limit)."""
    assigned, not_wished = read_assignment(prepared.instance, published)
    if not_wished:
        raise ValueError("the stored assignment does not fit the snapshot")
    return Result(
        instance=prepared.instance,
        mechanism=published.get("mechanism", "child_da"),
        assigned_wish=assigned,
        rounds=0,
        exact=published.get("exact"),
    )


def run_diff(before: dict[int, int | None], after: dict[int, int | None]) -> dict[str, Any]:
    """What a run changes for the families, by application id: who gains an offer (none
    before), who loses one (none after), who changes facility; counts of each and of those who
    keep what they had. ``before``/``after``: application id → facility id or None."""
    gain, lose, change = [], [], []
    same = 0
    for app in sorted(set(before) | set(after)):
        old, new = before.get(app), after.get(app)
        if old == new:
            same += old is not None
        elif old is None:
            gain.append([app, new])
        elif new is None:
            lose.append([app, old])
        else:
            change.append([app, old, new])
    return {
        "gain": gain,
        "lose": lose,
        "change": change,
        "counts": {"gain": len(gain), "lose": len(lose), "change": len(change), "same": same},
    }


def stability(result: Any) -> dict[str, Any]:
    report = check(result.instance, result.assigned_wish)
    return {"feasible": report.feasible, "blocking_pairs": report.blocking_pairs}


def together_of(prepared: Prepared, result: Any) -> dict[int, dict[str, Any]]:
    """Per child index in a sibling group: the other members' application ids, "required" or
    "preferred", and whether the run placed them "together" (all at one shared wish) or
    "apart" (``Outcome.together``; the family reads it through ``explain.together_text``)."""
    inst = prepared.instance
    if not inst.has_groups:
        return {}
    outcome = GroupOutcome.of(inst, result.assigned_wish)
    gptr, members = inst.group_members
    out: dict[int, dict[str, Any]] = {}
    for g in range(inst.n_groups):
        ms = members[gptr[g] : gptr[g + 1]].tolist()
        apps = [int(prepared.applications[c]) for c in ms]
        for c, app in zip(ms, apps, strict=True):
            out[c] = {
                "with": [a for a in apps if a != app],
                "together": "preferred" if inst.group_preferred[g] else "required",
                "placed": "together" if outcome.together[g] >= 0 else "apart",
            }
    return out


def waiting_positions(
    prepared: Prepared, result: Any, children: np.ndarray | None = None
) -> dict[int, list[tuple[int, int]]]:
    """Per child index: (facility id, position) on the waiting list of each better wish.

    The waiting list of a pool is every child that prefers it to what it got, in the pool's
    priority order; position 1 is next in line when a seat there frees up. ``children``: only
    these child indices are listed (positions still count everyone).
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
    if children is not None:
        wanted = np.zeros(inst.n_children, dtype=bool)
        wanted[children] = True
        keep = wanted[inst.wish_child[sorted_entries]]
        sorted_entries, position = sorted_entries[keep], position[keep]
    best: dict[tuple[int, int], int] = {}
    for e, pos in zip(sorted_entries.tolist(), position.tolist(), strict=True):
        key = (int(inst.wish_child[e]), int(fac_ids[int(inst.wish_facility[e])]))
        # A child waiting at a facility both for its band's seats and for the mixed group:
        # one position, the better one (where a freed place reaches it first).
        best[key] = min(pos, best.get(key, pos))
    for (child, facility), pos in best.items():
        out[child].append((facility, pos))
    return out


def pool_digests(prepared: Prepared, result: Any) -> dict[str, str]:
    """Per seat pool ("<facility id>/<seat type>"), a digest of everything the stored outcome of
    a child wishing it depends on there: the free seats, the admitted children in priority
    order with their weights, the children waiting for it (wished above what they got) in
    priority order. A re-run compares them with the last run's (:func:`changed_children`)."""
    inst = prepared.instance
    aw = np.asarray(result.assigned_wish, dtype=np.int64)
    admitted = aw[aw >= 0]
    limit = np.where(aw >= 0, aw, inst.wish_ptr[1:])
    better = np.flatnonzero(np.arange(inst.n_wishes) < limit[inst.wish_child])
    entries = np.concatenate([admitted, better]).astype(np.int64)
    kind = np.concatenate([np.zeros(admitted.size, np.int64), np.ones(better.size, np.int64)])
    pool = inst.wish_pool[entries]
    order = np.lexsort((inst.wish_rank[entries], kind, pool))
    entries, kind, pool = entries[order], kind[order], pool[order]
    records = np.stack(
        [
            kind,
            prepared.applications[inst.wish_child[entries]],
            inst.wish_weight[entries],
            inst.wish_rank[entries] >= 0,
        ],
        axis=1,
    ).astype(np.int64)
    used = np.unique(inst.wish_pool)
    lo = np.searchsorted(pool, used, side="left")
    hi = np.searchsorted(pool, used, side="right")
    capacity = inst.pool_capacity[used]
    k = inst.n_seat_types
    out: dict[str, str] = {}
    for q, a, b, cap in zip(
        used.tolist(), lo.tolist(), hi.tolist(), capacity.tolist(), strict=True
    ):
        digest = hashlib.blake2b(records[a:b].tobytes(), digest_size=10, salt=b"pool")
        digest.update(cap.to_bytes(8, "little", signed=True))
        out[f"{inst.facility_ids[q // k]}/{inst.seat_types[q % k]}"] = digest.hexdigest()
    return out


def changed_children(prepared: Prepared, before: dict[str, str], now: dict[str, str]) -> np.ndarray:
    """Child indices whose stored outcome may differ from the last run's: those with a wish in
    a pool whose digest changed (or that is new), with their whole sibling group."""
    inst = prepared.instance
    k = inst.n_seat_types
    used, inverse = np.unique(inst.wish_pool, return_inverse=True)
    changed_pool = np.asarray(
        [
            before.get(key) != now.get(key)
            for key in (
                f"{inst.facility_ids[q // k]}/{inst.seat_types[q % k]}" for q in used.tolist()
            )
        ],
        dtype=bool,
    )
    hit = np.zeros(inst.n_children, dtype=bool)
    if changed_pool.size:
        hit[inst.wish_child[changed_pool[inverse.reshape(-1)]]] = True
    if inst.has_groups:
        groups = np.unique(inst.group[hit & (inst.group >= 0)])
        hit |= np.isin(inst.group, groups) & (inst.group >= 0)
    return np.flatnonzero(hit)


def child_results(prepared: Prepared, result: Any) -> dict[str, list[int | None]]:
    """Per application id: [facility id, rank of that wish in the family's list] or
    [None, None] — what a simulation keeps so two rule sets can be compared child by child."""
    aw = result.assigned_wish.tolist()
    fac_ids = prepared.instance.facility_ids
    out: dict[str, list[int | None]] = {}
    for app_id, wish in zip(prepared.applications.tolist(), aw, strict=True):
        if wish < 0:
            out[str(app_id)] = [None, None]
        else:
            facility = int(fac_ids[int(prepared.instance.wish_facility[wish])])
            out[str(app_id)] = [facility, int(prepared.wish_rank[wish])]
    return out


def district_and_band_stats(snapshot: Snapshot, prepared: Prepared, result: Any) -> dict[str, Any]:
    """Shares with 1st, 2nd, … wish and unassigned children by home district and seat type."""
    inst = prepared.instance
    aw = result.assigned_wish
    got = aw >= 0
    # The family's wish rank (a wish with mixed-group places is two engine entries).
    position = np.zeros(aw.size, dtype=np.int64)
    position[got] = prepared.wish_rank[aw[got]]
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


# --------------------------------------------------------------------------- what-if

#: Places of one typical group per seat type, for "+1 group" in the what-if (Krippe 10
#: under-3 children, Elementar 20 from 3 to school entry, Hort 20 school children, a mixed
#: group 1 to 6 years 15 places — the directory import's sizes). Stated on the what-if page.
GROUP_SIZE = {"u3": 10, "ue3": 20, "school": 20, "mixed": 15}


def _rows_for(snapshot: Snapshot, seat_type: str) -> list[int]:
    """Snapshot rows that can use seats of ``seat_type``: the age band's children, or for a
    mixed group those from their first birthday to school entry."""
    if seat_type == SeatType.MIXED:
        return [i for i, ok in enumerate(_array(snapshot, "mixed_age")) if ok]
    return [i for i, b in enumerate(snapshot["band"]) if b == seat_type]


@dataclass(frozen=True)
class WhatIf:
    """Baseline and changed outcome of a what-if run on a snapshot (nothing is written)."""

    seats_added: int
    placed: tuple[int, int]  # (baseline, with the change)
    first_wish: tuple[int, int]
    children: int
    seconds: float
    facility: int = 0  # the facility that got the seats (id)
    band: str = ""

    @property
    def more_placed(self) -> int:
        return self.placed[1] - self.placed[0]

    @property
    def more_first_wish(self) -> int:
        return self.first_wish[1] - self.first_wish[0]


def _with_seats(
    snapshot: Snapshot, *, facility: int, band: str, seats: int
) -> tuple[Snapshot, int]:
    """A copy of the snapshot with ``seats`` more (or fewer) free seats of ``band`` at a facility.

    The seats go to that facility's quota of the band with the earliest start (so they are
    there from the start of the round). A facility without seats of the band gets a new quota
    (id -1) from the earliest desired start of the round, which the wishes of the band's
    children for that facility then use. Capacities never drop below zero. Returns the copy
    and the seats actually added.
    """
    q = snapshot["quota"]
    matching = [
        (start, qid)
        for qid, fac, b, start in zip(q["id"], q["facility"], q["band"], q["start"], strict=True)
        if fac == facility and b == band
    ]
    changed = cast(Snapshot, dict(snapshot))
    quota: QuotaArrays = {k: list(v) for k, v in q.items()}  # type: ignore[misc]
    if matching:
        i = quota["id"].index(min(matching)[1])
        before = quota["free"][i]
        quota["free"][i] = max(0, before + seats)
        changed["quota"] = quota
        return changed, quota["free"][i] - before
    added = max(0, seats)
    starts = sorted(snapshot["desired_start"])
    quota["id"].append(-1)
    quota["facility"].append(facility)
    quota["band"].append(band)
    quota["start"].append(starts[0] if starts else timezone.localdate().replace(day=1).isoformat())
    quota["free"].append(added)
    changed["quota"] = quota
    key = "wish_mixed" if band == SeatType.MIXED else "wish_quota"
    wish_quota = list(_array(snapshot, key))
    ptr = snapshot["wish_ptr"]
    for row in _rows_for(snapshot, band):
        for e in range(ptr[row], ptr[row + 1]):
            if snapshot["wish_facility"][e] == facility and not wish_quota[e]:
                wish_quota[e] = -1
    changed[key] = wish_quota  # type: ignore[literal-required]
    return changed, added


def _placed_and_first(snapshot: Snapshot, rules: AllocationRules) -> tuple[int, int, Any]:
    """Children placed and with their first wish under deferred acceptance, and the result."""
    prepared = build(snapshot, rules)
    result = run(prepared)
    aw = result.assigned_wish
    first = int(np.count_nonzero(prepared.wish_rank[aw[aw >= 0]] == 1))
    return result.stats.assigned, first, (prepared, result)


def what_if(
    snapshot: Snapshot, rules: AllocationRules, *, facility: int, band: str, seats: int
) -> WhatIf:
    """Re-run the allocation with ``seats`` more (or fewer) seats of an age band at a facility
    (see :func:`_with_seats`). Always deferred acceptance, so that the answer comes in seconds.
    """
    started = time.perf_counter()
    if (
        not any(f == facility for f in snapshot["wish_facility"])
        and facility not in snapshot["quota"]["facility"]
    ):
        raise ValueError("the facility is not in the snapshot")
    before = _placed_and_first(snapshot, rules)
    return _what_if_result(
        snapshot, rules, before, started=started, facility=facility, band=band, seats=seats
    )


def what_if_group(
    snapshot: Snapshot,
    rules: AllocationRules,
    *,
    facility_district: dict[int, int | None],
    district: int,
    band: str,
) -> WhatIf:
    """ "+1 group in district Y": :data:`GROUP_SIZE` places of ``band`` at one facility there.

    The group goes where it helps most: the facility of the district with the most children
    of the band left without a place who wished it (then: wished by the most children of the
    band, then the lowest id). ``facility_district`` maps the snapshot's facilities to their
    district. Raises ``ValueError`` when no child of the band wished a facility there.
    """
    started = time.perf_counter()
    placed0, first0, (prepared, result) = _placed_and_first(snapshot, rules)
    unplaced = set(np.flatnonzero(result.assigned_wish < 0).tolist())
    rows_band = set(_rows_for(snapshot, band))
    score: dict[int, tuple[int, int]] = {}
    ptr = snapshot["wish_ptr"]
    # prepared.rows is the identity for a full build: child index == snapshot row.
    for row in rows_band:
        for e in range(ptr[row], ptr[row + 1]):
            fac = snapshot["wish_facility"][e]
            if facility_district.get(fac) != district:
                continue
            waiting, wished = score.get(fac, (0, 0))
            score[fac] = (waiting + (row in unplaced), wished + 1)
    if not score:
        raise ValueError("no child of this age band wished a facility in the district")
    facility = max(score, key=lambda f: (*score[f], -f))
    return _what_if_result(
        snapshot,
        rules,
        (placed0, first0, (prepared, result)),
        started=started,
        facility=facility,
        band=band,
        seats=GROUP_SIZE[band],
    )


def _what_if_result(
    snapshot: Snapshot,
    rules: AllocationRules,
    before: tuple[int, int, Any],
    *,
    started: float,
    facility: int,
    band: str,
    seats: int,
) -> WhatIf:
    """Add ``seats`` of ``band`` at ``facility``, re-run, and compare with ``before``."""
    placed0, first0, _ = before
    changed, added = _with_seats(snapshot, facility=facility, band=band, seats=seats)
    placed1, first1, _ = _placed_and_first(changed, rules)
    return WhatIf(
        seats_added=added,
        placed=(placed0, placed1),
        first_wish=(first0, first1),
        children=len(snapshot["application"]),
        seconds=time.perf_counter() - started,
        facility=facility,
        band=band,
    )
