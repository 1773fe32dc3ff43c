"""GDPR hooks of the networks app: a person's network memberships, invitations and tasks.

Found by ``lotse.accounts.gdpr`` like ``dashboard.py``. No translatable strings here: the
accounts app labels the export (its catalogue holds the texts).

Work records (minutes, decisions, documents, reviews, funding files) are the network's and the
funder's records; after an erasure they stay and point to the anonymised account.
"""

from __future__ import annotations

from typing import Any

from lotse.accounts.models import User
from lotse.core.retention import audit_scrub

from .models import CalendarToken, Document, Invitation, NetworkMember, Review, Task


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_user_data(user: User) -> dict[str, Any]:
    members = (
        NetworkMember.objects.filter(user=user)
        .select_related("network__organisation", "organisation")
        .prefetch_related("groups")
    )
    invitations = Invitation.objects.filter(user=user).select_related(
        "meeting__network__organisation"
    )
    tasks = Task.objects.filter(owner__user=user).select_related("network__organisation")
    documents = Document.objects.filter(uploaded_by=user).select_related("network__organisation")
    reviews = Review.objects.filter(reviewer=user).select_related("application__call")
    tokens = CalendarToken.objects.filter(user=user).select_related("network__organisation")
    return {
        "memberships": [
            {
                "network": m.network.name,
                "role": m.role,
                "role_label": str(m.get_role_display()),
                "function": m.function,
                "organisation": m.organisation.name if m.organisation else None,
                "working_groups": [g.name for g in m.groups.all()],
                "joined_at": _iso(m.joined_at),
            }
            for m in members
        ],
        "invitations": [
            {
                "network": i.meeting.network.name,
                "meeting": i.meeting.title,
                "starts_at": _iso(i.meeting.starts_at),
                "answer": i.response,
                "attended": i.attended,
            }
            for i in invitations
        ],
        "tasks": [
            {
                "network": t.network.name,
                "task": t.title,
                "due_on": _iso(t.due_on),
                "status": t.status,
            }
            for t in tasks
        ],
        "documents_uploaded": [
            {"network": d.network.name, "title": d.title, "uploaded_at": _iso(d.uploaded_at)}
            for d in documents
        ],
        "reviews": [
            {
                "call": r.application.call.title,
                "project": r.application.project_title,
                "total": r.total,
                "comment": r.comment,
                "updated_at": _iso(r.updated_at),
            }
            for r in reviews
        ],
        # The feed's secret address itself is not exported (it works like a password).
        "calendar_feeds": [
            {"network": t.network.name, "created_at": _iso(t.created_at)} for t in tokens
        ],
        "withheld": ["calendar_secrets"] if tokens else [],
    }


def erase_user_data(user: User) -> list[str]:
    """Delete the person's network memberships (tasks become unassigned, working-group leads
    empty), invitations and calendar feeds; documents, minutes and reviews stay as the
    network's and funder's records, pointing to the anonymised account."""
    member_pks = list(NetworkMember.objects.filter(user=user).values_list("pk", flat=True))
    invitation_pks = list(Invitation.objects.filter(user=user).values_list("pk", flat=True))
    token_pks = list(CalendarToken.objects.filter(user=user).values_list("pk", flat=True))
    # Row by row, so that the audit log records each deletion (then masked below).
    for member in NetworkMember.objects.filter(pk__in=member_pks):
        member.delete()
    for invitation in Invitation.objects.filter(pk__in=invitation_pks):
        invitation.delete()
    for token in CalendarToken.objects.filter(pk__in=token_pks):
        token.delete()
    audit_scrub(NetworkMember, member_pks)
    audit_scrub(Invitation, invitation_pks)
    audit_scrub(CalendarToken, token_pks)
    return [
        f"networks: {len(member_pks)} membership(s), {len(invitation_pks)} invitation(s) and "
        f"{len(token_pks)} calendar feed(s) deleted"
    ]
