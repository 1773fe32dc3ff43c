"""Small-count suppression with secondary suppression: the one way counts of people leave Lotse.

Every report that shows how many children, families, cases or contacts fall into a category
(funder statistics, planning reports and their exports) builds a :class:`CountTable` and shows
the :class:`Figure` objects that :meth:`CountTable.protect` returns. Nothing else decides what
is hidden, so the pages, CSV/XLSX/PDF exports and the API always hide the same cells.

The rules
=========

1. **Primary suppression.** A count of 1 or 2 (``0 < n < MIN_COUNT``) is hidden.
2. **True zeros are shown as 0.** "Nobody" reveals nothing about a person, and a zero is never
   chosen to protect another cell (so a reader knows that every hidden cell is at least 1).
3. **Secondary suppression.** A hidden count must not be recoverable from what is shown: not by
   subtracting the visible cells of a row from its total (146 − 144 = 2), nor by combining rows,
   columns, sub-totals and other tables built from the same people. We use the Gaussian
   elimination method of Statistics Norway (Langsrud 2024, "Secondary cell suppression by
   Gaussian elimination", doi:10.1007/978-3-031-69651-0_6): every published cell is the sum of
   some *inner cells* (the finest cross-classification of the people counted); cells are
   published one by one, largest first, and a cell stays hidden when publishing it would make
   a primary-suppressed cell a linear combination of published ones.
4. **Bounds.** Because zeros are shown, a reader knows each hidden cell is ≥ 1; hidden cells
   that are all 1 and whose sum can be worked out would be known exactly (3 = 1 + 1 + 1).
   After the elimination, the attacker's linear programme (solved with GLOP of OR-Tools)
   computes the least and greatest value each small cell could have given everything shown;
   while one of them has only one possible value, the smallest visible cell next to the
   hidden ones is hidden too.
5. **One mark.** Every hidden cell shows :data:`MARK`, whether hidden because it is small or to
   protect another cell, so the mark never claims a value ("<3" on a 7 was a lie, and two
   marks would tell a reader which hidden cells are small).
6. **Consistent totals.** Every figure is computed from the same inner cells, so a visible
   total is always the exact sum of its parts.

Multi-valued categories (a case with several topics) are supported: such a dimension does not
partition the people, so its rows may add up to more than the total; the method still treats
every published cell as a sum of inner cells and stays exact.

Usage::

    table = CountTable(["channel", "interpreter"])
    for contact in contacts:
        table.add(channel=contact.channel, interpreter=contact.interpreter)
    table.publish()                                   # the total
    table.publish("channel", values={"channel": all_channels})  # one row per channel, zeros too
    table.publish("interpreter")
    figures = table.protect()
    figures.total, figures.get(channel="phone")       # Figure objects; str() shows them
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

#: Counts from 1 to MIN_COUNT − 1 are hidden.
MIN_COUNT = 3
#: Shown instead of every hidden count (small, or hidden to protect a small one).
MARK = "•"
#: The legend printed under every table that may contain hidden counts.
LEGEND = _(
    "• = not shown to protect privacy: fewer than 3, or a figure from which such a small "
    "number could be worked out. 0 means none."
)
#: For the title attribute of a hidden cell on a web page.
HIDDEN_TITLE = _("Not shown to protect privacy")

_EPS = 1e-9
CellKey = tuple[tuple[str, Hashable], ...]


@dataclass(frozen=True)
class Figure:
    """A count as it may be shown. ``value`` is the true count: never put it on a page or into
    an export when ``hidden``; use ``str(figure)`` or :attr:`shown`."""

    value: int
    hidden: bool = False

    @property
    def shown(self) -> int | None:
        """The number, or ``None`` when hidden (for charts and computed figures)."""
        return None if self.hidden else self.value

    @property
    def export(self) -> int | str:
        """For CSV/XLSX cells: the number, or the mark."""
        return MARK if self.hidden else self.value

    def __str__(self) -> str:
        if self.hidden:
            return MARK
        # Most counts are small; below 1,000 there is nothing to group (a dashboard shows
        # thousands of figures, number_format is a tenth of its time).
        if -1000 < self.value < 1000:
            return str(self.value)
        return number_format(self.value, force_grouping=True)


class ProtectedTable:
    """The figures of a protected :class:`CountTable`, looked up by the cell's categories."""

    def __init__(self, figures: dict[CellKey, Figure]) -> None:
        self._figures = figures

    def get(self, **values: Hashable) -> Figure:
        """The figure of the cell with these categories (none given: the total)."""
        return self._figures[_key(values)]

    @property
    def total(self) -> Figure:
        return self._figures[()]

    @property
    def any_hidden(self) -> bool:
        return any(f.hidden for f in self._figures.values())

    def __len__(self) -> int:
        return len(self._figures)

    def to_json(self) -> list[list[Any]]:
        """The figures as JSON-able rows ``[cell key, value, hidden]`` (tuples become lists),
        so a table protected once can be stored and read back by :meth:`from_json`."""
        return [[_listed(key), f.value, f.hidden] for key, f in self._figures.items()]

    @classmethod
    def from_json(cls, rows: Iterable[list[Any]]) -> ProtectedTable:
        # A cell key is pairs (dimension, category); a category may itself be a tuple (the
        # key of a published sum). Spelt out: a page reads thousands of cells.
        return cls(
            {
                tuple((d, tuple(v) if v.__class__ is list else v) for d, v in key): Figure(
                    value, hidden
                )
                for key, value, hidden in rows
            }
        )


