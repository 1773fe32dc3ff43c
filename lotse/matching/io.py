"""JSON instance and result formats (see docs/matching.md), with validation.

Every problem raises :class:`~lotse.matching.instance.InstanceError` whose message names the
offending item (``child 'c7': wish 3 names unknown facility 'f99'``), never a traceback.

Limits (refused beyond them, with a clear error): a JSON file of at most
:data:`MAX_JSON_BYTES`; capacities and weights up to :data:`~lotse.matching.instance.MAX_UNITS`;
criterion values finite and within ±2**53 (integers exact in every JSON reader); lottery seeds
below 2**63; nesting as deep as the JSON reader allows (about 1,000 levels; the format needs 5).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .check import CheckReport
from .instance import (
    ANY_SEAT_TYPE,
    MAX_UNITS,
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
    "MAX_JSON_BYTES",
    "instance_from_dict",
    "instance_to_dict",
    "load_json",
    "read_assignment",
    "result_to_dict",
]

#: Largest JSON file the command line reads (about 450,000 children with 10 wishes each; it
#: needs about 13 bytes of memory per byte of JSON). Larger instances: use the Python API.
MAX_JSON_BYTES = 100 * 2**20
#: Criterion values must be exact in IEEE doubles, as every JSON reader stores numbers.
MAX_CRITERION = 2**53
MAX_SEED = 2**63 - 1
# A \uXXXX escape of a UTF-16 surrogate: the only way a JSON text can hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _refuse_constant(name: str) -> Any:
    raise InstanceError(f"{name} is not a valid JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InstanceError(f"number {text[:40]} is out of range")
    return value


def load_json(path: str | Path, *, max_bytes: int | None = None) -> Any:
    """Read a JSON file; I/O, size, syntax and encoding problems become :class:`InstanceError`.

    ``max_bytes`` defaults to :data:`MAX_JSON_BYTES`.
    """
    max_bytes = MAX_JSON_BYTES if max_bytes is None else max_bytes
    try:
        size = Path(path).stat().st_size
        if size > max_bytes:
            raise InstanceError(
                f"{path}: {size / 2**20:.1f} MiB is larger than the limit of "
                f"{max_bytes / 2**20:.0f} MiB"
            )
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InstanceError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InstanceError(
            f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InstanceError(f"{path}: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more than 4,300 digits
        raise InstanceError(f"{path}: {exc}") from None
    except InstanceError as exc:
        raise InstanceError(f"{path}: {exc}") from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(data, str(path))
    return data


def _refuse_lone_surrogates(data: Any, where: str) -> None:
    """Walk the decoded JSON (without recursion) and refuse strings that are not valid Unicode."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _valid_text(item, where)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                _valid_text(key, where)
                stack.append(value)


def _valid_text(value: str, what: str) -> None:
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InstanceError(
            f"{what}: text {value.encode('utf-8', 'backslashreplace').decode()[:60]!r} holds a "
            "lone UTF-16 surrogate (invalid Unicode)"
        ) from None


