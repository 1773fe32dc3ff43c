"""GDPR self-service: export (Art. 15, Art. 20) and erasure (Art. 17) of a person's data.

Every Lotse app may provide a ``gdpr.py`` with

- ``export_user_data(user) -> dict``: the person's OWN data in that app, JSON-serialisable,
  with a ``"withheld"`` list of category codes left out on purpose (see ``WITHHELD``);
- ``erase_user_data(user) -> list[str]``: delete what need not be kept, anonymise what must be
  kept (planning, statistics, audit), unlink the account; returns short summary lines.

The apps' hooks hold no translatable text (their catalogues belong to their teams); the labels
of the export live here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from auditlog.models import LogEntry
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lotse.core.discovery import lotse_app_modules
from lotse.core.pdf import render_pdf
from lotse.core.retention import AUDIT_RETENTION_DAYS, audit_replace_mentions, audit_scrub

from .models import Membership, User
from .selectors import user_is_admin

EXPORT_FORMAT = "lotse-data-export/1"
ERASED_EMAIL = "erased-{pk}@invalid.example"
ERASED_MENTION = "[erased]"

#: Section titles of the apps' parts, in the order of INSTALLED_APPS.
APP_TITLES: dict[str, Promise] = {
    "applications": gettext_lazy("Childcare applications"),
    "allocation": gettext_lazy("Allocation results"),
    "counselling": gettext_lazy("Counselling"),
    "events": gettext_lazy("Events and trainings"),
    "networks": gettext_lazy("Networks"),
    "news": gettext_lazy("News subscriptions"),
}

#: Who sees the data of each area (shown on the data page).
APP_AUDIENCE: dict[str, Promise] = {
    "account": gettext_lazy(
        "You; administrators of Lotse for support. Staff of your organisations see your name "
        "and e-mail address."
    ),
    "applications": gettext_lazy(
        "You and other guardians of the child; the facilities you wished for; the Jugendamt "
        "of the municipality; a counselling service if it applied on your behalf."
    ),
    "allocation": gettext_lazy("You and the Jugendamt that ran the allocation."),
    "counselling": gettext_lazy(
        "Only the counsellors of the counselling service. Others only with your consent."
    ),
    "events": gettext_lazy("You and the organiser of the event."),
    "networks": gettext_lazy("The members and coordinators of the network."),
    "news": gettext_lazy("Only the organisation whose news you subscribed to, for sending them."),
}

#: Categories deliberately left out of the export, with the reason given to the person.
WITHHELD: dict[str, tuple[Promise, Promise]] = {
    "counselling_records": (
        gettext_lazy(
            "The counsellors' case notes, notes on contacts, reasons and notes of referrals, "
            "and follow-up tasks"
        ),
        gettext_lazy(
            "They were entrusted to the counselling service for personal help and are "
            "protected by §65 SGB VIII. Ask the counselling service for access; it decides "
            "under §§61–65 SGB VIII and §83 SGB X."
        ),
    ),
    "jugendamt_note": (
        gettext_lazy("The Jugendamt's note on social urgency"),
        gettext_lazy(
            "It may contain information entrusted by others (§65 SGB VIII). Ask the Jugendamt "
            "for access (§83 SGB X)."
        ),
    ),
    "calendar_secrets": (
        gettext_lazy("The secret addresses of your calendar feeds"),
        gettext_lazy("They work like passwords. You find them on the network's calendar page."),
    ),
    "credentials": (
        gettext_lazy("Your password hash, two-factor secrets and recovery codes"),
        gettext_lazy("They are security credentials and are never exported."),
    ),
    "audit_log": (
        gettext_lazy("The audit log (who changed which record when)"),
        gettext_lazy(
            "It is kept for security and accountability and deleted after three years. It is "
            "not part of this self-service export; the operator of Lotse answers requests for "
            "it (Art. 15 GDPR)."
        ),
    ),
}

#: Readable labels of the export's keys (the JSON keeps the stable English keys).
LABELS: dict[str, Promise] = {
    "account": gettext_lazy("Account"),
    "email": gettext_lazy("E-mail address"),
    "full_name": gettext_lazy("Full name"),
    "language": gettext_lazy("Language"),
    "date_joined": gettext_lazy("Registered on"),
    "last_login": gettext_lazy("Last sign-in"),
    "is_active": gettext_lazy("Active"),
    "email_addresses": gettext_lazy("E-mail addresses"),
    "verified": gettext_lazy("Confirmed"),
    "primary": gettext_lazy("Primary address"),
    "memberships": gettext_lazy("Memberships"),
    "organisation": gettext_lazy("Organisation"),
    "kind": gettext_lazy("Kind"),
    "role": gettext_lazy("Role"),
    "since": gettext_lazy("Since"),
    "two_factor": gettext_lazy("Two-factor authentication"),
    "authenticator_app": gettext_lazy("Authenticator app set up"),
    "recovery_codes": gettext_lazy("Recovery codes set up"),
    "children": gettext_lazy("Children"),
    "id": gettext_lazy("Number"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "birth_date": gettext_lazy("Date of birth"),
    "expected_birth_date": gettext_lazy("Expected date of birth"),
    "other_guardians": gettext_lazy("Other guardians"),
    "applications": gettext_lazy("Applications"),
    "status": gettext_lazy("Status"),
    "municipality": gettext_lazy("Municipality"),
    "desired_start": gettext_lazy("Desired start"),
    "weekly_hours": gettext_lazy("Care hours per week"),
    "home_district": gettext_lazy("Home district"),
    "home_postcode": gettext_lazy("Postcode"),
    "sibling_facility": gettext_lazy("Sibling attends"),
    "staff_facility": gettext_lazy("A parent works at"),
    "employment": gettext_lazy("Parents employed or in training"),
    "single_parent": gettext_lazy("Single parent"),
    "social_urgency": gettext_lazy("Social urgency"),
    "consent_at": gettext_lazy("Consent given"),
    "submitted_at": gettext_lazy("Submitted"),
    "withdrawn_at": gettext_lazy("Withdrawn"),
    "created_at": gettext_lazy("Created"),
    "counselling_organisation": gettext_lazy("Counselling service"),
    "wishes": gettext_lazy("Wishes"),
    "wish_list": gettext_lazy("Wish list"),
    "rank": gettext_lazy("Rank"),
    "facility": gettext_lazy("Facility"),
    "offers": gettext_lazy("Offers"),
    "seat_type": gettext_lazy("Age group"),
    "start_month": gettext_lazy("Start"),
    "wish_rank": gettext_lazy("Wish"),
    "offered_at": gettext_lazy("Offered"),
    "answer_by": gettext_lazy("Answer by"),
    "answered_at": gettext_lazy("Answered"),
    "contract_confirmed_at": gettext_lazy("Contract confirmed"),
    "outcomes": gettext_lazy("Results"),
    "application": gettext_lazy("Application number"),
    "round": gettext_lazy("Allocation round"),
    "published_at": gettext_lazy("Published"),
    "wish_obtained": gettext_lazy("Wish obtained"),
    "reasons": gettext_lazy("Reasons (codes)"),
    "waiting_positions": gettext_lazy("Waiting positions"),
    "run": gettext_lazy("Run"),
    "clients": gettext_lazy("Client records"),
    "counselling_service": gettext_lazy("Counselling service"),
    "alias": gettext_lazy("Alias"),
    "languages": gettext_lazy("Languages"),
    "children_count": gettext_lazy("Number of children"),
    "district": gettext_lazy("District"),
    "cases": gettext_lazy("Cases"),
    "opened_on": gettext_lazy("Opened on"),
    "closed_on": gettext_lazy("Closed on"),
    "topics": gettext_lazy("Topics"),
    "outcome": gettext_lazy("Outcome"),
    "keep_until": gettext_lazy("Kept until"),
    "after_retention": gettext_lazy("Afterwards"),
    "consents": gettext_lazy("Consents"),
    "purpose": gettext_lazy("Purpose"),
    "given_on": gettext_lazy("Given on"),
    "form": gettext_lazy("Form"),
    "scope": gettext_lazy("Scope"),
    "withdrawn_on": gettext_lazy("Withdrawn on"),
    "referrals": gettext_lazy("Referrals"),
    "referred_to": gettext_lazy("Referred to"),
    "sent_at": gettext_lazy("Sent"),
    "shares_data": gettext_lazy("Data passed on"),
    "outcome_on": gettext_lazy("Outcome recorded on"),
    "registrations": gettext_lazy("Registrations"),
    "event": gettext_lazy("Event"),
    "organiser": gettext_lazy("Organiser"),
    "workplace": gettext_lazy("Facility or employer"),
    "member_organisation": gettext_lazy("Member facility"),
    "member_verified": gettext_lazy("Membership verified"),
    "fee_due": gettext_lazy("Fee due (EUR)"),
    "answers": gettext_lazy("Answers"),
    "queue_number": gettext_lazy("Queue number"),
    "registered_at": gettext_lazy("Registered"),
    "confirmed_at": gettext_lazy("Confirmed"),
    "cancelled_at": gettext_lazy("Cancelled"),
    "attendance": gettext_lazy("Attendance"),
    "date": gettext_lazy("Date"),
    "present": gettext_lazy("Present"),
    "network": gettext_lazy("Network"),
    "function": gettext_lazy("Function"),
    "working_groups": gettext_lazy("Working groups"),
    "joined_at": gettext_lazy("Joined"),
    "invitations": gettext_lazy("Invitations"),
    "meeting": gettext_lazy("Meeting"),
    "starts_at": gettext_lazy("Begins"),
    "answer": gettext_lazy("Answer"),
    "attended": gettext_lazy("Attended"),
    "tasks": gettext_lazy("Tasks"),
    "task": gettext_lazy("Task"),
    "due_on": gettext_lazy("Due on"),
    "documents_uploaded": gettext_lazy("Documents uploaded"),
    "title": gettext_lazy("Title"),
    "uploaded_at": gettext_lazy("Uploaded"),
    "reviews": gettext_lazy("Reviews"),
    "call": gettext_lazy("Programme call"),
    "project": gettext_lazy("Project"),
    "total": gettext_lazy("Total score"),
    "comment": gettext_lazy("Comment"),
    "updated_at": gettext_lazy("Updated"),
    "calendar_feeds": gettext_lazy("Calendar feeds"),
    "subscriptions": gettext_lazy("Subscriptions"),
    "subscribed_at": gettext_lazy("Subscribed"),
}


def _app_modules() -> list[tuple[str, Any]]:
    """(app label, gdpr module) of every Lotse app with a hook, except this module."""
    modules = []
    for module in lotse_app_modules("gdpr"):
        if module.__name__ == __name__:
            continue
        modules.append((module.__name__.split(".")[-2], module))
    return modules


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _account_part(user: User) -> dict[str, Any]:
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    return {
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "language_label": str(user.get_language_display()),
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "is_active": user.is_active,
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "memberships": [
            {
                "organisation": m.organisation.name,
                "kind": str(m.organisation.get_kind_display()),
                "role": m.role_label,
                "since": _iso(m.created_at),
            }
            for m in memberships
        ],
        # Whether a factor is set up, never its secret.
        "two_factor": {
            "authenticator_app": Authenticator.Type.TOTP in types,
            "recovery_codes": Authenticator.Type.RECOVERY_CODES in types,
        },
    }


def gdpr_export(user: User) -> dict[str, Any]:
    """Everything Lotse holds about ``user`` that belongs to them, in their language."""
    with translation.override(user.language):
        export: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "generated_at": timezone.now().isoformat(),
            "account": _account_part(user),
        }
        withheld: list[tuple[str, str]] = [("account", "credentials")]
        for app, module in _app_modules():
            part = dict(module.export_user_data(user))
            withheld.extend((app, code) for code in part.pop("withheld", []))
            export[app] = part
        withheld.append(("account", "audit_log"))
        export["withheld"] = [
            {
                "area": area,
                "category": code,
                "description": str(WITHHELD[code][0]),
                "reason": str(WITHHELD[code][1]),
            }
            for area, code in withheld
        ]
    return export


# --- A readable version (data page overview and PDF) ------------------------------------------


@dataclass
class Node:
    label: str
    value: str = ""
    children: list[Node] = field(default_factory=list)


def _label(key: str) -> str:
    return str(LABELS.get(key, key.replace("_", " ").capitalize()))


def _format(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
            moment = timezone.localtime(dt.datetime.fromisoformat(value))
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(_format(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_format(item)}" for key, item in value.items())
    return str(value)


def _nodes(data: dict[str, Any]) -> list[Node]:
    nodes = []
    for key, value in data.items():
        if key.endswith("_label"):
            continue
        shown = data.get(f"{key}_label", value)
        if isinstance(value, dict) and key != "answers":
            nodes.append(Node(_label(key), children=_nodes(value)))
        elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            items = [Node(f"{index}.", children=_nodes(i)) for index, i in enumerate(value, 1)]
            nodes.append(Node(_label(key), children=items))
        else:
            nodes.append(Node(_label(key), _format(shown)))
    return nodes


def _count(part: dict[str, Any]) -> int:
    return sum(len(v) for k, v in part.items() if isinstance(v, list) and k != "withheld")


def export_overview(export: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per area for the data page: title, number of records, who sees them."""
    rows = [
        {
            "title": _("Account"),
            "count": 1 + len(export["account"]["memberships"]),
            "audience": str(APP_AUDIENCE["account"]),
        }
    ]
    for app, title in APP_TITLES.items():
        if app in export:
            rows.append(
                {
                    "title": str(title),
                    "count": _count(export[app]),
                    "audience": str(APP_AUDIENCE[app]),
                }
            )
    return rows


