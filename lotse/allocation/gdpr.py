"""GDPR hooks of the allocation app: the published outcomes of a family's applications.

Found by ``lotse.accounts.gdpr`` like ``dashboard.py``. No translatable strings here.
Outcomes are keyed by application; the applications app anonymises the application itself, so
the outcomes stay (as the allocation's audit trail) without pointing to a person.
"""

from __future__ import annotations

from typing import Any

from lotse.accounts.models import User

from .models import Outcome, round_large_fields


def export_user_data(user: User) -> dict[str, Any]:
    outcomes = (
        Outcome.objects.filter(application__child__guardian_links__user=user)
        .select_related("round")
        .defer(*round_large_fields("round__"))
        .distinct()
        .order_by("application_id", "round_id")
    )
    return {
        "outcomes": [
            {
                "application": outcome.application_id,
                "round": outcome.round.name,
                "published_at": (
                    outcome.round.published_at.isoformat() if outcome.round.published_at else None
                ),
                "wish_obtained": outcome.wish_rank,
                "reasons": outcome.reasons,
                "waiting_positions": outcome.waiting,
                "run": outcome.run,
            }
            for outcome in outcomes
        ],
        "withheld": [],
    }


def erase_user_data(user: User) -> list[str]:
    return ["allocation: outcomes kept with the anonymised applications (allocation audit trail)"]