def _listed(value: Any) -> Any:
    return [_listed(v) for v in value] if isinstance(value, tuple) else value


class CountTable:
    """People (cases, contacts, children …) counted by categories, and the cells to publish.

    ``dimensions`` name the categories every unit has. The people are protected as if every
    combination of categories could occur (a reader does not know which did), except where
    ``depends`` says a category follows from another: ``depends={"kind": "target"}`` when
    every referral target has one kind, which anyone can look up.

    A ``multi`` dimension lets a unit have several values (a case with several topics). Its
    rows add up to more than the total and no row follows from the others, so such a table
    has that one dimension only and needs no secondary suppression.
    """

    def __init__(
        self,
        dimensions: Sequence[str],
        *,
        multi: Iterable[str] = (),
        depends: Mapping[str, str] | None = None,
        min_count: int = MIN_COUNT,
    ) -> None:
        self.dimensions = tuple(dimensions)
        self.multi = frozenset(multi)
        self.depends = dict(depends or {})
        if not self.multi <= set(self.dimensions):
            raise ValueError("a multi-valued dimension must be one of the dimensions")
        if self.multi and len(self.dimensions) > 1:
            raise ValueError("a table with a multi-valued dimension has that dimension only")
        if not set(self.depends) | set(self.depends.values()) <= set(self.dimensions):
            raise ValueError("depends names unknown dimensions")
        self.min_count = min_count
        self._inner: Counter[tuple] = Counter()
        self._values: dict[str, dict[Hashable, None]] = {d: {} for d in self.dimensions}
        self._parent: dict[str, dict[Hashable, Hashable]] = {d: {} for d in self.depends}
        self._cells: dict[CellKey, int] = {}  # cell -> index of the group it was published in
        #: cells that add up several values of a dimension (see publish_sum)
        self._sums: dict[CellKey, dict[str, frozenset[Hashable]]] = {}
        self._groups: list[tuple[str, ...]] = []

    # --- building -----------------------------------------------------------------------

    def add(self, count: int = 1, **values: Hashable) -> None:
        """Count ``count`` units with these categories (every dimension must be given)."""
        if set(values) != set(self.dimensions):
            raise ValueError(f"give exactly the dimensions {self.dimensions}, got {sorted(values)}")
        if count < 0:
            raise ValueError("counts cannot be negative")
        if not count:
            return
        for d in self.dimensions:
            for v in values[d] if d in self.multi else [values[d]]:  # type: ignore[attr-defined]
                self._values[d].setdefault(v, None)
        for child, parent in self.depends.items():
            known = self._parent[child].setdefault(values[parent], values[child])
            if known != values[child]:
                raise ValueError(f"{child} does not follow from {parent}")
        key = tuple(
            frozenset(values[d]) if d in self.multi else values[d]  # type: ignore[arg-type]
            for d in self.dimensions
        )
        self._inner[key] += count

    def publish(self, *dims: str, values: Mapping[str, Iterable[Hashable]] | None = None) -> None:
        """Publish one cell per combination of values of ``dims`` (none: the grand total).

        By default the values counted so far are used (so call it after :meth:`add`); give
        ``values`` to publish a fixed list per dimension, so that categories nobody fell
        into are shown as 0.
        """
        for d in dims:
            if d not in self.dimensions:
                raise ValueError(f"unknown dimension {d!r}")
        given = {d: list(v) for d, v in (values or {}).items()}
        for d, listed in given.items():
            for v in listed:
                self._values[d].setdefault(v, None)
        lists = [given[d] if d in given else list(self._values[d]) for d in dims]
        group = len(self._groups)
        self._groups.append(tuple(dims))
        for combination in itertools.product(*lists):
            self._cells.setdefault(_key(dict(zip(dims, combination, strict=True))), group)

    def publish_sum(self, name: Hashable, **values: Iterable[Hashable]) -> None:
        """Publish one cell that adds up every unit whose categories are among ``values``
        (a dimension not named: any value), e.g. the children of one home district placed
        in any *other* district: ``publish_sum(("away", h), home=[h], place=others)``.
        Look it up with ``figures.get(sum=name)``.
        """
        if self.multi:
            raise ValueError("sums of several values need a table without multi-valued rows")
        for d, listed in values.items():
            if d not in self.dimensions:
                raise ValueError(f"unknown dimension {d!r}")
            values[d] = listed = list(listed)
            for v in listed:
                self._values[d].setdefault(v, None)
        key = _key({"sum": name})
        self._sums[key] = {d: frozenset(v) for d, v in values.items()}
        self._cells.setdefault(key, len(self._groups))
        self._groups.append(("sum",))

    # --- protecting ---------------------------------------------------------------------

    def protect(self) -> ProtectedTable:
        """Decide which cells are hidden; returns the figures of every published cell."""
        cells = list(self._cells)
        inner = self._unknowns()
        members = self._members(cells, inner)
        values = [sum(self._inner[inner[i]] for i in m) for m in members]
        if self.multi:  # no row follows from others: small counts are all there is to hide
            hidden = [0 < v < self.min_count for v in values]
            return ProtectedTable({c: Figure(values[i], hidden[i]) for i, c in enumerate(cells)})
        # What a zero cell contains is known to be zero: those combinations are no unknowns.
        known_zero = set().union(*(m for m, v in zip(members, values, strict=True) if v == 0))
        keep = [i for i in range(len(inner)) if i not in known_zero]
        position = {old: new for new, old in enumerate(keep)}
        members = [{position[i] for i in m if i in position} for m in members]
        vectors = np.zeros((len(cells), len(keep)))
        for row, m in enumerate(members):
            vectors[row, sorted(m)] = 1.0
        primary = [0 < v < self.min_count for v in values]
        protected = [vectors[i] for i, is_primary in enumerate(primary) if is_primary]
        hidden = _gauss(vectors, values, primary, protected)
        # Hiding more only widens what a reader can infer, so a cell found safe stays safe.
        exposed = [i for i, p in enumerate(primary) if p]
        extra = False
        while exposed := _exposed(vectors, values, hidden, exposed):
            for q in exposed:
                more = _next_to_hide(vectors, values, hidden, q)
                if more is not None:  # else an earlier one in this round covered it
                    hidden[more] = extra = True
        if extra:
            hidden = _unhide_derivable(vectors, values, hidden, primary)
        return ProtectedTable({c: Figure(values[i], hidden[i]) for i, c in enumerate(cells)})

    def _unknowns(self) -> list[tuple]:
        """The combinations a reader cannot rule out: every one of the free dimensions."""
        if self.multi:
            return list(self._inner)
        free = [d for d in self.dimensions if d not in self.depends]
        combos = []
        for combination in itertools.product(*(list(self._values[d]) for d in free)):
            chosen = dict(zip(free, combination, strict=True))
            for child, parent in self.depends.items():
                chosen[child] = self._parent[child].get(chosen[parent])
            combos.append(tuple(chosen[d] for d in self.dimensions))
        return combos

    def _members(self, cells: list[CellKey], inner: list[tuple]) -> list[set[int]]:
        """For each cell, the positions of the inner combinations it adds up."""
        index: dict[tuple[int, Hashable], set[int]] = {}
        for i, key in enumerate(inner):
            for p, d in enumerate(self.dimensions):
                for v in key[p] if d in self.multi else [key[p]]:
                    index.setdefault((p, v), set()).add(i)
        everything = set(range(len(inner)))
        result = []
        for cell in cells:
            if cell in self._sums:
                sets = [
                    set().union(*(index.get((self.dimensions.index(d), v), set()) for v in vs))
                    for d, vs in self._sums[cell].items()
                ]
            else:
                sets = [index.get((self.dimensions.index(d), v), set()) for d, v in cell]
            result.append(set.intersection(*sets) if sets else set(everything))
        return result


