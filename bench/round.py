"""Benchmark: one allocation round for ~60,000 applications on the Schleswig-Holstein facilities,
from the database to the offers written (not a timed test).

    .venv/bin/python bench/round.py                         # SQLite (files in /tmp)
    .venv/bin/python bench/round.py --database-url postgres://postgres@127.0.0.1:5432/lotse_bench_round
    .venv/bin/python bench/round.py --applications 20000    # smaller
    .venv/bin/python bench/round.py --database-url … --before 4197ab8   # old code, same run
    .venv/bin/python bench/round.py --database-url … --reuse --profile /tmp/prof

Set-up (not timed): a fresh database, the 3,303 facilities of the Land's Kita-Datenbank
(``data/flensburg/einrichtungen.json``), seats per facility and seat type from its age range,
and ``--applications`` families bulk-created: each lives near a random facility and names 1–5
of its 8 nearest facilities (with noise), with random priority facts. The generated data is
kept as a template (PostgreSQL: database ``<name>_data``; SQLite: a file); every measured run
starts from a fresh copy of it, and ``--reuse`` keeps the template between invocations.

Timed, through the real services: ``round_create`` → ``round_snapshot`` (reads everything,
marks 60k applications "in allocation", audit entries) → ``round_simulate`` → ``round_publish``
(engine, explanations, waiting positions, offers, outcomes, statuses, audit entries) → one
``round_rerun`` after 1% of the offers were declined. One line per step with wall-clock time,
the CPU time of this process and (PostgreSQL) of its database backend, and the load average.

``--before REV`` runs the same round first with the code of git revision ``REV`` (exported to a
temporary directory, its own migrations and template) so that one invocation prints the
figures before and after a change on the same machine state. ``--profile DIR`` writes a
pyinstrument profile of every step (text and HTML) to ``DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
#: Where ``lotse`` is imported from (another revision with ``--before``).
ROOT = Path(os.environ.get("LOTSE_BENCH_CODE", BENCH))
sys.path.insert(0, str(ROOT))


def setup_django(database_url: str | None, sqlite_path: str | None) -> str:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        label = "PostgreSQL"
    else:
        os.environ["LOTSE_SQLITE_PATH"] = str(sqlite_path)
        os.environ.pop("DATABASE_URL", None)
        label = "SQLite"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lotse.settings")
    os.environ.setdefault("LOTSE_ENVIRONMENT", "development")
    os.environ["LOTSE_TASK_BACKEND"] = "django_tasks_db.DatabaseBackend"
    import django

    django.setup()
    return label


def _pg(url: str, *statements: str) -> list[tuple]:
    import psycopg

    base = url.rsplit("/", 1)[0]
    rows: list[tuple] = []
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        for sql in statements:
            cur = conn.execute(sql)
            if cur.description:
                rows += cur.fetchall()
    return rows


def _bench_name(url: str) -> str:
    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit("the benchmark database name must contain 'bench'")
    return name


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


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
        BENCH / "data" / "flensburg" / "einrichtungen.json",
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


class Steps:
    """Wall-clock and CPU time (this process and its PostgreSQL backend) per step, and an
    optional pyinstrument profile of each."""

    def __init__(self, profile_dir: str | None, label: str) -> None:
        self.profile_dir = Path(profile_dir) if profile_dir else None
        self.label = label
        self.timings: dict[str, float | int | str] = {}

    def _backend_cpu(self) -> float:
        from django.db import connection

        if connection.vendor != "postgresql":
            return 0.0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def run(self, name: str, fn):  # type: ignore[no-untyped-def]
        profiler = None
        if self.profile_dir:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.002)
            profiler.start()
        db0, cpu0, t0 = self._backend_cpu(), time.process_time(), time.perf_counter()
        value = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        self.timings[f"{name}_s"] = round(wall, 2)
        self.timings[f"{name}_cpu_s"] = round(cpu, 2)
        self.timings[f"{name}_db_cpu_s"] = round(self._backend_cpu() - db0, 2)
        if profiler is not None and self.profile_dir:
            profiler.stop()
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            out = self.profile_dir / f"{self.label}-{name}"
            out.with_suffix(".txt").write_text(profiler.output_text(unicode=True, show_all=False))
            out.with_suffix(".html").write_text(profiler.output_html())
        return value


def run_round(profile_dir: str | None = None, label: str = "run") -> dict[str, float | int | str]:
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
    rules = services.rules_publish_seed(actor=None, rules=rules, seed=rules.lottery_seed)
    today = timezone.localdate()
    start = dt.date(today.year + (1 if today.month >= 8 else 0), 8, 1)
    steps = Steps(profile_dir, label)
    timings = steps.timings
    timings["load_before"] = load()

    def snapshot():  # type: ignore[no-untyped-def]
        round_ = services.round_create(
            actor=None,
            organisation=org,
            name="Bench",
            rules=rules,
            start_from=start,
            start_until=start,
        )
        return services.round_snapshot(actor=None, round_=round_)

    round_ = steps.run("snapshot", snapshot)
    sim = steps.run(
        "simulate", lambda: services.round_simulate(actor=None, round_=round_, rules=rules)
    )
    timings["engine_in_simulation_s"] = sim.seconds
    timings["stable"] = int(sim.stats["stability"]["blocking_pairs"] == 0)
    review = steps.run(
        "review", lambda: services.round_publish_preview(actor=None, round_=round_, rules=rules)
    )
    steps.run(
        "publish",
        lambda: services.round_publish(
            actor=None, round_=round_, rules=rules, confirmation=review["digest"]
        ),
    )
    timings["offers"] = Offer.objects.filter(status="offered").count()
    timings["first_wish_share"] = sim.stats["share_first"]
    timings["round_total_s"] = round(timings["snapshot_s"] + timings["publish_s"], 2)

    # 1% of the families decline (bulk, as if answered; a fixed choice so that every variant
    # sees the same declines), then one re-run moves the seats on.
    offered = list(
        Offer.objects.filter(status="offered").order_by("application_id").values_list("pk")
    )
    declined = [pk for (pk,) in offered[:: max(1, len(offered) // max(1, len(offered) // 100))]]
    Offer.objects.filter(pk__in=declined).update(status="declined")
    counts = steps.run("rerun", lambda: services.round_rerun(actor=None, round_=round_))
    timings["rerun_new_offers"] = counts["offers"]
    timings["load_after"] = load()
    return timings


# --------------------------------------------------------------------------- driver


def _stage(args: argparse.Namespace) -> None:
    """Inside a subprocess: generate the template data, or run one round on a copy."""
    label = setup_django(args.database_url, args.sqlite_path)
    if args.stage == "generate":
        from auditlog.context import disable_auditlog
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        with disable_auditlog():  # set-up only; the round below writes its audit entries
            data = generate(args.applications)
        print(json.dumps({"database": label, **data}))
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a template made by older code (not timed)
    print(json.dumps({"database": label, **run_round(args.profile, args.label)}))


def _export(rev: str) -> Path:
    """The code of a git revision, unpacked into a temporary directory."""
    target = Path(tempfile.gettempdir()) / f"lotse_bench_code_{rev}"
    if not (target / "lotse").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(BENCH), "archive", rev, "lotse"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _copy_worktree() -> Path:
    """The working tree's code as it is now, so that edits during a long run do not mix in."""
    target = Path(tempfile.mkdtemp(prefix="lotse_bench_code_now_"))
    shutil.copytree(BENCH / "lotse", target / "lotse", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _sub(code: Path, stage: str, args: argparse.Namespace, **where: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", stage]
    cmd += ["--applications", str(args.applications), "--label", where.pop("label", "run")]
    for key, value in where.items():
        cmd += [f"--{key.replace('_', '-')}", value]
    if args.profile:
        cmd += ["--profile", args.profile]
    env = {**os.environ, "LOTSE_BENCH_CODE": str(code)}
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _variant(code: Path, tag: str, args: argparse.Namespace) -> tuple[dict, dict]:
    """Generate (or reuse) the template of one code version, then run the round on a copy."""
    if args.database_url:
        name = _bench_name(args.database_url)
        base = args.database_url.rsplit("/", 1)[0]
        template, run_db = f"{name}_data_{tag}", f"{name}_{tag}"
        exists = _pg(args.database_url, f"SELECT 1 FROM pg_database WHERE datname='{template}'")
        data: dict = {}
        if not (args.reuse and exists):
            _pg(
                args.database_url,
                f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)',
                f'CREATE DATABASE "{template}"',
            )
            data = _sub(code, "generate", args, database_url=f"{base}/{template}")
        _pg(
            args.database_url,
            f'DROP DATABASE IF EXISTS "{run_db}" WITH (FORCE)',
            f'CREATE DATABASE "{run_db}" TEMPLATE "{template}"',
        )
        result = _sub(code, "round", args, database_url=f"{base}/{run_db}", label=tag)
        return data, result
    tmp = Path(tempfile.gettempdir())
    template, run_file = tmp / f"lotse_bench_round_{tag}.tpl", tmp / f"lotse_bench_round_{tag}"
    data = {}
    if not (args.reuse and template.exists()):
        template.unlink(missing_ok=True)
        data = _sub(code, "generate", args, sqlite_path=str(template))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{run_file}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, run_file)
    return data, _sub(code, "round", args, sqlite_path=str(run_file), label=tag)


