"""Lotse's allocation engine: deferred acceptance for childcare seats, without Django.

Shape: ``instance -> solve -> check``::

    from lotse.matching import build_instance, ListPriority, solve, check

    result = solve(instance, mechanism="child_da")
    result.assignment        # facility index per child, -1 = unassigned
    result.explanations      # reasons (codes) for every better wish
    result.cutoffs           # per facility and seat type
    result.stats             # share with 1st, 2nd, ... wish
    check(instance, result.assigned_wish).blocking_pairs

See docs/matching.md.
"""

from .check import CheckReport, check
from .explain import REASONS, Cutoffs, Explanations, Stats
from .instance import (
    ANY_SEAT_TYPE,
    CriteriaPriority,
    Criterion,
    Instance,
    InstanceError,
    ListPriority,
    build_instance,
)
from .io import (
    instance_from_dict,
    instance_to_dict,
    load_json,
    read_assignment,
    result_to_dict,
)
from .lottery import multiple_lottery, single_lottery
from .mechanisms import (
    MECHANISMS,
    Mechanism,
    Result,
    child_proposing_da,
    exact_mechanism,
    facility_proposing_da,
    iterative_offers,
    solve,
)

__all__ = [
    "ANY_SEAT_TYPE",
    "MECHANISMS",
    "REASONS",
    "CheckReport",
    "CriteriaPriority",
    "Criterion",
    "Cutoffs",
    "Explanations",
    "Instance",
    "InstanceError",
    "ListPriority",
    "Mechanism",
    "Result",
    "Stats",
    "build_instance",
    "check",
    "child_proposing_da",
    "exact_mechanism",
    "facility_proposing_da",
    "instance_from_dict",
    "instance_to_dict",
    "iterative_offers",
    "load_json",
    "multiple_lottery",
    "read_assignment",
    "result_to_dict",
    "single_lottery",
    "solve",
]
