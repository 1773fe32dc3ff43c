"""Allocation API: the published rules of every municipality (public, no personal data)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema

from lotse.accounts.models import Organisation

from .models import AllocationRules

router = Router(tags=["allocation"])


class RulesOut(Schema):
    municipality: str
    jugendamt: str
    criteria: list[str]
    max_wishes: int
    application_deadline: dt.date | None
    answer_days: int
    tie_breaking: str
    lottery_seed: int | None
    mixed_under3_weight: int = Field(
        description="Places a child under 3 counts in a mixed group (1 to 6 years)"
    )


@router.get(
    "/rules",
    response=list[RulesOut],
    summary="Published allocation rules; the seed once it is published",
)
def published_rules(request: HttpRequest) -> list[dict]:
    rules = (
        AllocationRules.objects.filter(
            is_active=True, organisation__kind=Organisation.Kind.JUGENDAMT
        )
        .select_related("organisation")
        .order_by("organisation__municipality")
    )
    return [
        {
            "municipality": r.organisation.municipality,
            "jugendamt": r.organisation.name,
            "criteria": list(r.criteria),
            "max_wishes": r.max_wishes,
            "application_deadline": r.application_deadline,
            "answer_days": r.answer_days,
            "tie_breaking": r.tie_breaking,
            "lottery_seed": r.lottery_seed if r.seed_published_at else None,
            "mixed_under3_weight": r.mixed_under3_weight,
        }
        for r in rules
    ]
