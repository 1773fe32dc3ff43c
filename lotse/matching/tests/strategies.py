"""Hypothesis strategies and independent reference implementations for the property tests."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

from lotse.matching import Instance, instance_from_dict

SEAT_TYPES = ("u3", "o3")


@st.composite
def instance_dicts(
    draw: st.DrawFn,
    *,
    max_children: int = 6,
    max_facilities: int = 3,
    max_capacity: int = 2,
    seat_types: bool = False,
    weights: bool = False,
    groups: bool = False,
    current: bool = False,
    all_acceptable: bool = False,
) -> dict[str, Any]:
    """Random instances in the JSON format with explicit priority lists."""
    n = draw(st.integers(1, max_children))
    m = draw(st.integers(1, max_facilities))
    fids = [f"f{j}" for j in range(m)]
    cids = [f"c{i}" for i in range(n)]
    facilities = []
    for fid in fids:
        if seat_types:
            cap: Any = {t: draw(st.integers(0, max_capacity)) for t in SEAT_TYPES}
        else:
            cap = draw(st.integers(0, max_capacity))
        facilities.append({"id": fid, "capacity": cap})
    children: list[dict[str, Any]] = []
    for cid in cids:
        wishes = draw(st.permutations(fids))[: draw(st.integers(0, m))]
        child: dict[str, Any] = {"id": cid, "wishes": wishes}
        if seat_types:
            child["seat_type"] = draw(st.sampled_from(SEAT_TYPES))
        if weights:
            child["weight"] = draw(st.integers(1, 2))
        children.append(child)
    priorities = {}
    for fid in fids:
        order = draw(st.permutations(cids))
        if not all_acceptable:
            order = [c for c in order if draw(st.integers(0, 4)) > 0]
        priorities[fid] = order
    data: dict[str, Any] = {
        "facilities": facilities,
        "children": children,
        "priorities": priorities,
    }
    if groups and n >= 2:
        # Pair some neighbouring children as siblings; they share the first one's wish list.
        sibling_groups = []
        i = 0
        while i + 1 < n:
            if draw(st.booleans()):
                children[i + 1]["wishes"] = list(children[i]["wishes"])
                pair = [cids[i], cids[i + 1]]
                together = draw(st.sampled_from(["list", "required", "preferred"]))
                sibling_groups.append(
                    pair if together == "list" else {"children": pair, "together": together}
                )
                i += 2
            else:
                i += 1
        data["sibling_groups"] = sibling_groups
    if current:
        # Some children hold a place; capacities are raised so that every holder fits.
        holders: dict[str, int] = {}
        for child in children:
            if draw(st.integers(0, 3)) == 0:
                fid = draw(st.sampled_from(fids))
                child["current"] = fid
                holders[fid] = holders.get(fid, 0) + child.get("weight", 1)
        for child in children:
            # An explicit list must name the children holding a place at the facility.
            if "current" in child and child["id"] not in priorities[child["current"]]:
                listed = priorities[child["current"]]
                listed.insert(draw(st.integers(0, len(listed))), child["id"])
        for group in data.get("sibling_groups", []):
            # Members share one list: a member's current place joins every member's list.
            ids = group if isinstance(group, list) else group["children"]
            members = [children[cids.index(cid)] for cid in ids]
            for member in members:
                place = member.get("current")
                if place is not None and place not in member["wishes"]:
                    for other in members:
                        other["wishes"].append(place)
        for fac in facilities:
            need = holders.get(fac["id"], 0)
            if isinstance(fac["capacity"], dict):
                for t in fac["capacity"]:
                    fac["capacity"][t] = max(fac["capacity"][t], need)
            else:
                fac["capacity"] = max(fac["capacity"], need)
    if weights:
        # Some wishes carry their own weight (an under-3 child counts 2 in a mixed group only).
        for child in children:
            child["wishes"] = [
                {"facility": w, "weight": draw(st.integers(1, 2))}
                if w != child.get("current") and draw(st.integers(0, 3)) == 0
                else w
                for w in child["wishes"]
            ]
    return data


def build(data: dict[str, Any]) -> Instance:
    return instance_from_dict(data)


# --------------------------------------------------------------------------- references


def naive_blocking_pairs(inst: Instance, assigned_wish: list[int]) -> int:
    """Count single-child blocking pairs with the textbook definition, child by child."""
    count = 0
    for c in range(inst.n_children):
        if inst.group[c] >= 0:
            continue
        got = assigned_wish[c]
        for e in inst.wishes_of(c):
            if got >= 0 and e >= got:
                break
            if inst.wish_rank[e] < 0:
                continue
            q = int(inst.wish_pool[e])
            ahead = 0
            for d in range(inst.n_children):
                a = assigned_wish[d]
                if a >= 0 and inst.wish_pool[a] == q and inst.wish_rank[a] < inst.wish_rank[e]:
                    ahead += int(inst.wish_weight[a])
            if ahead + inst.wish_weight[e] <= inst.pool_capacity[q]:
                count += 1
    return count


def naive_report(inst: Instance, aw: list[int]) -> tuple[int, set[str]]:
    """Blocking pairs (single + group) and violation codes, from the definitions in docs.

    Written apart from :mod:`lotse.matching.check`: plain loops over children and positions.
    """
    n = inst.n_children
    ptr = [int(x) for x in inst.wish_ptr]
    pos = [aw[c] - ptr[c] if aw[c] >= 0 else -1 for c in range(n)]
    groups: dict[int, list[int]] = {}
    for c in range(n):
        if inst.group[c] >= 0:
            groups.setdefault(int(inst.group[c]), []).append(c)
    codes: set[str] = set()
    alone = [inst.group[c] < 0 for c in range(n)]
    blocking = 0

    def above(q: int, r: int, skip: list[int]) -> int:
        return sum(
            int(inst.wish_weight[aw[d]])
            for d in range(n)
            if d not in skip
            and aw[d] >= 0
            and inst.wish_pool[aw[d]] == q
            and inst.wish_rank[aw[d]] < r
        )

    for g, ms in groups.items():
        holders = [c for c in ms if inst.current_entry[c] >= 0]
        length = ptr[ms[0] + 1] - ptr[ms[0]]
        last = min([length - 1] + [int(inst.current_entry[c]) - ptr[c] for c in holders])
        together = pos[ms[0]] if pos[ms[0]] >= 0 and all(pos[c] == pos[ms[0]] for c in ms) else -1
        if together < 0:
            if inst.group_preferred[g]:
                for c in ms:
                    alone[c] = True
            elif any(aw[c] != inst.current_entry[c] for c in ms):
                codes.add("group_split")
        stop = last + 1 if together < 0 else min(together, last + 1)
        for p in range(stop):
            entries = [ptr[c] + p for c in ms]
            if any(inst.wish_rank[e] < 0 for e in entries):
                continue
            fits = True
            for e in entries:
                q = int(inst.wish_pool[e])
                r = int(inst.wish_rank[e])
                mine = sum(
                    int(inst.wish_weight[f])
                    for f in entries
                    if inst.wish_pool[f] == q and inst.wish_rank[f] <= r
                )
                if above(q, r, ms) + mine > inst.pool_capacity[q]:
                    fits = False
            blocking += fits
    for c in range(n):
        if not alone[c]:
            continue
        for e in range(ptr[c], ptr[c + 1]):
            if aw[c] >= 0 and e >= aw[c]:
                break
            if inst.wish_rank[e] < 0:
                continue
            q = int(inst.wish_pool[e])
            if above(q, int(inst.wish_rank[e]), []) + inst.wish_weight[e] <= inst.pool_capacity[q]:
                blocking += 1
    for c in range(n):
        held = int(inst.current_entry[c])
        if held >= 0 and (aw[c] < 0 or aw[c] > held):
            codes.add("lost_current_place")
    return blocking, codes


def all_stable_matchings(inst: Instance) -> list[tuple[int, ...]]:
    """Every feasible stable matching (unit weights, no groups), by brute force."""
    options = [[-1, *inst.wishes_of(c)] for c in range(inst.n_children)]
    stable = []
    for combo in itertools.product(*options):
        if any(e >= 0 and inst.wish_rank[e] < 0 for e in combo):
            continue
        load: dict[int, int] = {}
        for e in combo:
            if e >= 0:
                q = int(inst.wish_pool[e])
                load[q] = load.get(q, 0) + 1
        if any(v > inst.pool_capacity[q] for q, v in load.items()):
            continue
        if naive_blocking_pairs(inst, list(combo)) == 0:
            stable.append(combo)
    return stable


def preference_position(inst: Instance, child: int, entry: int) -> int:
    """Position of an entry in the child's list; unassigned is worst."""
    if entry < 0:
        return 10**9
    return entry - int(inst.wish_ptr[child])
