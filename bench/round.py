"""Benchmark: one allocation round for ~60,000 applications on the Schleswig-Holstein facilities,
from the database to the offers written (not a timed test).

    .venv/bin/python bench/round.py                         # SQLite (a fresh file in /tmp)
    .venv/bin/python bench/round.py --database-url postgres://postgres@127.0.0.1:5432/lotse_bench_round
    .venv/bin/python bench/round.py --applications 20000    # smaller

Set-up (not timed): a fresh database, the 3,303 facilities of the Land's Kita-Datenbank
(``data/flensburg/einrichtungen.json``), seats per facility and seat type from its age range,
and ``--applications`` families bulk-created: each lives near a random facility and names 1–5
of its 8 nearest facilities (with noise), with random priority facts.

Timed, through the real services: ``round_create`` → ``round_snapshot`` (reads everything,
marks 60k applications "in allocation", audit entries) → ``round_simulate`` → ``round_publish``
(engine, explanations, waiting positions, offers, outcomes, statuses, audit entries) → one
``round_rerun`` after 1% of the offers were declined. One line per step; the target is the sum
of snapshot + publish ≤ 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str | None) -> str:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        _create_pg_database(database_url)
        label = "PostgreSQL"
    else:
        path = Path(tempfile.gettempdir()) / "lotse_bench_round.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["LOTSE_SQLITE_PATH"] = str(path)
        os.environ.pop("DATABASE_URL", None)
        label = "SQLite"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lotse.settings")
    os.environ.setdefault("LOTSE_ENVIRONMENT", "development")
    os.environ["LOTSE_TASK_BACKEND"] = "django_tasks_db.DatabaseBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return label


def _create_pg_database(url: str) -> None:
    """Drop and create the benchmark database (never the default one)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    if not name.startswith("lotse_bench"):
        raise SystemExit("the benchmark database name must start with 'lotse_bench'")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate(n_applications: int, seed: int = 7) -> dict[str, int]:
    import datetime as dt

    import numpy as np
    from django.utils import timezone

    from lotse.accounts.models import Organisation, User
    from lotse.applications.models import Application, Child, Guardian, SeatQuota, Wish
    from lotse.directory.importer import load_mapping, run_import
    from lotse.directory.models import Facility

    started = time.perf_counter()
    run_import(
        ROOT / "data" / "flensburg" / "einrichtungen.json",
        load_mapping(ROOT / "lotse" / "directory" / "mappings" / "sh_einrichtungen_json.json"),
    )
    imported = time.perf_counter() - started
    rng = np.random.default_rng(seed)
    facilities = list(
        Facility.objects.filter(latitude__isnull=False).values_list(
            "pk", "latitude", "longitude", "age_from_months", "age_to_months"
        )
    )
    ids = np.array([f[0] for f in facilities])
    lat = np.array([f[1] for f in facilities])
    lon = np.array([f[2] for f in facilities]) * np.cos(np.radians(54.3))
    age_from = np.array([f[3] if f[3] is not None else 0 for f in facilities])
    age_to = np.array([f[4] if f[4] is not None else 83 for f in facilities])
    today = timezone.localdate()
    start = dt.date(today.year + (1 if today.month >= 8 else 0), 8, 1)

    # Seats: about 0.8 seats per application overall, spread by the facility's age range.
    per_facility = max(1, round(0.8 * n_applications / len(ids) / 2))
    quotas = []
    for pk, lo, hi in zip(ids.tolist(), age_from.tolist(), age_to.tolist(), strict=True):
        for band, band_lo, band_hi in (("u3", 0, 35), ("ue3", 36, 71), ("school", 72, 168)):
            if lo <= band_hi and hi >= band_lo:
                quotas.append(
                    SeatQuota(
                        facility_id=pk,
                        seat_type=band,
                        start_month=start,
                        capacity=int(rng.integers(1, 2 * per_facility + 1)),
                    )
                )
    SeatQuota.objects.bulk_create(quotas, batch_size=2000)

    org = Organisation.objects.create(
        name="Land Schleswig-Holstein (Benchmark)",
        slug="bench-sh",
        kind="jugendamt",
        municipality="Schleswig-Holstein",
    )
    users = User.objects.bulk_create(
        (User(email=f"bench{i}@bench.example", password="!") for i in range(n_applications)),
        batch_size=2000,
    )
    ages = rng.integers(10, 80, n_applications)  # months at the start
    children = Child.objects.bulk_create(
        (
            Child(
                first_name="Kind",
                last_name=f"B{i}",
                birth_date=start - dt.timedelta(days=int(a * 30.4) + 3),
            )
            for i, a in enumerate(ages.tolist())
        ),
        batch_size=2000,
    )
    Guardian.objects.bulk_create(
        (Guardian(child=c, user=u) for c, u in zip(children, users, strict=True)),
        batch_size=2000,
    )
    now = timezone.now()
    apps = Application.objects.bulk_create(
        (
            Application(
                child=c,
                status="submitted",
                municipality="Schleswig-Holstein",
                desired_start=start,
                weekly_hours=35,
                employment=bool(rng.random() < 0.7),
                single_parent=bool(rng.random() < 0.15),
                social_urgency=bool(rng.random() < 0.03),
                consent_at=now,
                submitted_at=now - dt.timedelta(days=int(rng.integers(1, 200))),
            )
            for c in children
        ),
        batch_size=2000,
    )
    # Wishes: 1–5 of the 8 nearest facilities that take the child's age, with noise.
    homes = rng.integers(0, len(ids), n_applications)
    wishes = []
    for app, home, age in zip(apps, homes.tolist(), ages.tolist(), strict=True):
        d = (lat - lat[home]) ** 2 + (lon - lon[home]) ** 2
        d = np.where((age_from <= age) & (age_to >= age), d, np.inf)
        near = np.argpartition(d, 8)[:8]
        near = near[np.isfinite(d[near])]
        if not near.size:
            continue
        order = near[np.argsort(d[near] * rng.uniform(0.5, 1.5, near.size))]
        k = int(rng.integers(1, 6))
        wishes += [
            Wish(application=app, facility_id=int(ids[f]), rank=r)
            for r, f in enumerate(order[:k].tolist(), 1)
        ]
    Wish.objects.bulk_create(wishes, batch_size=5000)
    return {
        "facilities": len(ids),
        "seats": sum(q.capacity for q in quotas),
        "applications": n_applications,
        "wishes": len(wishes),
        "import_seconds": round(imported, 1),
        "generate_seconds": round(time.perf_counter() - started - imported, 1),
        "organisation": org.pk,
    }


