"""The base of the demo city: the directory (real open data of Flensburg) and the
organisations, people and services every other app's demo builds on.

Runs first of the apps' ``demo.py`` modules (INSTALLED_APPS order, see ``lotse.core.demo``).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from django.conf import settings
from django.db import transaction

from lotse.accounts.mfa import totp_provision
from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.core.demo import DemoContext

from .importer import load_mapping, run_import
from .models import District, Facility, Language, Service

DATA_DIR = settings.BASE_DIR / "data" / "flensburg"
MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
DEMO_PASSWORD = "lotse-demo-2026"  # documented in the README; demo installations only

#: (e-mail, full name, organisation slug or None, role or None)
DEMO_USERS = [
    ("admin@lotse.example", "Ada Admin", "jugendamt-flensburg", Role.ADMIN),
    ("planer@lotse.example", "Paul Planer", "jugendamt-flensburg", Role.PLANNER),
    ("kita@lotse.example", "Kira Kita", "kita-kinderhaus", Role.FACILITY_STAFF),
    ("lotsin@lotse.example", "Leyla Lotsin", "lotsenstelle-flensburg", Role.COUNSELLOR),
    ("beratung@lotse.example", "Bernd Berater", "familienberatung-nord", Role.COUNSELLOR),
    ("netzwerk@lotse.example", "Nora Netzwerk", "netzwerk-kinderarmut", Role.COORDINATOR),
    ("verband@lotse.example", "Vera Verband", "elterninitiativen-sh", Role.COORDINATOR),
    ("foerderer@lotse.example", "Fritz Förderer", "stiftung-fruehe-bildung", Role.COORDINATOR),
    ("eltern@lotse.example", "Elif Yılmaz", None, None),
    ("eltern2@lotse.example", "Jonas Petersen", None, None),
]

ORGANISATIONS = [
    ("jugendamt-flensburg", "Jugendamt der Stadt Flensburg", Organisation.Kind.JUGENDAMT),
    ("stadt-flensburg-kitas", "Stadt Flensburg (Träger)", Organisation.Kind.OPERATOR),
    (
        "lotsenstelle-flensburg",
        "Lotsenstelle Kinderbetreuung Flensburg",
        Organisation.Kind.COUNSELLING,
    ),
    ("familienberatung-nord", "Familienberatung Nord e.V.", Organisation.Kind.COUNSELLING),
    (
        "elterninitiativen-sh",
        "Verband der Elterninitiativen Schleswig-Holstein e.V.",
        Organisation.Kind.ASSOCIATION,
    ),
    ("netzwerk-kinderarmut", "Netzwerk gegen Kinderarmut Flensburg", Organisation.Kind.NETWORK),
    ("stiftung-fruehe-bildung", "Stiftung Frühe Bildung Nord", Organisation.Kind.FUNDER),
]

#: Kitas whose staff get a facility organisation in the demo (name, slug).
DEMO_FACILITY_ORGS = [
    ("Kinderhaus", "kita-kinderhaus"),
    ("Neustadt", "kita-neustadt"),
    ("Mürwik", "kita-muerwik"),
]

SERVICES = [
    (
        "Lotsenstelle Kinderbetreuung Flensburg",
        Service.Kind.COUNSELLING,
        "lotsenstelle-flensburg",
        "Rathausplatz 1",
        "24937",
        54.7819,
        9.4372,
        "Flensburg",
        "Beratung zu Kita-Suche, Rechtsanspruch und Kosten",
    ),
    (
        "Familienberatung Nord",
        Service.Kind.COUNSELLING,
        "familienberatung-nord",
        "Friesische Straße 40",
        "24937",
        54.7867,
        9.4262,
        "Flensburg-Nord",
        "Erziehungs- und Familienberatung",
    ),
    (
        "Jugendamt Flensburg — Kita-Platzvergabe",
        Service.Kind.JUGENDAMT,
        "jugendamt-flensburg",
        "Am Pferdewasser 14",
        "24937",
        54.7779,
        9.4392,
        "Flensburg",
        "Kita-Plätze, Gebührenermäßigung",
    ),
    (
        "Familienmanagerin Mürwik",
        Service.Kind.FAMILY_MANAGER,
        None,
        "Kielseng 1",
        "24944",
        54.8066,
        9.4578,
        "Mürwik, Fruerlund",
        "zertifizierte Familienmanagerin",
    ),
    (
        "Familienmanager Weiche",
        Service.Kind.FAMILY_MANAGER,
        None,
        "Alter Husumer Weg 220",
        "24941",
        54.7596,
        9.3925,
        "Weiche, Sandberg",
        "zertifizierter Familienmanager",
    ),
]


def _import(file: str, mapping: str, **filters: str) -> str:
    report = run_import(
        DATA_DIR / file, load_mapping(MAPPINGS_DIR / f"{mapping}.json"), filters=filters or None
    )
    return f"{file}: {report.summary()}"


def load_directory() -> list[str]:
    return [
        _import("flensburg_stadtteile.geojson", "flensburg_districts_geojson"),
        _import("kitas_in_flensburg.geojson", "flensburg_kitas_geojson"),
        # Childminders (Kindertagespflege) of Flensburg from the Land's Kita-Datenbank.
        _import(
            "einrichtungen.json",
            "sh_einrichtungen_json",
            **{"address.town": "Flensburg", "type": "TPP"},
        ),
    ]


@transaction.atomic
def load_people(ctx: DemoContext) -> None:
    for slug, name, kind in ORGANISATIONS:
        org, _ = Organisation.objects.update_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "municipality": "Flensburg"}
        )
        ctx.organisations[slug] = org
    operator = ctx.organisations["stadt-flensburg-kitas"]
    for facility_name, slug in DEMO_FACILITY_ORGS:
        facility = Facility.objects.filter(source="flensburg", name=facility_name).first()
        if facility is None:
            continue
        org, _ = Organisation.objects.update_or_create(
            slug=slug,
            defaults={
                "name": f"Kita {facility.name}",
                "kind": Organisation.Kind.FACILITY,
                "parent": operator,
                "municipality": "Flensburg",
            },
        )
        facility.organisation = org
        facility.save(update_fields=["organisation"])
        ctx.organisations[slug] = org
    for email, full_name, org_slug, role in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
            confirm_email(user)
        if email.startswith("admin@"):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if org_slug and role and org_slug in ctx.organisations:
            Membership.objects.get_or_create(
                user=user, organisation=ctx.organisations[org_slug], role=role
            )
            totp_provision(user, secret=demo_totp_secret(email))
        ctx.users[email.split("@")[0]] = user
    for name, kind, org_slug, street, postcode, lat, lon, area, description in SERVICES:
        Service.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "organisation": ctx.organisations.get(org_slug or ""),
                "street": street,
                "postcode": postcode,
                "city": "Flensburg",
                "latitude": lat,
                "longitude": lon,
                "area_of_activity": area,
                "description": description,
            },
        )
    _add_service_contacts()


#: How families reach the demo's counselling services and the Jugendamt: the status page and
#: the help form show these (issue 16: not just a name and a street). Endonyms for languages.
SERVICE_CONTACTS = {
    "Lotsenstelle Kinderbetreuung Flensburg": {
        "phone": "0461 85-2000",
        "email": "lotsenstelle@flensburg.example",
        "opening_hours": {
            "mon": ["09:00", "12:00"],
            "tue": ["09:00", "16:00"],
            "thu": ["13:00", "18:00"],
        },
        "opening_note": "Offene Sprechstunde ohne Termin dienstags; Termine auch per Video.",
        "languages": [
            ("de", "Deutsch"),
            ("tr", "Türkçe"),
            ("ar", "العربية"),
            ("uk", "Українська"),
            ("ru", "Русский"),
            ("fa", "فارسی"),
        ],
    },
    "Familienberatung Nord": {
        "phone": "0461 14 14 30",
        "email": "beratung@familienberatung-nord.example",
        "opening_hours": {"mon": ["08:30", "15:00"], "wed": ["08:30", "18:00"]},
        "opening_note": "",
        "languages": [("de", "Deutsch"), ("en", "English"), ("ar", "العربية")],
    },
    "Jugendamt Flensburg — Kita-Platzvergabe": {
        "phone": "0461 85-1500",
        "email": "kita-platzvergabe@flensburg.example",
        "opening_hours": {"tue": ["08:00", "12:00"], "thu": ["14:00", "17:00"]},
        "opening_note": "",
        "languages": [("de", "Deutsch"), ("en", "English")],
    },
}


def _add_service_contacts() -> None:
    for name, contact in SERVICE_CONTACTS.items():
        service = Service.objects.get(name=name)
        for field in ("phone", "email", "opening_hours", "opening_note"):
            setattr(service, field, contact[field])
        service.save()
        service.languages.set(
            Language.objects.get_or_create(code=code, defaults={"name": label})[0]
            for code, label in contact["languages"]
        )


def demo_totp_secret(email: str) -> str:
    """A fixed, published secret per demo staff user (README), so the demo works at once."""
    return base64.b32encode(hashlib.sha1(f"lotse-demo:{email}".encode()).digest()).decode()


def confirm_email(user: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def load(ctx: DemoContext) -> list[str]:
    lines = load_directory()
    load_people(ctx)
    lines.append(
        f"{len(ctx.organisations)} organisations, {len(ctx.users)} demo users "
        f"(password '{DEMO_PASSWORD}'), {District.objects.count()} districts"
    )
    return lines