def _key(values: Mapping[str, Hashable]) -> CellKey:
    return tuple(sorted(values.items()))


def _gauss(
    vectors: np.ndarray, values: list[int], primary: list[bool], protected: list[np.ndarray]
) -> list[bool]:
    """Publish candidates largest first unless a protected vector would enter their span.

    ``basis`` holds an orthonormal basis of the published cells' span; ``residual`` each
    protected vector minus its projection onto that span. A protected vector whose residual
    vanishes could be computed from published cells."""
    n_inner = vectors.shape[1]
    basis = np.zeros((min(len(values), n_inner), n_inner))
    rank = 0
    residual = np.array(protected).reshape(len(protected), n_inner)
    hidden = [v > 0 for v in values]  # zeros are shown (and carry no vector)
    order = sorted(
        (i for i, v in enumerate(values) if v > 0 and not primary[i]),
        # the largest first; a total before a part of the same size
        key=lambda i: (-values[i], -vectors[i].sum()),
    )
    for i in order:
        r = _project_out(vectors[i], basis[:rank])
        norm = np.linalg.norm(r)
        if norm < _EPS:
            hidden[i] = False  # already derivable from what is shown
            continue
        e = r / norm
        new_residual = residual - np.outer(residual @ e, e)
        if len(new_residual) and np.min(np.linalg.norm(new_residual, axis=1)) < 1e-7:
            continue  # publishing it would reveal a protected cell: a secondary suppression
        basis[rank] = e
        rank += 1
        residual = new_residual
        hidden[i] = False
    for i in order:
        if hidden[i] and _derivable(vectors[i], basis[:rank]):
            hidden[i] = False  # became derivable through cells published after it
    return hidden


