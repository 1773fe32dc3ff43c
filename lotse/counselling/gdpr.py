"""GDPR hooks of the counselling app: the client record linked to a parent's account.

Found by ``lotse.accounts.gdpr`` like ``dashboard.py``. No translatable strings here: the
accounts app labels the export (its catalogue holds the texts).

§65 SGB VIII protects what was entrusted to a counsellor for personal help: case notes,
contact notes, the reasons and outcome notes of referrals and follow-up tasks are the
counsellors' records and are NOT part of the self-service export (the export says so; the
family can ask the counselling service, which decides under §§ 61–65 SGB VIII and § 83 SGB X).
"""

from __future__ import annotations

from typing import Any

from lotse.accounts.models import User

from .models import Client, Consent, HelpRequest, Referral


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _consent(consent: Consent) -> dict[str, Any]:
    return {
        "purpose": consent.purpose,
        "purpose_label": str(consent.get_purpose_display()),
        "given_on": _iso(consent.given_on),
        "form": consent.form,
        "scope": consent.scope,
        "withdrawn_on": _iso(consent.withdrawn_on),
    }


def _referral(referral: Referral) -> dict[str, Any]:
    return {
        "referred_to": referral.target.name,
        "sent_at": _iso(referral.sent_at),
        "shares_data": referral.shares_data,
        "outcome": referral.outcome,
        "outcome_label": str(referral.get_outcome_display()),
        "outcome_on": _iso(referral.outcome_on),
    }


def export_user_data(user: User) -> dict[str, Any]:
    clients = []
    queryset = (
        Client.objects.filter(parent_user=user)
        .select_related("organisation", "district")
        .prefetch_related("cases__consents", "cases__referrals__target")
    )
    for client in queryset:
        cases = list(client.cases.all())
        clients.append(
            {
                "counselling_service": client.organisation.name,
                "alias": client.alias,
                "languages": list(client.languages),
                "children_count": client.children_count,
                "district": client.district.name if client.district else None,
                "created_at": _iso(client.created_at),
                "cases": [
                    {
                        "opened_on": _iso(case.opened_on),
                        "closed_on": _iso(case.closed_on),
                        "status": case.status,
                        "status_label": str(case.get_status_display()),
                        "topics": case.topic_labels,
                        "outcome": case.outcome,
                        "keep_until": _iso(case.retention_until),
                        "after_retention": case.retention_action,
                    }
                    for case in cases
                ],
                "consents": [_consent(c) for case in cases for c in case.consents.all()],
                "referrals": [_referral(r) for case in cases for r in case.referrals.all()],
            }
        )
    withheld = ["counselling_records"] if clients else []
    return {"clients": clients, "help_requests": _help_requests(user), "withheld": withheld}


def _help_requests(user: User) -> list[dict[str, Any]]:
    """The family's requests for help sent from Lotse (what it typed and consented to)."""
    return [
        {
            "counselling_service": r.service.name if r.service else r.organisation.name,
            "sent_at": _iso(r.created_at),
            "language": r.language,
            "contact_way": r.contact_way,
            "phone": r.phone,
            "message": r.message,
            "consent_at": _iso(r.consent_at),
            "status": r.status,
        }
        for r in HelpRequest.objects.filter(requester=user).select_related(
            "service", "organisation"
        )
    ]


def erase_user_data(user: User) -> list[str]:
    """Unlink the client records from the account. The case files belong to the counselling
    service, which keeps them until each case's retention date and then anonymises or erases
    them (``retention_apply``); Lotse's account erasure does not decide that for the service."""
    unlinked = 0
    for client in Client.objects.filter(parent_user=user):
        client.parent_user = None
        client.save(update_fields=["parent_user"])
        unlinked += 1
    # Requests not yet taken into a case are the family's own; a case opened from one is the
    # service's record (see above) and keeps its notes until its retention date.
    erased, _ = HelpRequest.objects.filter(requester=user, status=HelpRequest.Status.NEW).delete()
    for handled in HelpRequest.objects.filter(requester=user):  # save(): audit-logged
        handled.requester, handled.phone, handled.message = None, "", ""
        handled.save(update_fields=["requester", "phone", "message"])
    return [
        f"counselling: {unlinked} client record(s) unlinked from the account",
        f"counselling: {erased} open help request(s) erased",
    ]
