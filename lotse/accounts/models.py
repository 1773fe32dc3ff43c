"""Users, organisations and the memberships that scope every other query in Lotse."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def language_choices() -> list[tuple[str, str]]:
    """The languages of ``settings.LANGUAGES``, each in its own name ("Türkçe", "العربيّة"), so
    a parent who reads only Arabic finds Arabic. A callable, so that adding a language to the
    settings needs no migration."""
    from django.utils.translation import get_language_info

    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with a login. Parents need no membership; staff act through memberships."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=language_choices, default="de"
    )
    #: Set when the person chose the language (sign-up, switcher, profile); from then on the
    #: account's language wins over the browser's on every device (UserLanguageMiddleware).
    language_chosen = models.BooleanField(_("language chosen by the person"), default=False)
    is_staff = models.BooleanField(
        _("admin site access"),
        default=False,
        help_text=_("Allows logging into the technical administration site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organisation(models.Model):
    """Any body that acts in the system: Träger, facility, association, Jugendamt, …"""

    class Kind(models.TextChoices):
        OPERATOR = "operator", _("Operator (Träger)")
        FACILITY = "facility", _("Facility")
        ASSOCIATION = "association", _("Umbrella association")
        JUGENDAMT = "jugendamt", _("Jugendamt / municipality")
        COUNSELLING = "counselling", _("Counselling service")
        NETWORK = "network", _("Network")
        FUNDER = "funder", _("Funder")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PARENT = "parent", _("Parent")
    FACILITY_STAFF = "facility_staff", _("Facility staff")
    COUNSELLOR = "counsellor", _("Counsellor")
    PLANNER = "planner", _("Jugendamt planner")
    COORDINATOR = "coordinator", _("Network coordinator")
    ADMIN = "admin", _("Administrator")


#: Roles that act on other people's data and therefore must use two-factor authentication.
STAFF_ROLES = frozenset(
    {Role.FACILITY_STAFF, Role.COUNSELLOR, Role.PLANNER, Role.COORDINATOR, Role.ADMIN}
)


class Membership(models.Model):
    """A user's role in an organisation; the basis of every permission check."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role_label} · {self.organisation}"

    @property
    def role_label(self) -> str:
        """The role as its holder knows it: a funder's staff hold the coordinator role (it
        opens the calls and grants pages), but they are the funder, not a network's
        coordinator; likewise an association's coordinator."""
        if self.role == Role.COORDINATOR:
            kind = self.organisation.kind
            if kind == Organisation.Kind.FUNDER:
                return str(pgettext_lazy("role", "Funder"))
            if kind == Organisation.Kind.ASSOCIATION:
                return str(pgettext_lazy("role", "Association coordinator"))
        return str(self.get_role_display())


auditlog.register(User, exclude_fields=["password", "last_login"])
auditlog.register(Organisation)
auditlog.register(Membership)
