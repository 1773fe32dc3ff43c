"""The exact mechanism: a stable matching with siblings and weighted seats, on OR-Tools CP-SAT.

With sibling groups or weights > 1 a stable matching may not exist, and deferred acceptance may
leave blocking pairs even when one does. This mechanism states the problem as a constraint
model and lets CP-SAT search, under a time limit:

1. **minimise the blocking pairs** (single children and sibling groups, exactly as
   :func:`lotse.matching.check.check` counts them);
2. among those, **maximise the placed children**;
3. among those, minimise the sum of the wish positions children get (better wishes first).

It follows Sun et al., "Stable Matchings in Practice: A Constraint Programming Approach"
(AAAI 2024; siblings and transfers in Japanese daycare matching: AAAI 2023), who minimise
blocking coalitions first and then maximise matched children. The solver starts from
child-proposing DA's assignment after a **repair** pass (:func:`repair`: children of blocking
pairs propose again and DA continues; on the benchmark cities this removes all or all but one
of DA's blocking pairs in a fraction of a second), given as a complete hint, so it never
returns anything worse than DA.

**Model.** ``x[e]`` = child gets wish entry ``e`` (only acceptable entries that fit an empty
pool). Each child at most one entry; a child holding a seat gets that entry or a better one.
Pool capacities in weight units. ``S[q, j]`` = weight of the children assigned to pool ``q``
among its first ``j`` applicants in priority order (a prefix sum, so the model stays linear in
size). A single child ``c`` with wish ``e`` at position ``j`` of pool ``q`` does not block iff
it got ``e`` or better, or the pool is full for it: ``S[q, j] >= capacity - weight(c) + 1``;
otherwise the blocking indicator ``b[c, e]`` must be 1. Sibling groups: ``T[g, p]`` = all
members at wish position ``p`` (only up to ``group_last_position``); apart, a ``required``
group keeps its members' current places and nothing else, a ``preferred`` group's members are
single children. A group blocks with position ``p`` unless it is together at ``p`` or better
or some member does not fit there (the same test with the group's own seats removed).

**Outcome** (:attr:`ExactInfo.status`): ``"stable"`` (an assignment with no blocking pair was
found; every such result is verified by :func:`~lotse.matching.check.check`), ``"minimal"``
(the solver proved that no assignment has fewer blocking pairs, and there are some) or
``"best_found"`` (the time limit ended the search first; the blocking pairs are the fewest
found, never more than DA's). The assignment itself depends on the solver's search, so a
certificate records it and a verifier checks it rather than re-solving.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .check import GroupOutcome, check
from .instance import Instance
from .mechanisms import Result, child_proposing_da

__all__ = ["ExactInfo", "exact_stable"]

#: Default time limit of the solver (seconds of wall-clock time).
DEFAULT_TIME_LIMIT = 60.0


@dataclass(frozen=True)
class ExactInfo:
    """What the exact mechanism found, and how sure it is."""

    status: str  # "stable" | "minimal" | "best_found"
    blocking_pairs: int
    model_blocking_pairs: int  # the solver's own count (equals check's for its solution)
    used_da: bool  # the solver found nothing better than DA within the limit
    da_blocking_pairs: int
    placed: int
    seconds: float
    seconds_to_best: float  # when the final number of blocking pairs was first reached
    solver: str
    time_limit: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "blocking_pairs": self.blocking_pairs,
            "model_blocking_pairs": self.model_blocking_pairs,
            "used_da": self.used_da,
            "da_blocking_pairs": self.da_blocking_pairs,
            "placed": self.placed,
            "seconds": round(self.seconds, 3),
            "seconds_to_best": round(self.seconds_to_best, 3),
            "solver": self.solver,
            "time_limit": self.time_limit,
        }


class _Model:
    """The CP-SAT model of one instance, with the DA assignment as a complete hint."""

    def __init__(self, inst: Instance, hint: np.ndarray) -> None:
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.inst = inst
        self.model = cp_model.CpModel()
        self.hint_aw = hint
        cap = inst.pool_capacity
        w = inst.wish_weight
        self.usable = np.flatnonzero((inst.wish_rank >= 0) & (w <= cap[inst.wish_pool]))
        self.x: dict[int, Any] = {}
        for e in self.usable.tolist():
            self.x[e] = self.model.new_bool_var(f"x{e}")
            self.model.add_hint(self.x[e], bool(hint[inst.wish_child[e]] == e))
        self.blocking: list[Any] = []
        self.together: dict[tuple[int, int], Any] = {}

    def hint_from(self, solver: Any) -> None:
        """Replace the hint by a solver's solution (complete: every variable)."""
        self.model.clear_hints()
        for i in range(len(self.model.proto.variables)):
            var = self.model.get_int_var_from_proto_index(i)
            self.model.add_hint(var, solver.value(var))

    # ------------------------------------------------------------------ feasibility

    def add_children(self) -> None:
        inst, m = self.inst, self.model
        for c in range(inst.n_children):
            mine = [self.x[e] for e in inst.wishes_of(c) if e in self.x]
            if len(mine) > 1:
                m.add_at_most_one(mine)
            held = int(inst.current_entry[c])
            if held >= 0:
                m.add(
                    sum(self.x[e] for e in range(int(inst.wish_ptr[c]), held + 1) if e in self.x)
                    == 1
                )

    def add_pools(self) -> dict[int, list[int]]:
        """Capacities, and the prefix sums ``S`` per pool; returns the applicants per pool."""
        inst, m = self.inst, self.model
        pool = inst.wish_pool[self.usable]
        order = self.usable[np.lexsort((inst.wish_rank[self.usable], pool))]
        by_pool: dict[int, list[int]] = {}
        for e in order.tolist():
            by_pool.setdefault(int(inst.wish_pool[e]), []).append(e)
        self.prefix: dict[int, Any] = {}  # entry -> S before it in its pool
        for q, entries in by_pool.items():
            cap = int(inst.pool_capacity[q])
            load: Any = 0
            used = 0
            for e in entries:
                wt = int(inst.wish_weight[e])
                s = m.new_int_var(0, cap, f"S{e}")
                m.add(s == load)
                m.add_hint(s, min(used, cap))
                self.prefix[e] = s
                load = s + wt * self.x[e]
                if self.hint_aw[inst.wish_child[e]] == e:
                    used += wt
            m.add(load <= cap)
        return by_pool

    def add_groups(self) -> None:
        inst, m = self.inst, self.model
        gptr, members = inst.group_members
        last = inst.group_last_position
        outcome = GroupOutcome.of(inst, self.hint_aw)
        for g in range(inst.n_groups):
            ms = members[gptr[g] : gptr[g + 1]].tolist()
            terms = []
            for p in range(int(last[g]) + 1):
                entries = [int(inst.wish_ptr[c]) + p for c in ms]
                t = m.new_bool_var(f"T{g}_{p}")
                m.add_hint(t, bool(outcome.together[g] == p))
                if all(e in self.x for e in entries):
                    for e in entries:
                        m.add_implication(t, self.x[e])
                    m.add(sum(self.x[e] for e in entries) - (len(ms) - 1) <= t)
                else:
                    m.add(t == 0)
                self.together[(g, p)] = t
                terms.append(t)
            self._no_other_together(g, ms, int(last[g]))
            if not inst.group_preferred[g]:
                self._required_apart(ms, sum(terms))

    def _no_other_together(self, g: int, ms: list[int], last: int) -> None:
        """All members at one position after ``last``: impossible (a holder would lose out)."""
        inst = self.inst
        length = int(inst.wish_ptr[ms[0] + 1] - inst.wish_ptr[ms[0]])
        for p in range(last + 1, length):
            entries = [int(inst.wish_ptr[c]) + p for c in ms]
            if all(e in self.x for e in entries):
                self.model.add(sum(self.x[e] for e in entries) <= len(ms) - 1)

    def _required_apart(self, ms: list[int], together: Any) -> None:
        """Apart, a required group keeps its current places and leaves the others unassigned."""
        inst, m = self.inst, self.model
        for c in ms:
            held = int(inst.current_entry[c])
            placed = sum(self.x[e] for e in inst.wishes_of(c) if e in self.x)
            if held < 0:
                m.add(placed == together)
            else:
                m.add(self.x[held] + together >= 1)

    # ------------------------------------------------------------------ stability

    def _blocking_var(self, name: str, hint: bool) -> Any:
        b = self.model.new_bool_var(name)
        self.model.add_hint(b, hint)
        self.blocking.append(b)
        return b

    def _full_literal(self, e: int, need: int, hint_load: int, minus: Any = 0) -> Any:
        """A literal that may be true only if ``S[e] - minus >= need`` (the pool is full)."""
        f = self.model.new_bool_var(f"f{e}_{need}")
        self.model.add(self.prefix[e] - minus >= need).only_enforce_if(f)
        self.model.add_hint(f, hint_load >= need)
        return f

    def add_single_stability(self, hint_load: dict[int, int], hint_blocking: set[int]) -> None:
        inst, m = self.inst, self.model
        for e in self.usable.tolist():
            c = int(inst.wish_child[e])
            g = int(inst.group[c])
            if g >= 0 and not inst.group_preferred[g]:
                continue  # members of a required group never block alone
            wt = int(inst.wish_weight[e])
            cap = int(inst.pool_capacity[inst.wish_pool[e]])
            got_it = [self.x[d] for d in range(int(inst.wish_ptr[c]), e + 1) if d in self.x]
            full = self._full_literal(e, cap - wt + 1, hint_load[e])
            b = self._blocking_var(f"b{e}", e in hint_blocking)
            clause = [b, full, *got_it]
            if g >= 0:  # a preferred group's member blocks alone only when the group is apart
                clause.extend(t for (gg, _p), t in self.together.items() if gg == g)
            m.add_bool_or(clause)

    def add_group_stability(self, hint_load: dict[int, int], hint_aw: np.ndarray) -> None:
        inst, m = self.inst, self.model
        gptr, members = inst.group_members
        last = inst.group_last_position
        outcome = GroupOutcome.of(inst, hint_aw)
        from .check import _AssignedIndex

        index = _AssignedIndex(inst, hint_aw)
        for g in range(inst.n_groups):
            ms = members[gptr[g] : gptr[g + 1]].tolist()
            for p in range(int(last[g]) + 1):
                entries = [int(inst.wish_ptr[c]) + p for c in ms]
                if not all(e in self.x for e in entries):
                    continue
                lits = self._group_misfit_literals(ms, entries, hint_load, hint_aw)
                if lits is None:
                    continue  # the group can never fit there
                stop = int(outcome.together[g]) if outcome.together[g] >= 0 else int(last[g]) + 1
                hint_b = p < stop and index.group_fits(g, p)
                b = self._blocking_var(f"B{g}_{p}", hint_b)
                earlier = [self.together[(g, pp)] for pp in range(p + 1)]
                m.add_bool_or([b, *earlier, *lits])

    def _group_misfit_literals(
        self, ms: list[int], entries: list[int], hint_load: dict[int, int], hint_aw: np.ndarray
    ) -> list[Any] | None:
        """One literal per member: "this member does not fit", with the group's seats removed."""
        inst = self.inst
        lits = []
        for e in entries:
            q = int(inst.wish_pool[e])
            r = int(inst.wish_rank[e])
            cap = int(inst.pool_capacity[q])
            # Members in the same pool up to this one (by rank) come in with it.
            mine = sum(
                int(inst.wish_weight[f])
                for f in entries
                if int(inst.wish_pool[f]) == q and int(inst.wish_rank[f]) <= r
            )
            need = cap - mine + 1
            if need <= 0:
                return None
            own = [
                (int(inst.wish_weight[f]), f)
                for d in ms
                for f in inst.wishes_of(d)
                if f in self.x and int(inst.wish_pool[f]) == q and int(inst.wish_rank[f]) < r
            ]
            minus = sum(wt * self.x[f] for wt, f in own)
            own_load = sum(wt for wt, f in own if hint_aw[inst.wish_child[f]] == f)
            lits.append(self._full_literal(e, need, hint_load[e] - own_load, minus))
        return lits