def _id(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise InstanceError(f"{what}: id must be a non-empty string, got {value!r}")
    text = str(value)
    _valid_text(text, what)
    return text


def _count(value: Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_UNITS:
        shown = value if not isinstance(value, int) or abs(value) < 10**12 else f"{value:.3e}"
        raise InstanceError(
            f"{what} must be an integer between {minimum} and {MAX_UNITS}, got {shown!r}"
        )
    return value


def _seed(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise InstanceError(f"{what} must be an integer between 0 and 2**63-1, got {value!r}")
    return value


def _number(value: Any, what: str) -> float:
    """A criterion value: number, boolean, or ISO date (as its ordinal day number).

    Numbers must be finite and within ±2**53, where every integer is exact as a double: larger
    values could not be compared exactly (and differ between JSON readers).
    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        if not (isinstance(value, int) or math.isfinite(value)) or abs(value) > MAX_CRITERION:
            raise InstanceError(
                f"{what}: {value!r} is out of range (numbers must be finite and within ±2**53)"
            )
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
    _check_top_level(data)
    facilities = _read_facilities(data["facilities"])
    children = _read_children(data["children"], facilities)
    groups, preferred = _groups(data.get("sibling_groups"), children.index)
    ptr = np.asarray(children.wish_ptr, dtype=np.int64)
    fac_arr = np.asarray(children.wish_fac, dtype=np.int32)
    priority: ListPriority | CriteriaPriority
    if "priorities" in data:
        priority = _list_priority(
            data["priorities"], facilities.index, children.index, ptr, fac_arr
        )
    else:
        priority = _criteria_priority(data, children, facilities, ptr, fac_arr, seed)
    ctypes = sorted(set(children.type_names))
    ctype_index = {t: k for k, t in enumerate(ctypes)}
    return build_instance(
        child_ids=children.ids,
        facility_ids=facilities.ids,
        seat_types=facilities.seat_types,
        capacity=facilities.capacity,
        wish_ptr=ptr,
        wish_facility=fac_arr,
        wish_seat_type=np.asarray(children.wish_type, dtype=np.int32),
        weight=children.weights,
        wish_weight=children.wish_weight,
        group=groups,
        group_preferred=preferred,
        current=children.current,
        current_seat_type=children.current_type,
        child_type=[ctype_index[t] for t in children.type_names],
        child_types=ctypes,
        priority=priority,
    )


def _check_top_level(data: Any) -> None:
    if not isinstance(data, Mapping):
        raise InstanceError("instance: the top level must be a JSON object")
    for key in ("facilities", "children"):
        if not isinstance(data.get(key), list):
            raise InstanceError(f"instance: {key!r} must be a list")
    if ("priorities" in data) == ("criteria" in data):
        raise InstanceError(
            "instance: give either 'priorities' (explicit lists) or 'criteria', not both/neither"
        )


@dataclass
class _Facilities:
    """Facilities as read: ids, capacities and the seat types they offer."""

    ids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    plain: list[bool] = field(default_factory=list)  # capacity given as one number
    seat_types: list[str] = field(default_factory=list)
    type_index: dict[str, int] = field(default_factory=dict)
    capacity: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.int64))


def _read_facilities(raw: list[Any]) -> _Facilities:
    out = _Facilities()
    caps: list[int | dict[str, int]] = []
    type_names: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InstanceError(f"facility #{i + 1}: must be an object")
        fid = _id(item.get("id"), f"facility #{i + 1}")
        if fid in out.index:
            raise InstanceError(f"facility {fid!r}: duplicate id")
        cap = item.get("capacity")
        if isinstance(cap, Mapping):
            per_type = {
                _id(t, f"facility {fid!r}: seat type"): _count(
                    v, f"facility {fid!r}: capacity of seat type {t!r}"
                )
                for t, v in cap.items()
            }
            type_names.update(per_type)
            caps.append(per_type)
        else:
            caps.append(_count(cap, f"facility {fid!r}: capacity"))
            type_names.add(ANY_SEAT_TYPE)
        out.index[fid] = len(out.ids)
        out.ids.append(fid)
        out.plain.append(not isinstance(cap, Mapping))
    out.seat_types = sorted(type_names, key=lambda t: (t != ANY_SEAT_TYPE, t)) or [ANY_SEAT_TYPE]
    out.type_index = {t: k for k, t in enumerate(out.seat_types)}
    out.capacity = np.zeros((len(out.ids), len(out.seat_types)), dtype=np.int64)
    for f, c in enumerate(caps):
        for t, v in (c if isinstance(c, dict) else {ANY_SEAT_TYPE: c}).items():
            out.capacity[f, out.type_index[t]] = v
    return out


@dataclass
class _Children:
    """Children as read: ids, CSR wish lists, weights, held places, seat types."""

    ids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    wish_ptr: list[int] = field(default_factory=lambda: [0])
    wish_fac: list[int] = field(default_factory=list)
    wish_type: list[int] = field(default_factory=list)
    wish_weight: list[int] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)
    current: list[int] = field(default_factory=list)
    current_type: list[int] = field(default_factory=list)
    type_names: list[str] = field(default_factory=list)
    raw: list[Mapping[str, Any]] = field(default_factory=list)


def _read_children(raw: list[Any], facilities: _Facilities) -> _Children:
    out = _Children()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InstanceError(f"child #{i + 1}: must be an object")
        cid = _id(item.get("id"), f"child #{i + 1}")
        if cid in out.index:
            raise InstanceError(f"child {cid!r}: duplicate id")
        _read_child(cid, item, facilities, out)
    return out


def _text_or_none(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InstanceError(f"{what} must be a string")
    if value is not None:
        _valid_text(value, what)
    return value


def _read_child(cid: str, item: Mapping[str, Any], facilities: _Facilities, out: _Children) -> None:
    """One child: its wishes (best first), weight and the place it holds now, appended to out."""
    what = f"child {cid!r}"
    wishes = item.get("wishes")
    if not isinstance(wishes, list):
        raise InstanceError(f"{what}: 'wishes' must be a list")
    own_type = _text_or_none(item.get("seat_type"), f"{what}: 'seat_type'")
    own_scope = _text_or_none(item.get("care_scope"), f"{what}: 'care_scope'")
    weight = _count(item.get("weight", 1), f"{what}: weight", minimum=1)
    pools: list[tuple[int, int]] = []
    pool_weights: list[int] = []
    for j, wish in enumerate(wishes):
        pool = _wish_pool(wish, own_type, own_scope, facilities, f"{what}: wish {j + 1}")
        if pool in pools:
            raise InstanceError(f"{what}: facility {facilities.ids[pool[0]]!r} is wished twice")
        pools.append(pool)
        pool_weights.append(_wish_weight(wish, weight, f"{what}: wish {j + 1}"))
    held = (-1, -1)
    if item.get("current") is not None:
        held = _wish_pool(item["current"], own_type, own_scope, facilities, f"{what}: current")
        if held not in pools:
            pools.append(held)  # the place held now is kept as the last wish
            pool_weights.append(_wish_weight(item["current"], weight, f"{what}: current"))
    out.index[cid] = len(out.ids)
    out.ids.append(cid)
    out.wish_fac.extend(f for f, _ in pools)
    out.wish_type.extend(t for _, t in pools)
    out.wish_weight.extend(pool_weights)
    out.wish_ptr.append(len(out.wish_fac))
    out.weights.append(weight)
    out.current.append(held[0])
    out.current_type.append(held[1])
    out.type_names.append(own_type if own_type is not None else ANY_SEAT_TYPE)
    out.raw.append(item)


def _wish_weight(wish: Any, default: int, what: str) -> int:
    """A wish object may give the child's weight in that pool (e.g. 2 in a mixed group)."""
    if isinstance(wish, Mapping) and "weight" in wish:
        return _count(wish["weight"], f"{what}: weight", minimum=1)
    return default


def _wish_pool(
    wish: Any, own_type: str | None, own_scope: str | None, facilities: _Facilities, what: str
) -> tuple[int, int]:
    """(facility, seat type) index of a wish: a facility id or ``{"facility", ...}``."""
    stype, scope = own_type, own_scope
    if isinstance(wish, Mapping):
        fid = _id(wish.get("facility"), what)
        scope = _text_or_none(wish.get("care_scope", scope), f"{what}: 'care_scope'")
        stype = _text_or_none(wish.get("seat_type", stype), f"{what}: 'seat_type'")
    else:
        fid = _id(wish, what)
    if fid not in facilities.index:
        if what.endswith("current"):
            raise InstanceError(f"{what} place {fid!r} is an unknown facility")
        raise InstanceError(f"{what} names unknown facility {fid!r}")
    f = facilities.index[fid]
    if facilities.plain[f]:
        return f, facilities.type_index[ANY_SEAT_TYPE]
    if stype is None:
        raise InstanceError(
            f"{what}: facility {fid!r} counts seats per seat type, so the child needs a 'seat_type'"
        )
    name = f"{stype}/{scope}" if scope else stype
    if name not in facilities.type_index or name == ANY_SEAT_TYPE:
        raise InstanceError(f"{what}: seat type {name!r} is offered by no facility")
    return f, facilities.type_index[name]


def _groups(raw: Any, child_index: dict[str, int]) -> tuple[np.ndarray, list[bool]]:
    """Group index per child and the ``preferred`` flag per group.

    A group is a list of child ids (together required) or an object
    ``{"children": [...], "together": "required" | "preferred"}``.
    """
    groups = np.full(len(child_index), -1, dtype=np.int64)
    preferred: list[bool] = []
    if raw is None:
        return groups, preferred
    if not isinstance(raw, list):
        raise InstanceError("instance: 'sibling_groups' must be a list of lists of child ids")
    for g, spec in enumerate(raw):
        what = f"sibling group #{g + 1}"
        members, together = spec, "required"
        if isinstance(spec, Mapping):
            members, together = spec.get("children"), spec.get("together", "required")
        if together not in ("required", "preferred"):
            raise InstanceError(f"{what}: 'together' must be 'required' or 'preferred'")
        if not isinstance(members, list) or len(members) < 2:
            raise InstanceError(f"{what}: must list at least two child ids")
        for cid in members:
            cid = _id(cid, what)
            if cid not in child_index:
                raise InstanceError(f"{what}: unknown child {cid!r}")
            c = child_index[cid]
            if groups[c] >= 0:
                raise InstanceError(f"child {cid!r}: in more than one sibling group")
            groups[c] = g
        preferred.append(together == "preferred")
    return groups, preferred


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
    children: _Children,
    facilities: _Facilities,
    ptr: np.ndarray,
    fac_arr: np.ndarray,
    seed: int | None,
) -> CriteriaPriority:
    raw = data["criteria"]
    if not isinstance(raw, list):
        raise InstanceError("instance: 'criteria' must be a list")
    criteria: list[Criterion] = []
    for i, spec in enumerate(raw):
        crit = _criterion(i, spec, children, facilities, ptr, fac_arr)
        if crit.name in {c.name for c in criteria} or crit.name in ("lottery", "current_place"):
            raise InstanceError(f"criterion {crit.name!r}: duplicate or reserved name")
        criteria.append(crit)
    lottery = data.get("lottery", {})
    if not isinstance(lottery, Mapping):
        raise InstanceError("instance: 'lottery' must be an object")
    if seed is None:
        seed = _seed(lottery.get("seed", 0), "lottery: seed")
    tie = lottery.get("tie_breaking", "single")
    draws = _draws(lottery.get("draws"), pairs=tie == "multiple")
    if tie == "single":
        numbers = single_lottery(children.ids, seed, draws=draws)
    elif tie == "multiple":
        numbers = multiple_lottery(children.ids, facilities.ids, ptr, fac_arr, seed, draws=draws)
    else:
        raise InstanceError("lottery: 'tie_breaking' must be 'single' or 'multiple'")
    return CriteriaPriority(
        criteria=tuple(criteria),
        lottery=numbers,
        lottery_per_wish=tie == "multiple",
        seed=seed,
        tie_breaking=tie,
        draws=draws,
    )


def _draws(raw: Any, *, pairs: bool) -> tuple[tuple[Any, ...], ...] | None:
    """``lottery.draws`` of a re-run (see :mod:`lotse.matching.lottery`): a list of draws, each
    a list of child ids (single) or of [facility id, child id] pairs (multiple)."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(d, list) for d in raw):
        raise InstanceError("lottery: 'draws' must be a list of lists")
    if pairs:
        return tuple(tuple(tuple(m) if isinstance(m, list) else m for m in d) for d in raw)
    return tuple(tuple(d) for d in raw)


def _criterion(
    i: int,
    spec: Any,
    children: _Children,
    facilities: _Facilities,
    ptr: np.ndarray,
    fac_arr: np.ndarray,
) -> Criterion:
    """One criterion's values; a missing value ranks below every given one.

    A child's value is a number (the same at every facility) or facility-specific: a list of
    facility ids (1 there) or an object ``{facility id: value}``. Missing — the child gives no
    value, or a facility-specific value does not name the facility — is the worst value: below
    every given value of the criterion, whichever way it points.
    """
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, Mapping):
        raise InstanceError(f"criterion #{i + 1}: must be a name or an object")
    name = _id(spec.get("name"), f"criterion #{i + 1}")
    better = spec.get("better", "higher")
    if better not in ("higher", "lower"):
        raise InstanceError(f"criterion {name!r}: 'better' must be 'higher' or 'lower'")
    per_child = np.full(len(children.ids), np.nan)
    per_wish: np.ndarray | None = None
    for c, item in enumerate(children.raw):
        crits = item.get("criteria", {})
        if not isinstance(crits, Mapping):
            raise InstanceError(f"child {children.ids[c]!r}: 'criteria' must be an object")
        if name not in crits:
            continue
        what = f"child {children.ids[c]!r}: criterion {name!r}"
        value = crits[name]
        if not isinstance(value, list | Mapping):
            per_child[c] = _number(value, what)
            continue
        by_facility = _facility_values(value, facilities, what)
        if per_wish is None:
            per_wish = np.full(fac_arr.size, np.nan)
        for e in range(int(ptr[c]), int(ptr[c + 1])):
            per_wish[e] = by_facility.get(int(fac_arr[e]), np.nan)
    if per_wish is not None:
        child_of = np.repeat(np.arange(len(children.ids)), np.diff(ptr))
        given_here = np.isnan(per_wish) & ~np.isnan(per_child[child_of])
        per_wish[given_here] = per_child[child_of][given_here]
    values = _fill_missing(per_wish if per_wish is not None else per_child, better == "higher")
    return Criterion(
        name=name, values=values, per_wish=per_wish is not None, higher_is_better=better == "higher"
    )


def _facility_values(value: Any, facilities: _Facilities, what: str) -> dict[int, float]:
    mapping = (
        {_id(f, what): 1.0 for f in value}
        if isinstance(value, list)
        else {_id(f, what): _number(v, what) for f, v in value.items()}
    )
    for fid in mapping:
        if fid not in facilities.index:
            raise InstanceError(f"{what}: unknown facility {fid!r}")
    return {facilities.index[fid]: v for fid, v in mapping.items()}


def _fill_missing(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Replace NaN (missing) by a value worse than every given one; integers stay exact."""
    missing = np.isnan(values)
    given = values[~missing]
    if not given.size:
        return np.zeros(values.size, dtype=np.int64)
    if np.all(given == np.round(given)):
        # Integers within ±2**53 are exact as floats; int64 keeps min - 1 exact too.
        ints = np.zeros(values.size, dtype=np.int64)
        ints[~missing] = given.astype(np.int64)
        ilo, ihi = int(ints[~missing].min()), int(ints[~missing].max())
        ints[missing] = ilo - 1 if higher_is_better else ihi + 1
        return ints
    lo, hi = float(given.min()), float(given.max())
    # Stepping by the value's own magnitude stays strictly beyond it (x - 1 may round to x).
    worst = lo - max(1.0, abs(lo)) if higher_is_better else hi + max(1.0, abs(hi))
    return np.where(missing, worst, values)


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
    if result.exact is not None:
        out["exact"] = result.exact
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


# --------------------------------------------------------------------------- instance → JSON


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """The JSON form of an instance built from arrays (e.g. by the allocation app), such that
    :func:`instance_from_dict` rebuilds the same priority ranks: every criterion value is
    written explicitly, the lottery as its published seed and tie-breaking (and, for a re-run,
    its draws).

    Seat types keep their names (a wish names its full seat type, e.g. ``"u3/2025-08"``).
    Explicit priority lists need one position per child and facility.
    """
    inst = instance
    plain = inst.seat_types == (ANY_SEAT_TYPE,)
    facilities = [
        {
            "id": fid,
            "capacity": int(inst.capacity[f, 0])
            if plain
            else {t: int(inst.capacity[f, k]) for k, t in enumerate(inst.seat_types)},
        }
        for f, fid in enumerate(inst.facility_ids)
    ]
    children = [_child_to_dict(inst, c) for c in range(inst.n_children)]
    out: dict[str, Any] = {"facilities": facilities, "children": children}
    if inst.has_groups:
        gptr, members = inst.group_members
        out["sibling_groups"] = [
            {
                "children": [inst.child_ids[c] for c in members[gptr[g] : gptr[g + 1]].tolist()],
                "together": "preferred" if inst.group_preferred[g] else "required",
            }
            for g in range(inst.n_groups)
        ]
    prio = inst.priority
    if isinstance(prio, ListPriority):
        out["priorities"] = _lists_to_dict(inst, prio)
        return out
    if prio.seed is None:
        raise InstanceError("instance_to_dict: the lottery needs its published seed")
    out["criteria"] = [
        {"name": c.name, "better": "higher" if c.higher_is_better else "lower"}
        for c in prio.criteria
    ]
    out["lottery"] = {"seed": prio.seed, "tie_breaking": prio.tie_breaking}
    if prio.draws is not None:
        out["lottery"]["draws"] = [
            [list(m) if isinstance(m, tuple) else m for m in d] for d in prio.draws
        ]
    for c, child in enumerate(children):
        child["criteria"] = _criteria_of(inst, prio, c)
    return out


def _wish_to_dict(inst: Instance, e: int) -> Any:
    fid = inst.facility_ids[int(inst.wish_facility[e])]
    differs = inst.wish_weight[e] != inst.weight[int(inst.wish_child[e])]
    if inst.seat_types == (ANY_SEAT_TYPE,) and not differs:
        return fid
    wish: dict[str, Any] = {"facility": fid}
    if inst.seat_types != (ANY_SEAT_TYPE,):
        wish["seat_type"] = inst.seat_types[int(inst.wish_seat_type[e])]
    if differs:
        wish["weight"] = int(inst.wish_weight[e])
    return wish


def _child_to_dict(inst: Instance, c: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": inst.child_ids[c],
        "wishes": [_wish_to_dict(inst, e) for e in inst.wishes_of(c)],
    }
    if inst.weight[c] != 1:
        item["weight"] = int(inst.weight[c])
    held = int(inst.current_entry[c])
    if held >= 0:
        item["current"] = _wish_to_dict(inst, held)
        if isinstance(item["current"], str):
            item["current"] = {"facility": item["current"]}
    return item


def _plain_number(value: Any) -> int | float:
    number = value.item() if hasattr(value, "item") else value
    return int(number) if isinstance(number, bool) else number


def _criteria_of(inst: Instance, prio: CriteriaPriority, c: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for crit in prio.criteria:
        if crit.per_wish:
            values[crit.name] = {
                inst.facility_ids[int(inst.wish_facility[e])]: _plain_number(crit.values[e])
                for e in inst.wishes_of(c)
            }
        else:
            values[crit.name] = _plain_number(crit.values[c])
    return values


def _lists_to_dict(inst: Instance, prio: ListPriority) -> dict[str, list[str]]:
    listed: dict[int, list[tuple[int, int]]] = {}
    for e in range(inst.n_wishes):
        pos = int(prio.position[e])
        if pos >= 0:
            listed.setdefault(int(inst.wish_facility[e]), []).append((pos, int(inst.wish_child[e])))
    return {
        inst.facility_ids[f]: list(dict.fromkeys(inst.child_ids[c] for _, c in sorted(pairs)))
        for f, pairs in listed.items()
    }
