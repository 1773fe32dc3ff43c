"""Who may see what: membership look-ups that every app's selectors build on."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import QuerySet

from lotse.core.discovery import lotse_app_modules

from .models import STAFF_ROLES, Membership, Organisation, Role, User


def _roles(roles: Role | str | Iterable[Role | str]) -> list[str]:
    if isinstance(roles, str):
        return [str(roles)]
    return [str(r) for r in roles]


def user_is_admin(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.memberships.filter(role=Role.ADMIN).exists()


def user_roles(user: User) -> set[str]:
    """All roles of the user; every signed-in user can act as a parent."""
    if not user.is_authenticated:
        return set()
    roles = set(user.memberships.values_list("role", flat=True))
    roles.add(Role.PARENT.value)
    if user.is_superuser:
        roles.add(Role.ADMIN.value)
    return roles


def user_has_role(user: User, roles: Role | str | Iterable[Role | str]) -> bool:
    wanted = set(_roles(roles))
    return bool(wanted & user_roles(user))


def organisations_for_user(
    user: User, roles: Role | str | Iterable[Role | str] | None = None
) -> QuerySet[Organisation]:
    """Organisations in which the user holds one of ``roles`` (any role when None)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=_roles(roles))
    return Organisation.objects.filter(pk__in=memberships.values("organisation_id"))


def organisation_ids_for_user(
    user: User, roles: Role | str | Iterable[Role | str] | None = None
) -> set[int]:
    return set(organisations_for_user(user, roles).values_list("pk", flat=True))


def user_needs_second_factor(user: User) -> bool:
    """Everyone who acts on other people's data must use two-factor authentication: staff
    memberships, the admin site, and every staff-like role another app gives (an app's
    ``selectors.holds_staff_role(user)``, e.g. network coordinators added by e-mail)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    if user.memberships.filter(role__in=[str(r) for r in STAFF_ROLES]).exists():
        return True
    return any(check(user) for check in staff_role_checks())


def staff_role_checks() -> list[Callable[[User], bool]]:
    """The ``holds_staff_role`` functions of every app's selectors (found by name, so accounts
    needs to know no app above it)."""
    return [
        module.holds_staff_role
        for module in lotse_app_modules("selectors")
        if callable(getattr(module, "holds_staff_role", None))
    ]


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's own memberships with their organisations, for the start page."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )
