"""Public JSON of the networks app: public network profiles, published calls, and the people
and services with their area of activity. Nothing here returns data of network members."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from .selectors import people_and_services, public_networks, published_calls

router = Router(tags=["networks"])


class NetworkOut(Schema):
    id: int
    name: str
    area: str
    programme: str
    description: str
    working_groups: list[str]
    member_organisations: list[str]


class CallOut(Schema):
    id: int
    title: str
    funder: str
    summary: str
    eligibility: str
    deadline: datetime
    status: str
    max_amount: Decimal | None
    budget: Decimal | None


class ServiceOut(Schema):
    id: int
    name: str
    kind: str
    area_of_activity: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    email: str
    website: str


def _network(n: object) -> dict:
    return {
        "id": n.pk,  # type: ignore[attr-defined]
        "name": n.name,  # type: ignore[attr-defined]
        "area": n.area,  # type: ignore[attr-defined]
        "programme": n.programme,  # type: ignore[attr-defined]
        "description": n.description,  # type: ignore[attr-defined]
        "working_groups": [g.name for g in n.groups.all()],  # type: ignore[attr-defined]
        "member_organisations": [o.name for o in n.member_organisations.all()],  # type: ignore[attr-defined]
    }


@router.get("/networks", response=list[NetworkOut], summary="Networks with a public profile")
def list_networks(request: HttpRequest) -> list[dict]:
    qs = public_networks().prefetch_related("groups", "member_organisations")
    return [_network(n) for n in qs]


@router.get("/networks/{network_id}", response=NetworkOut, summary="One public network")
def get_network(request: HttpRequest, network_id: int) -> dict:
    return _network(get_object_or_404(public_networks(), pk=network_id))


@router.get("/calls", response=list[CallOut], summary="Published programme calls")
def list_calls(request: HttpRequest) -> list[dict]:
    return [
        {
            "id": c.pk,
            "title": c.title,
            "funder": c.funder.name,
            "summary": c.summary,
            "eligibility": c.eligibility,
            "deadline": c.deadline,
            "status": c.status,
            "max_amount": c.max_amount,
            "budget": c.budget,
        }
        for c in published_calls()
    ]


@router.get("/services", response=list[ServiceOut], summary="People and services for families")
def list_services(request: HttpRequest, kind: str | None = None) -> list[dict]:
    return [
        {
            "id": s.pk,
            "name": s.name,
            "kind": s.kind,
            "area_of_activity": s.area_of_activity,
            "address": s.address,
            "latitude": s.latitude,
            "longitude": s.longitude,
            "phone": s.phone,
            "email": s.email,
            "website": s.website,
        }
        for s in people_and_services(kind)
    ]
