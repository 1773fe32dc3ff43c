"""Applications API: a family's own applications and where they stand (read-only)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import django_auth

from .selectors import applications_for_parent, current_offer, get_application_for_parent

router = Router(tags=["applications"])


class OfferOut(Schema):
    id: int
    facility: str
    start_month: dt.date
    status: str
    deadline: dt.datetime
    wish_rank: int | None
    mixed_group: bool = Field(False, description="A place in a mixed group (1 to 6 years)")


class ApplicationOut(Schema):
    id: int
    child: str
    status: str
    desired_start: dt.date
    weekly_hours: int
    wishes: list[str]
    offer: OfferOut | None


def _out(application) -> dict:  # type: ignore[no-untyped-def]
    offer = current_offer(application)
    return {
        "id": application.pk,
        "child": str(application.child),
        "status": application.status,
        "desired_start": application.desired_start,
        "weekly_hours": application.weekly_hours,
        "wishes": [w.facility.name for w in application.wishes.all()],
        "offer": None
        if offer is None
        else {
            "id": offer.pk,
            "facility": offer.facility.name,
            "start_month": offer.start_month,
            "status": offer.status,
            "deadline": offer.deadline,
            "wish_rank": offer.wish_rank,
            "mixed_group": offer.mixed_group,
        },
    }


@router.get(
    "/",
    response=list[ApplicationOut],
    auth=django_auth,
    summary="The signed-in family's applications",
)
def my_applications(request: HttpRequest) -> list[dict]:
    return [_out(a) for a in applications_for_parent(request.user).order_by("-created_at")[:50]]


@router.get(
    "/{application_id}",
    response=ApplicationOut,
    auth=django_auth,
    summary="One application of the signed-in family (404 for anyone else's)",
)
def my_application(request: HttpRequest, application_id: int) -> dict:
    return _out(get_application_for_parent(request.user, application_id))
