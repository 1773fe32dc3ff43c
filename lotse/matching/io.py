"""JSON instance and result formats (see docs/matching.md), with validation.

Every problem raises :class:`~lotse.matching.instance.InstanceError` whose message names the
offending item (``child 'c7': wish 3 names unknown facility 'f99'``), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .check import CheckReport
from .instance import (
    ANY_SEAT_TYPE,
    CriteriaPriority,
    Criterion,
    Instance,
    InstanceError,
    ListPriority,
    build_instance,
)
from .lottery import multiple_lottery, single_lottery
from .mechanisms import Result

__all__ = [
    "instance_from_dict",
    "load_json",
    "read_assignment",
    "result_to_dict",
]


def load_json(path: str | Path) -> Any:
    """Read a JSON file; I/O and syntax errors become :class:`InstanceError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InstanceError(f"{path}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(
            f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def _id(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise InstanceError(f"{what}: id must be a non-empty string, got {value!r}")
    return str(value)


def _count(value: Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InstanceError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return value


def _seed(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InstanceError(f"{what} must be a non-negative integer, got {value!r}")
    return value


def _number(value: Any, what: str) -> float:
    """A criterion value: number, boolean, or ISO date (as its ordinal day number)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        if value != value:  # NaN
            raise InstanceError(f"{what}: NaN is not a valid value")
        return float(value)
    if isinstance(value, str):
        try:
            return float(dt.date.fromisoformat(value).toordinal())
        except ValueError:
            pass
    raise InstanceError(f"{what}: expected a number, true/false or an ISO date, got {value!r}")


def instance_from_dict(data: Any, *, seed: int | None = None) -> Instance:
    """Validate a decoded JSON instance and build the :class:`Instance`.

    ``seed`` overrides ``lottery.seed`` of the instance (criteria priorities only).
    """
    if not isinstance(data, Mapping):
        raise InstanceError("instance: the top level must be a JSON object")
    for key in ("facilities", "children"):
        if not isinstance(data.get(key), list):
            raise InstanceError(f"instance: {key!r} must be a list")
    has_lists, has_criteria = "priorities" in data, "criteria" in data
    if has_lists == has_criteria:
        raise InstanceError(
            "instance: give either 'priorities' (explicit lists) or 'criteria', not both/neither"
        )

    # Facilities and seat types.
    facility_ids: list[str] = []
    fac_index: dict[str, int] = {}
    caps: list[int | dict[str, int]] = []
    type_names: set[str] = set()
    for i, item in enumerate(data["facilities"]):
        if not isinstance(item, Mapping):
            raise InstanceError(f"facility #{i + 1}: must be an object")
        fid = _id(item.get("id"), f"facility #{i + 1}")
        if fid in fac_index:
            raise InstanceError(f"facility {fid!r}: duplicate id")
        raw = item.get("capacity")
        if isinstance(raw, Mapping):
            per_type = {
                str(t): _count(v, f"facility {fid!r}: capacity of seat type {t!r}")
                for t, v in raw.items()
            }
            type_names.update(per_type)
            cap: int | dict[str, int] = per_type
        else:
            cap = _count(raw, f"facility {fid!r}: capacity")
            type_names.add(ANY_SEAT_TYPE)
        fac_index[fid] = len(facility_ids)
        facility_ids.append(fid)
        caps.append(cap)
    seat_types = sorted(type_names, key=lambda t: (t != ANY_SEAT_TYPE, t))
    type_index = {t: k for k, t in enumerate(seat_types)}
    capacity = np.zeros((len(facility_ids), max(len(seat_types), 1)), dtype=np.int64)
    if not seat_types:
        seat_types = [ANY_SEAT_TYPE]
    for f, cap in enumerate(caps):
        if isinstance(cap, dict):
            for t, v in cap.items():
                capacity[f, type_index[t]] = v
        else:
            capacity[f, type_index[ANY_SEAT_TYPE]] = cap

    # Children and their wishes.
    child_ids: list[str] = []
    child_index: dict[str, int] = {}
    wish_ptr = [0]
    wish_fac: list[int] = []
    wish_type: list[int] = []
    weights: list[int] = []
    current: list[int] = []
    child_type_names: list[str] = []
    raw_children: list[Mapping[str, Any]] = []
    for i, item in enumerate(data["children"]):
        if not isinstance(item, Mapping):
            raise InstanceError(f"child #{i + 1}: must be an object")
        cid = _id(item.get("id"), f"child #{i + 1}")
        if cid in child_index:
            raise InstanceError(f"child {cid!r}: duplicate id")
        what = f"child {cid!r}"
        wishes = item.get("wishes")
        if not isinstance(wishes, list):
            raise InstanceError(f"{what}: 'wishes' must be a list")
        own_type = item.get("seat_type")
        own_scope = item.get("care_scope")
        for name, val in (("seat_type", own_type), ("care_scope", own_scope)):
            if val is not None and not isinstance(val, str):
                raise InstanceError(f"{what}: {name!r} must be a string")
        weights.append(_count(item.get("weight", 1), f"{what}: weight", minimum=1))
        cur_raw = item.get("current")
        cur = -1
        if cur_raw is not None:
            cur_id = _id(cur_raw, f"{what}: current")
            if cur_id not in fac_index:
                raise InstanceError(f"{what}: current place {cur_id!r} is an unknown facility")
            cur = fac_index[cur_id]
        seen: set[tuple[int, int]] = set()
        entries = list(wishes)
        if cur >= 0 and not any(
            (w if not isinstance(w, Mapping) else w.get("facility")) == facility_ids[cur]
            for w in wishes
        ):
            # The current place is kept as the last wish.
            entries.append(facility_ids[cur])
        for j, wish in enumerate(entries):
            wwhat = f"{what}: wish {j + 1}"
            scope, stype = own_scope, own_type
            if isinstance(wish, Mapping):
                fid = _id(wish.get("facility"), wwhat)
                scope = wish.get("care_scope", scope)
                stype = wish.get("seat_type", stype)
                for key, val in (("care_scope", scope), ("seat_type", stype)):
                    if val is not None and not isinstance(val, str):
                        raise InstanceError(f"{wwhat}: {key!r} must be a string")
            else:
                fid = _id(wish, wwhat)
            if fid not in fac_index:
                raise InstanceError(f"{wwhat} names unknown facility {fid!r}")
            f = fac_index[fid]
            if isinstance(caps[f], int):
                t_idx = type_index[ANY_SEAT_TYPE]
            else:
                if stype is None:
                    raise InstanceError(
                        f"{wwhat}: facility {fid!r} counts seats per seat type, so the child "
                        "needs a 'seat_type'"
                    )
                name = f"{stype}/{scope}" if scope else str(stype)
                if name not in type_index or name == ANY_SEAT_TYPE:
                    raise InstanceError(f"{wwhat}: seat type {name!r} is offered by no facility")
                t_idx = type_index[name]
            if (f, t_idx) in seen:
                raise InstanceError(f"{what}: facility {fid!r} is wished twice")
            seen.add((f, t_idx))
            wish_fac.append(f)
            wish_type.append(t_idx)
        child_index[cid] = len(child_ids)
        child_ids.append(cid)
        wish_ptr.append(len(wish_fac))
        current.append(cur)
        child_type_names.append(str(own_type) if own_type is not None else ANY_SEAT_TYPE)
        raw_children.append(item)

    ctypes = sorted(set(child_type_names))
    ctype_index = {t: k for k, t in enumerate(ctypes)}
    ptr = np.asarray(wish_ptr, dtype=np.int64)
    fac_arr = np.asarray(wish_fac, dtype=np.int32)
    groups = _groups(data.get("sibling_groups"), child_index)

    if has_lists:
        priority: ListPriority | CriteriaPriority = _list_priority(
            data["priorities"], fac_index, child_index, ptr, fac_arr
        )
    else:
        priority = _criteria_priority(
            data, raw_children, child_ids, facility_ids, fac_index, ptr, fac_arr, seed
        )
    return build_instance(
        child_ids=child_ids,
        facility_ids=facility_ids,
        seat_types=seat_types,
        capacity=capacity,
        wish_ptr=ptr,
        wish_facility=fac_arr,
        wish_seat_type=np.asarray(wish_type, dtype=np.int32),
        weight=weights,
        group=groups,
        current=current,
        child_type=[ctype_index[t] for t in child_type_names],
        child_types=ctypes,
        priority=priority,
    )


def _groups(raw: Any, child_index: dict[str, int]) -> np.ndarray:
    groups = np.full(len(child_index), -1, dtype=np.int64)
    if raw is None:
        return groups
    if not isinstance(raw, list):
        raise InstanceError("instance: 'sibling_groups' must be a list of lists of child ids")
    for g, members in enumerate(raw):
        if not isinstance(members, list) or len(members) < 2:
            raise InstanceError(f"sibling group #{g + 1}: must list at least two child ids")
        for cid in members:
            cid = _id(cid, f"sibling group #{g + 1}")
            if cid not in child_index:
                raise InstanceError(f"sibling group #{g + 1}: unknown child {cid!r}")
            c = child_index[cid]
            if groups[c] >= 0:
                raise InstanceError(f"child {cid!r}: in more than one sibling group")
            groups[c] = g
    return groups


def _list_priority(
    raw: Any,
    fac_index: dict[str, int],
    child_index: dict[str, int],
    ptr: np.ndarray,
    fac_arr: np.ndarray,
) -> ListPriority:
    if not isinstance(raw, Mapping):
        raise InstanceError("instance: 'priorities' must map facility ids to lists of child ids")
    positions: list[dict[int, int]] = [{} for _ in fac_index]
    for fid, lst in raw.items():
        if fid not in fac_index:
            raise InstanceError(f"priorities: unknown facility {fid!r}")
        if not isinstance(lst, list):
            raise InstanceError(f"priorities of {fid!r}: must be a list of child ids")
        pos = positions[fac_index[fid]]
        for j, cid in enumerate(lst):
            cid = _id(cid, f"priorities of {fid!r}")
            if cid not in child_index:
                raise InstanceError(f"priorities of {fid!r}: unknown child {cid!r}")
            c = child_index[cid]
            if c in pos:
                raise InstanceError(f"priorities of {fid!r}: child {cid!r} is listed twice")
            pos[c] = j
    position = np.full(fac_arr.size, -1, dtype=np.int64)
    for c in range(ptr.size - 1):
        for e in range(int(ptr[c]), int(ptr[c + 1])):
            position[e] = positions[int(fac_arr[e])].get(c, -1)
    return ListPriority(position=position)


def _criteria_priority(
    data: Mapping[str, Any],
    children: list[Mapping[str, Any]],
    child_ids: list[str],
    facility_ids: list[str],
    fac_index: dict[str, int],
    ptr: np.ndarray,
    fac_arr: np.ndarray,
    seed: int | None,
) -> CriteriaPriority:
    raw = data["criteria"]
    if not isinstance(raw, list):
        raise InstanceError("instance: 'criteria' must be a list")
    n, nnz = len(children), fac_arr.size
    child_of = np.repeat(np.arange(n), np.diff(ptr))
    criteria: list[Criterion] = []
    names: set[str] = set()
    for i, spec in enumerate(raw):
        if isinstance(spec, str):
            spec = {"name": spec}
        if not isinstance(spec, Mapping):
            raise InstanceError(f"criterion #{i + 1}: must be a name or an object")
        name = _id(spec.get("name"), f"criterion #{i + 1}")
        if name in names or name in ("lottery", "current_place"):
            raise InstanceError(f"criterion {name!r}: duplicate or reserved name")
        names.add(name)
        better = spec.get("better", "higher")
        if better not in ("higher", "lower"):
            raise InstanceError(f"criterion {name!r}: 'better' must be 'higher' or 'lower'")
        higher = better == "higher"
        per_child = np.full(n, np.nan)
        per_wish: np.ndarray | None = None
        for c, item in enumerate(children):
            crits = item.get("criteria", {})
            if not isinstance(crits, Mapping):
                raise InstanceError(f"child {child_ids[c]!r}: 'criteria' must be an object")
            if name not in crits:
                continue
            value = crits[name]
            what = f"child {child_ids[c]!r}: criterion {name!r}"
            if isinstance(value, list | Mapping):
                # Facility-specific: a list of facility ids (value 1 there, 0 elsewhere) or an
                # object {facility id: value} (0 for facilities not named).
                mapping = (
                    {_id(f, what): 1.0 for f in value}
                    if isinstance(value, list)
                    else {_id(f, what): _number(v, what) for f, v in value.items()}
                )
                for fid in mapping:
                    if fid not in fac_index:
                        raise InstanceError(f"{what}: unknown facility {fid!r}")
                if per_wish is None:
                    per_wish = np.full(nnz, np.nan)
                for e in range(int(ptr[c]), int(ptr[c + 1])):
                    per_wish[e] = mapping.get(facility_ids[int(fac_arr[e])], 0.0)
            else:
                per_child[c] = _number(value, what)
        if per_wish is not None:
            # A facility-specific criterion is 0 wherever a child does not name the facility.
            values = np.where(np.isnan(per_wish), np.nan_to_num(per_child)[child_of], per_wish)
        else:
            values = per_child
        given = values[~np.isnan(values)]
        # A missing (per-child) value ranks below every given value.
        if given.size:
            worst = given.min() - 1 if higher else given.max() + 1
        else:
            worst = 0.0
        values = np.where(np.isnan(values), worst, values)
        if np.all(values == np.round(values)):
            values = values.astype(np.int64)
        criteria.append(
            Criterion(
                name=name, values=values, per_wish=per_wish is not None, higher_is_better=higher
            )
        )

    lottery = data.get("lottery", {})
    if not isinstance(lottery, Mapping):
        raise InstanceError("instance: 'lottery' must be an object")
    if seed is None:
        seed = _seed(lottery.get("seed", 0), "lottery: seed")
    tie = lottery.get("tie_breaking", "single")
    if tie == "single":
        numbers = single_lottery(child_ids, seed)
    elif tie == "multiple":
        numbers = multiple_lottery(child_ids, facility_ids, ptr, fac_arr, seed)
    else:
        raise InstanceError("lottery: 'tie_breaking' must be 'single' or 'multiple'")
    return CriteriaPriority(
        criteria=tuple(criteria),
        lottery=numbers,
        lottery_per_wish=tie == "multiple",
        seed=seed,
        tie_breaking=tie,
    )


# --------------------------------------------------------------------------- results


def result_to_dict(
    result: Result, *, explanations: bool = True, check: CheckReport | None = None
) -> dict[str, Any]:
    """The JSON result: assignment by id plus seat types, cut-offs, reasons, statistics."""
    inst = result.instance
    out: dict[str, Any] = {
        "mechanism": result.mechanism,
        "rounds": result.rounds,
        "assignment": result.assignment_by_id(),
    }
    if inst.seat_types != (ANY_SEAT_TYPE,):
        out["seat_types"] = {
            cid: inst.seat_types[t]
            for cid, t in zip(inst.child_ids, result.assigned_seat_type.tolist(), strict=True)
            if t >= 0
        }
    prio = inst.priority
    if isinstance(prio, CriteriaPriority):
        lottery: dict[str, Any] = {"seed": prio.seed, "tie_breaking": prio.tie_breaking}
        if not prio.lottery_per_wish:
            lottery["numbers"] = dict(zip(inst.child_ids, prio.lottery.tolist(), strict=True))
        out["lottery"] = lottery
    out["cutoffs"] = result.cutoffs.to_list()
    if explanations:
        out["explanations"] = result.explanations.to_dict()
    out["stats"] = result.stats.as_dict()
    if check is not None:
        out["check"] = check.as_dict()
    return out


def read_assignment(instance: Instance, data: Any) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Map a JSON result's assignment to wish entries.

    Returns the wish entry per child (-1 = unassigned) and violations for assignments that are
    not among the child's wishes (those children count as unassigned for the blocking test).
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("assignment"), Mapping):
        raise InstanceError("result: needs an 'assignment' object {child id: facility id|null}")
    raw = data["assignment"]
    seat_types = data.get("seat_types", {})
    if not isinstance(seat_types, Mapping):
        raise InstanceError("result: 'seat_types' must be an object")
    child_index = {cid: i for i, cid in enumerate(instance.child_ids)}
    fac_index = {fid: i for i, fid in enumerate(instance.facility_ids)}
    for cid in raw:
        if cid not in child_index:
            raise InstanceError(f"result: unknown child {cid!r}")
    assigned = np.full(instance.n_children, -1, dtype=np.int64)
    violations: list[dict[str, Any]] = []
    for cid, c in child_index.items():
        if cid not in raw:
            raise InstanceError(f"result: child {cid!r} is missing from the assignment")
        fid = raw[cid]
        if fid is None:
            continue
        fid = _id(fid, f"result: child {cid!r}")
        if fid not in fac_index:
            raise InstanceError(f"result: child {cid!r} is assigned to unknown facility {fid!r}")
        f = fac_index[fid]
        want_type = seat_types.get(cid)
        matches = [
            e
            for e in instance.wishes_of(c)
            if instance.wish_facility[e] == f
            and (want_type is None or instance.seat_types[instance.wish_seat_type[e]] == want_type)
        ]
        if len(matches) > 1:
            raise InstanceError(
                f"result: child {cid!r} wishes {fid!r} with several seat types; give 'seat_types'"
            )
        if not matches:
            violations.append({"code": "not_a_wish", "child": cid, "facility": fid})
            continue
        assigned[c] = matches[0]
    return assigned, violations
