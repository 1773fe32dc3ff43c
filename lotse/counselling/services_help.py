"""A family asks the counselling service for help from inside Lotse (the status page).

The request reaches the chosen service's intake list (``selectors_help.intake_list``) as a new
case request, in the family's language, with the family's explicit consent to pass on its name,
contact and the application's details. Every change is audit-logged (django-auditlog plus the
actor of ``entry_point``); the family gets a confirmation mail in its language, the counsellors a
notice without personal data.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lotse.accounts.models import Organisation, User
from lotse.applications.models import Application
from lotse.applications.selectors import applications_for_parent
from lotse.core.audit import entry_point
from lotse.core.mail import queue_mail
from lotse.directory.models import Service

from .models import Case, HelpRequest, Topic
from .selectors import counselling_services_for_user, counsellors_of
from .services import case_open

MESSAGE_LIMIT = 1000


def helping_services() -> list[Service]:
    """Public counselling services that take requests in Lotse (run by a counselling
    organisation), nearest first is left to the family: alphabetical."""
    return list(
        Service.objects.filter(
            kind=Service.Kind.COUNSELLING,
            is_public=True,
            organisation__kind=Organisation.Kind.COUNSELLING,
        )
        .select_related("organisation")
        .prefetch_related("languages")
        .order_by("name")
    )


def _check(
    *, service: Service, contact_way: str, phone: str, message: str, language: str, consent: bool
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if service.pk not in {s.pk for s in helping_services()}:
        errors["service"] = _("Please choose one of the counselling services in the list.")
    if contact_way not in HelpRequest.ContactWay.values:
        errors["contact_way"] = _("Please choose how the counselling service should contact you.")
    if contact_way == HelpRequest.ContactWay.PHONE and not phone.strip():
        errors["phone"] = _("Please enter a phone number, or choose to be contacted by e-mail.")
    if len(message) > MESSAGE_LIMIT:
        errors["message"] = _("Please write at most %(n)d characters.") % {"n": MESSAGE_LIMIT}
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Please choose a language.")
    if not consent:
        errors["consent"] = _(
            "Without your consent we cannot pass your request on to the counselling service."
        )
    return errors


@entry_point
def help_request_create(
    *,
    actor: User,
    service: Service,
    application: Application | None,
    contact_way: str,
    phone: str = "",
    message: str = "",
    language: str,
    consent: bool,
) -> HelpRequest:
    """A signed-in family asks a counselling service for help (with consent to pass on data)."""
    if not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied
    if (
        application is not None
        and not applications_for_parent(actor).filter(pk=application.pk).exists()
    ):
        raise PermissionDenied
    message = message.strip()
    errors = _check(
        service=service,
        contact_way=contact_way,
        phone=phone,
        message=message,
        language=language,
        consent=consent,
    )
    if errors:
        raise ValidationError(errors)
    assert service.organisation is not None  # helping_services() has an organisation
    request = HelpRequest.objects.create(
        organisation=service.organisation,
        service=service,
        requester=actor,
        application=application,
        language=language,
        contact_way=contact_way,
        phone=phone.strip()[:40],
        message=message,
        consent_at=timezone.now(),
    )
    _mail_family(request, actor)
    _notify_counsellors(request)
    return request


def _mail_family(request: HelpRequest, actor: User) -> None:
    service = request.service
    queue_mail(
        to=actor.email,
        language=request.language,
        template="counselling/mail/help_request_received",
        context={
            "service": service,
            "request": request,
            "contact_way": request.contact_way,
            "status_path": (
                reverse("applications:detail", args=[request.application_id])
                if request.application_id
                else ""
            ),
        },
    )


def _notify_counsellors(request: HelpRequest) -> None:
    path = reverse("counselling:intake")
    for user in counsellors_of(request.organisation):
        queue_mail(
            to=user.email,
            language=user.language,
            template="counselling/mail/help_request_new",
            context={"service": request.organisation.name, "path": path},
        )


def _lock_for_counsellor(actor: User, request: HelpRequest) -> HelpRequest:
    locked = HelpRequest.objects.select_for_update().get(pk=request.pk)
    if not counselling_services_for_user(actor).filter(pk=locked.organisation_id).exists():
        raise PermissionDenied
    if locked.status != HelpRequest.Status.NEW:
        raise ValidationError(_("This request has already been handled."))
    return locked


@entry_point
def help_request_open_case(*, actor: User, request: HelpRequest, alias: str) -> Case:
    """A counsellor takes a family's request into a new case (pseudonymous client, linked to the
    parent's account, the family's language, topic "finding a place")."""
    locked = _lock_for_counsellor(actor, request)
    if not alias.strip():
        raise ValidationError({"alias": _("Please give the client a pseudonym.")})
    case = case_open(
        actor=actor,
        organisation=locked.organisation,
        alias=alias,
        languages=[locked.language],
        children_count=1,
        district=locked.application.home_district if locked.application else None,
        topics=[Topic.FINDING_PLACE],
        notes=locked.message,
    )
    client = case.client
    client.parent_user = locked.requester
    client.save(update_fields=["parent_user"])
    locked.status = HelpRequest.Status.ACCEPTED
    locked.case = case
    locked.handled_by = actor
    locked.handled_at = timezone.now()
    locked.save(update_fields=["status", "case", "handled_by", "handled_at"])
    return case


@entry_point
def help_request_close(*, actor: User, request: HelpRequest) -> HelpRequest:
    """A counsellor closes a request without a case (e.g. answered by phone right away)."""
    locked = _lock_for_counsellor(actor, request)
    locked.status = HelpRequest.Status.CLOSED
    locked.handled_by = actor
    locked.handled_at = timezone.now()
    locked.save(update_fields=["status", "handled_by", "handled_at"])
    return locked