def _line(tag: str, t: dict) -> str:
    def step(name: str) -> str:
        db = f" + db {t[name + '_db_cpu_s']}" if t.get("database") == "PostgreSQL" else ""
        return f"{t[name + '_s']} s (cpu {t[name + '_cpu_s']}{db})"

    return (
        f"{tag} [{t['database']}]: snapshot {step('snapshot')}, "
        f"simulation {step('simulate')} (engine {t['engine_in_simulation_s']} s, "
        f"stable={bool(t['stable'])}), publish {step('publish')} → {t['offers']} offers, "
        f"1st wish {t['first_wish_share']:.1%}; database → offers {t['round_total_s']} s; "
        f"re-run after 1% declines {step('rerun')} ({t['rerun_new_offers']} new offers); "
        f"{t['load_before']} → {t['load_after']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=60_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sqlite-path", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true", help="keep the generated template data")
    parser.add_argument("--before", metavar="REV", help="also run the code of this git revision")
    parser.add_argument("--profile", metavar="DIR", help="pyinstrument profiles of every step")
    parser.add_argument("--stage", choices=["generate", "round"], help=argparse.SUPPRESS)
    parser.add_argument("--label", default="run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        _stage(args)
        return
    print("$ " + " ".join([Path(sys.executable).name, *sys.argv]) + f"   ({load()})", flush=True)
    variants = [(_export(args.before), f"before_{args.before}")] if args.before else []
    variants.append((_copy_worktree(), "now"))
    results = []
    for code, tag in variants:
        data, timings = _variant(code, tag.replace("-", "_").lower(), args)
        if data:
            print(
                f"{tag} [{data['database']}]: {data['facilities']} facilities, {data['seats']} "
                f"seats, {data['applications']} applications, {data['wishes']} wishes (import "
                f"{data['import_seconds']} s, generation {data['generate_seconds']} s)",
                flush=True,
            )
        print(_line(tag, timings), flush=True)
        results.append({"code": tag, **data, **timings})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