def _hint_loads(inst: Instance, aw: np.ndarray, by_pool: dict[int, list[int]]) -> dict[int, int]:
    """``S`` of every usable entry under the hint assignment."""
    loads: dict[int, int] = {}
    for entries in by_pool.values():
        used = 0
        for e in entries:
            loads[e] = used
            c = int(inst.wish_child[e])
            if aw[c] == e:
                used += int(inst.wish_weight[e])
    return loads


def _hint_single_blocking(inst: Instance, aw: np.ndarray, loads: dict[int, int]) -> set[int]:
    outcome = GroupOutcome.of(inst, aw) if inst.has_groups else None
    out = set()
    for e, load in loads.items():
        c = int(inst.wish_child[e])
        if outcome is not None and not outcome.alone[c]:
            continue
        if 0 <= aw[c] <= e:
            continue
        if load + int(inst.wish_weight[e]) <= int(inst.pool_capacity[inst.wish_pool[e]]):
            out.add(e)
    return out


def _run(
    model: _Model, deadline: float, share: float, workers: int, seed: int, callback: Any
) -> Any:
    """Solve with ``share`` of the time left; the solver if it found a solution, else None."""
    from ortools.sat.python import cp_model

    left = deadline - time.perf_counter()
    if left < 2.0:  # too little time to presolve a city; keep what we have
        return None
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = share * left
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    # Probing made 1.3 million binary clauses and took 27 s of a 60 s budget on 5,000
    # children (presolve only); without it the search starts at once and improves the hint.
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.symmetry_level = 0
    status = solver.solve(model.model, callback) if callback else solver.solve(model.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    solver.status = status  # type: ignore[attr-defined]
    return solver


def _adopt(
    inst: Instance, model: _Model, solver: Any, aw: np.ndarray, report: Any, start_report: Any
) -> tuple[np.ndarray, Any]:
    """The solver's assignment if check confirms it is feasible and no worse; else keep ``aw``."""
    found = np.full(inst.n_children, -1, dtype=np.int64)
    for e, v in model.x.items():
        if solver.boolean_value(v):
            found[int(inst.wish_child[e])] = e
    found_report = check(inst, found)
    # Never worse than the start (DA, repaired); check, written apart, has the last word.
    if found_report.feasible and found_report.blocking_pairs <= min(
        start_report.blocking_pairs, report.blocking_pairs
    ):
        return found, found_report
    return aw, report


class _Progress:
    """Solution callback: when the fewest blocking pairs were first reached (for the report)."""

    def __new__(cls, blocking: list[Any], t0: float) -> Any:
        from ortools.sat.python import cp_model

        class Callback(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.best: int | None = None
                self.reached = 0.0

            def on_solution_callback(self) -> None:
                count = sum(self.boolean_value(b) for b in blocking)
                if self.best is None or count < self.best:
                    self.best, self.reached = count, time.perf_counter() - t0

        return Callback()


def repair(inst: Instance, aw: np.ndarray, report: Any, rounds: int = 30) -> tuple[np.ndarray, Any]:
    """Fewer blocking pairs than DA left, as the solver's starting point (heuristic).

    With weights, DA can leave blocking pairs: a heavy child displaced late frees room that
    children rejected earlier would fit. Here every single child of a blocking pair gives up
    its seat and proposes again to its best blocking wish, and DA continues from that state
    (displaced children move down their lists, nobody loses a current place). Repeated while
    it helps; the assignment with the fewest blocking pairs (checked) is returned.
    """
    best, best_report = aw, report
    current, current_report = aw, report
    end = inst.wish_ptr[1:]
    for _ in range(rounds):
        entries = current_report.blocking_entries
        if not entries.size:
            break
        target = np.full(inst.n_children, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(target, inst.wish_child[entries], entries)
        movers = np.flatnonzero(target < np.iinfo(np.int64).max)
        held = current.copy()
        ptr = np.where(current >= 0, current, end)
        held[movers] = -1
        ptr[movers] = target[movers]
        groups = inst.group.copy()
        if inst.has_groups:
            outcome = GroupOutcome.of(inst, current)
            apart = outcome.together[np.maximum(inst.group, 0)] < 0
            groups[(inst.group >= 0) & apart] = -1
        current = child_proposing_da(inst, resume=(held, ptr, groups)).assigned_wish
        current_report = check(inst, current)
        if not current_report.feasible:
            break
        if current_report.blocking_pairs < best_report.blocking_pairs:
            best, best_report = current, current_report
    return best, best_report


def _build(inst: Instance, hint: np.ndarray) -> _Model:
    model = _Model(inst, hint)
    model.add_children()
    by_pool = model.add_pools()
    if inst.has_groups:
        model.add_groups()
    loads = _hint_loads(inst, hint, by_pool)
    model.add_single_stability(loads, _hint_single_blocking(inst, hint, loads))
    if inst.has_groups:
        model.add_group_stability(loads, hint)
    return model


def model_blocking_pairs(instance: Instance, assigned_wish: np.ndarray) -> int | None:
    """The model's count of blocking pairs of a given assignment (None: the model forbids it).

    For tests: the model must count exactly what :func:`~lotse.matching.check.check` counts.
    """
    from ortools.sat.python import cp_model

    aw = np.asarray(assigned_wish, dtype=np.int64)
    model = _build(instance, aw)
    for e, v in model.x.items():
        model.model.add(v == int(aw[int(instance.wish_child[e])] == e))
    if np.any([(a >= 0 and a not in model.x) for a in aw.tolist()]):
        return None
    model.model.minimize(cp_model.LinearExpr.sum(model.blocking))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    if solver.solve(model.model) != cp_model.OPTIMAL:
        return None
    return round(solver.objective_value)


def exact_stable(
    instance: Instance, *, time_limit: float = DEFAULT_TIME_LIMIT, workers: int = 2, seed: int = 0
) -> tuple[Result, ExactInfo]:
    """Solve ``instance`` with the exact mechanism (see the module docstring)."""
    from importlib.metadata import version

    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    inst = instance
    da = child_proposing_da(inst)
    da_report = check(inst, da.assigned_wish)
    start, start_report = repair(inst, da.assigned_wish, da_report)
    model = _build(inst, start)

    # Phase 1: fewest blocking pairs. Phase 2: with at most that many, most placed children,
    # then the best wishes (one placement outweighs every wish position).
    # The limit covers DA, repair, model, search and check; the solver overshoots its own
    # limit by seconds on a loaded machine, so it gets 90% of what is left.
    deadline = t0 + 0.9 * time_limit - 0.3
    aw, report, model_blocking = start.copy(), start_report, -1
    progress = _Progress(model.blocking, t0)
    proved = False
    if start_report.blocking_pairs == 0:
        # Already stable: zero is the lower bound, so phase 1 has nothing to prove.
        proved, model_blocking = True, 0
        progress.best, progress.reached = 0, time.perf_counter() - t0
    else:
        model.model.minimize(cp_model.LinearExpr.sum(model.blocking))
        first = _run(model, deadline, 0.6, workers, seed, progress)
        if first is not None:
            proved = first.status == cp_model.OPTIMAL
            model_blocking = round(first.objective_value)
            aw, report = _adopt(inst, model, first, aw, report, start_report)
            model.hint_from(first)
    if model_blocking >= 0:
        model.model.add(cp_model.LinearExpr.sum(model.blocking) <= model_blocking)
        entries = list(model.x)
        position = [e - int(inst.wish_ptr[int(inst.wish_child[e])]) for e in entries]
        w_place = max(1, inst.n_wishes) * max(1, max(position, default=0)) + 1
        model.model.minimize(
            cp_model.LinearExpr.weighted_sum(
                [model.x[e] for e in entries], [p - w_place for p in position]
            )
        )
        second = _run(model, deadline, 1.0, workers, seed, None)
        if second is not None:
            aw, report = _adopt(inst, model, second, aw, report, start_report)
    if report.blocking_pairs == 0:
        verdict = "stable"
    elif proved and model_blocking == report.blocking_pairs:
        verdict = "minimal"
    else:
        verdict = "best_found"
    info = ExactInfo(
        status=verdict,
        blocking_pairs=report.blocking_pairs,
        model_blocking_pairs=model_blocking,
        used_da=aw is da.assigned_wish or bool(np.array_equal(aw, da.assigned_wish)),
        da_blocking_pairs=da_report.blocking_pairs,
        placed=int(np.sum(aw >= 0)),
        seconds=time.perf_counter() - t0,
        seconds_to_best=progress.reached if progress.best is not None else 0.0,
        solver=f"OR-Tools CP-SAT {version('ortools')}",
        time_limit=time_limit,
    )
    return Result(instance=inst, mechanism="exact", assigned_wish=aw, rounds=0), info
