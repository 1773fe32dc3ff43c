"""The allocation side of :mod:`lotse.applications.ports` (registered in ``apps.py``).

``applications`` asks through this object for the municipality's rules and a family's explained
outcome, and tells it when a seat became free; it never imports this app.
"""

from __future__ import annotations

from typing import Any

from lotse.applications.models import Application, Offer, SeatQuota
from lotse.applications.ports import DEFAULT_RULES, ApplicationRules, RoundTimeline

from .explain import explain_outcome, together_text
from .selectors import active_rules_for_municipality, latest_outcome
from .services import (
    schedule_rerun_for_application,
    schedule_rerun_for_offer,
    schedule_rerun_for_seats,
)
from .timeline import round_timeline


class AllocationSide:
    def rules_for(self, municipality: str) -> ApplicationRules:
        rules = active_rules_for_municipality(municipality)
        if rules is None:
            return DEFAULT_RULES
        return ApplicationRules(
            max_wishes=rules.max_wishes,
            application_deadline=rules.application_deadline,
            mixed_under3_weight=rules.mixed_under3_weight,
        )

    def outcome_lines(self, application: Application) -> list[Any]:
        return explain_outcome(latest_outcome(application))

    def outcome_together(self, application: Application) -> str | None:
        return together_text(latest_outcome(application))

    def round_timeline(self, application: Application) -> RoundTimeline:
        return round_timeline(application)

    def seat_freed(self, offer: Offer) -> None:
        schedule_rerun_for_offer(offer)

    def seats_added(self, quota: SeatQuota) -> None:
        schedule_rerun_for_seats(quota)

    def application_submitted(self, application: Application) -> None:
        schedule_rerun_for_application(application)