def export_sections(export: dict[str, Any]) -> list[Node]:
    sections = [Node(_("Account"), children=_nodes(export["account"]))]
    for app, title in APP_TITLES.items():
        if app in export:
            children = _nodes(export[app])
            if not _count(export[app]):
                children = [Node(_("Records"), _("None"))]
            sections.append(Node(str(title), children=children))
    return sections


def gdpr_export_pdf(user: User) -> bytes:
    export = gdpr_export(user)
    with translation.override(user.language):
        context = {
            "export": export,
            "sections": export_sections(export),
            "withheld": export["withheld"],
            "generated_at": _format(export["generated_at"]),
            "user": user,
        }
        return render_pdf("accounts/data_export_pdf.html", context, language=user.language)


# --- Erasure ----------------------------------------------------------------------------------


def _delete_sessions(user: User) -> int:
    deleted = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            deleted += 1
    return deleted


def _check_may_erase(actor: User, user: User) -> None:
    if actor.pk != user.pk and not user_is_admin(actor):
        raise PermissionDenied
    if (
        user.is_superuser
        and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()
    ):
        raise ValidationError(
            _(
                "This is the only administrator account. Appoint another administrator before "
                "erasing it."
            )
        )


@transaction.atomic
def gdpr_erase(*, actor: User, user: User) -> list[str]:
    """Erase ``user``'s personal data in one transaction; returns summary lines.

    Every app deletes what need not be kept and anonymises what must be kept (statistics,
    planning, audit). Then the account itself is anonymised rather than deleted, so that the
    records of a staff member's work (minutes, reviews, case contacts) and the audit trail keep
    a stable, no longer identifying reference: e-mail ``erased-<id>@invalid.example``, no name,
    inactive, no usable password, no e-mail addresses, second factors or sessions.
    """
    _check_may_erase(actor, user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    old_email, old_name = locked.email, locked.full_name
    lines: list[str] = []
    for _app, module in _app_modules():
        lines.extend(module.erase_user_data(locked))

    memberships = list(Membership.objects.filter(user=locked).values_list("pk", flat=True))
    for membership in Membership.objects.filter(pk__in=memberships):
        membership.delete()
    addresses, _ = EmailAddress.objects.filter(user=locked).delete()
    factors, _ = Authenticator.objects.filter(user=locked).delete()
    sessions = _delete_sessions(locked)

    new_email = ERASED_EMAIL.format(pk=locked.pk)
    locked.email = new_email
    locked.full_name = ""
    locked.is_active = False
    locked.is_staff = False
    locked.is_superuser = False
    locked.last_login = None
    locked.set_unusable_password()
    locked.save()
    locked.groups.clear()
    locked.user_permissions.clear()
    # Keep the caller's instance in step (e.g. request.user, used by the audit middleware).
    user.email, user.full_name, user.is_active = new_email, "", False
    lines.append(
        f"accounts: account anonymised, {len(memberships)} membership(s), {addresses} e-mail "
        f"address(es), {factors} second factor(s) and {sessions} session(s) deleted"
    )

    # The audit log: entries about the account and its memberships lose their values, entries
    # the person wrote lose the address they came from, and mentions of the name go.
    audit_scrub(User, [locked.pk])
    audit_scrub(Membership, memberships)
    LogEntry.objects.filter(actor=locked).update(
        actor_email=new_email, remote_addr=None, remote_port=None
    )
    LogEntry.objects.filter(actor_email__iexact=old_email).update(actor_email=new_email)
    mentions = [old_email] + ([old_name] if len(old_name.strip()) >= 5 else [])
    scrubbed = audit_replace_mentions(mentions, ERASED_MENTION)
    lines.append(f"audit: {scrubbed} further entr(y/ies) no longer name the person")

    record = LogEntry.objects.log_create(
        locked,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        actor=actor,
        actor_email=new_email if actor.pk == locked.pk else actor.email,
        remote_addr=None,
        changes_text="",
        additional_data={
            "event": "gdpr_erasure",
            "requested_by": "self" if actor.pk == locked.pk else "administrator",
            "summary": lines,
            "audit_retention_days": AUDIT_RETENTION_DAYS,
        },
    )
    # The request's audit context fills in the client address; the record keeps none.
    LogEntry.objects.filter(pk=record.pk).update(remote_addr=None, remote_port=None)
    return lines