def _unhide_derivable(
    vectors: np.ndarray, values: list[int], hidden: list[bool], primary: list[bool]
) -> list[bool]:
    """Show hidden cells that can be computed from the shown ones anyway (hiding them only
    loses information; the reader's knowledge does not change)."""
    shown = vectors[[i for i, v in enumerate(values) if v > 0 and not hidden[i]]]
    basis = np.zeros((len(shown), vectors.shape[1]))
    rank = 0
    for vector in shown:  # Gram-Schmidt: an orthonormal basis of the shown cells' span
        r = _project_out(vector, basis[:rank])
        norm = np.linalg.norm(r)
        if norm > _EPS:
            basis[rank] = r / norm
            rank += 1
    basis = basis[:rank]
    result = list(hidden)
    for i, h in enumerate(hidden):
        if h and not primary[i] and _derivable(vectors[i], basis):
            result[i] = False
    return result


def _derivable(vector: np.ndarray, basis: np.ndarray) -> bool:
    return bool(np.linalg.norm(_project_out(vector, basis)) < 1e-7)


def _project_out(vector: np.ndarray, basis: np.ndarray) -> np.ndarray:
    r = vector.copy()
    for _round in range(2):  # twice: Gram-Schmidt loses orthogonality in one pass
        if len(basis):
            r = r - basis.T @ (basis @ r)
    return r