def run_round() -> dict[str, float | int]:
    import datetime as dt

    from django.utils import timezone

    from lotse.accounts.models import Organisation
    from lotse.allocation import services
    from lotse.applications.models import Offer

    org = Organisation.objects.get(slug="bench-sh")
    rules = services.rules_save(
        actor=None,
        organisation=org,
        name="Standard",
        criteria=["sibling", "social_urgency", "catchment", "employment", "age"],
        is_active=True,
    )
    rules = services.rules_publish_seed(actor=None, rules=rules)
    today = timezone.localdate()
    start = dt.date(today.year + (1 if today.month >= 8 else 0), 8, 1)
    timings: dict[str, float | int] = {}

    t = time.perf_counter()
    round_ = services.round_create(
        actor=None, organisation=org, name="Bench", rules=rules, start_from=start, start_until=start
    )
    round_ = services.round_snapshot(actor=None, round_=round_)
    timings["snapshot_s"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    sim = services.round_simulate(actor=None, round_=round_, rules=rules)
    timings["simulate_s"] = round(time.perf_counter() - t, 2)
    timings["engine_in_simulation_s"] = sim.seconds
    timings["stable"] = int(sim.stats["stability"]["blocking_pairs"] == 0)

    t = time.perf_counter()
    services.round_publish(actor=None, round_=round_, rules=rules)
    timings["publish_s"] = round(time.perf_counter() - t, 2)
    timings["offers"] = Offer.objects.filter(status="offered").count()
    timings["first_wish_share"] = sim.stats["share_first"]
    timings["round_total_s"] = round(timings["snapshot_s"] + timings["publish_s"], 2)

    # 1% of the families decline (bulk, as if answered), then one re-run moves the seats on.
    declined = list(
        Offer.objects.filter(status="offered")
        .order_by("?")
        .values_list("pk", "application_id")[: max(1, timings["offers"] // 100)]
    )
    Offer.objects.filter(pk__in=[d[0] for d in declined]).update(status="declined")
    t = time.perf_counter()
    counts = services.round_rerun(actor=None, round_=round_)
    timings["rerun_s"] = round(time.perf_counter() - t, 2)
    timings["rerun_new_offers"] = counts["offers"]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=60_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    label = setup_django(args.database_url)
    from auditlog.context import disable_auditlog

    with disable_auditlog():  # set-up only; the round below writes its audit entries
        data = generate(args.applications)
    print(
        f"{label}: {data['facilities']} facilities, {data['seats']} seats, "
        f"{data['applications']} applications, {data['wishes']} wishes "
        f"(import {data['import_seconds']} s, generation {data['generate_seconds']} s)"
    )
    timings = run_round()
    print(
        f"{label}: snapshot {timings['snapshot_s']} s, simulation {timings['simulate_s']} s "
        f"(engine {timings['engine_in_simulation_s']} s, stable={bool(timings['stable'])}), "
        f"publish {timings['publish_s']} s → {timings['offers']} offers, "
        f"1st wish {timings['first_wish_share']:.1%}; "
        f"database → offers {timings['round_total_s']} s; "
        f"re-run after 1% declines {timings['rerun_s']} s "
        f"({timings['rerun_new_offers']} new offers)"
    )
    print(json.dumps({"database": label, **data, **timings}))


if __name__ == "__main__":
    main()