def _exposed(
    vectors: np.ndarray,
    values: list[int],
    hidden: list[bool],
    candidates: list[int],
) -> list[int]:
    """Small cells a reader could still pin down, by the attacker's linear programme.

    The reader knows the visible cells, that every hidden cell is at least 1 (zeros are
    shown) and that nothing is negative. For each small cell the LP solver (GLOP of OR-Tools)
    finds the greatest (and if needed the least) value it could have under those facts; if
    only its true value is possible, it is exposed (3 = 1 + 1 + 1, or two rows of ones whose
    sum is known). One model is built and re-solved with a new objective per cell."""
    from ortools.linear_solver import pywraplp  # imported here: it takes a moment to load

    solver = pywraplp.Solver.CreateSolver("GLOP")
    inf = solver.infinity()
    # A cap far above any count keeps every programme bounded: a cell whose greatest value
    # reaches it has no upper bound for the reader.
    cap = 10 * (sum(values) + 1)
    unknowns = [solver.NumVar(0, cap, f"x{j}") for j in range(vectors.shape[1])]
    for i, value in enumerate(values):
        if value > 0:  # visible: its sum is known; hidden: at least 1
            constraint = solver.Constraint(1, inf) if hidden[i] else solver.Constraint(value, value)
            for j in np.flatnonzero(vectors[i]):
                constraint.SetCoefficient(unknowns[j], 1)
    objective = solver.Objective()

    def extreme(q: int, *, maximise: bool) -> float:
        """The greatest or least value cell q could have."""
        objective.Clear()
        for j in np.flatnonzero(vectors[q]):
            objective.SetCoefficient(unknowns[j], 1)
        objective.SetOptimizationDirection(maximise)
        status = solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:  # the true table is a solution: a solver fault
            raise RuntimeError(f"the disclosure audit failed (LP status {status})")
        return objective.Value()

    exposed = []
    for q in candidates:
        if extreme(q, maximise=True) >= values[q] + 1 - 1e-6:
            continue  # could be larger
        low = extreme(q, maximise=False) if values[q] > 1 else None
        if low is not None and low <= values[q] - 1 + 1e-6:
            continue  # could be smaller
        exposed.append(q)
    return exposed


def _next_to_hide(vectors: np.ndarray, values: list[int], hidden: list[bool], q: int) -> int | None:
    """The smallest visible cell that counts some of the same people as the hidden cells
    around the exposed cell ``q`` (hiding it widens the range a reader can infer)."""
    counts = vectors > 0
    is_hidden = np.array(hidden)
    is_visible = ~is_hidden & (np.array(values) > 0)
    near = is_hidden & (counts @ counts[q])
    around = counts[near].any(axis=0)
    touching = np.flatnonzero(is_visible & (counts @ around))
    pool = touching if len(touching) else np.flatnonzero(is_visible)
    if not len(pool):
        return None
    return int(min(pool, key=lambda i: (values[i], vectors[i].sum())))
