"""Benchmark: offers day — the peak hour after a round is published, against the production stack.

    .venv/bin/python bench/offers_day.py                      # a small city (2,000 families)
    .venv/bin/python bench/offers_day.py --families 40000     # the city of issue 12
    .venv/bin/python bench/offers_day.py --families 40000 --rates 90,135,180,240 --step-seconds 120

Set-up (not timed): a fresh PostgreSQL database (``--database-url``, its name must contain
``bench``), the Land's 3,298 facilities and ``--families`` families with applications and wishes
(``bench/round.py``'s generator), every parent with a password and a confirmed address; one
allocation round is published (offers with a deadline in 14 days).

Replay, first against the production stack (``gunicorn -c deploy/gunicorn.conf.py`` with
``--web-concurrency`` workers, WhiteNoise, Redis cache, the task worker and the scheduler, all in
production mode), then against ``make run``'s server (``runserver`` with DEBUG on, local memory
cache, the task worker) as the baseline: families arrive at a steady rate (Poisson arrivals), each
as its own browser on loopback with its own address (``X-Forwarded-For``, as behind nginx): login
page with its stylesheet and script → sign in → overview → status page → accept (80 %) or decline
its offer (its page, then confirm; families without an offer only look) → 30 % reload the status
page, with ``--think`` seconds between pages. At most ``--max-users`` families are on the site at
once; a family that cannot start on time counts as a late start. The rate goes up step by step
(``--rates``, families per minute, each for ``--step-seconds``); a step is sustained when every
page's p95 is ≤ 1 s, no request failed and starts were not late (p95 lag ≤ 1 s). The answer is the
highest sustained rate. Afterwards the database is checked: 0 oversold seats (per quota: accepted
offers = seats taken ≤ seats) and 0 lost answers (every accept/decline that the site confirmed is
stored). ``--profile N`` runs N journeys in-process under cProfile and prints what dominates and the
queries per page. Each run prints ``uptime``: the machine may be shared. Results also go to
``bench/out/offers_day-<time>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
PASSWORD = "offers-day-2026-bench"
HOST = "offers-day.test"
P95_LIMIT = 1.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/lotse_prod_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--port", type=int, default=8106, help="production stack (+1 baseline)")
    parser.add_argument(
        "--rates", default="60,90,135,180,240,300", help="families per minute, one step each"
    )
    parser.add_argument("--step-seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between pages (mean)")
    parser.add_argument("--max-users", type=int, default=200, help="families on the site at once")
    parser.add_argument("--web-concurrency", type=int, default=0, help="default: 2 × cores + 1")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument(
        "--warmup", type=int, default=20, help="families before the measurement (not counted)"
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--only-baseline", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run")
    parser.add_argument("--profile", type=int, default=30, help="in-process journeys profiled")
    parser.add_argument("--seed", type=int, default=12)
    return parser.parse_args()


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


# --- Set-up: database, city, round ------------------------------------------------------------


def setup_django(database_url: str, fresh: bool) -> None:
    name = database_url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit("the benchmark database name must contain 'bench' (it is dropped)")
    if fresh:
        import psycopg

        with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "lotse.settings",
            "LOTSE_ENVIRONMENT": "development",
            "DATABASE_URL": database_url,
            "LOTSE_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_round_generator():
    spec = importlib.util.spec_from_file_location("bench_round", ROOT / "bench" / "round.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_city(families: int, seed: int) -> dict:
    import datetime as dt

    from allauth.account.models import EmailAddress
    from auditlog.context import disable_auditlog
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from lotse.accounts.models import Organisation, User
    from lotse.allocation import services
    from lotse.applications.models import Offer

    started = time.perf_counter()
    with disable_auditlog():
        info = load_round_generator().generate(families, seed=seed)
        # One hash for everybody (hashing 40,000 passwords would take an hour); every sign-in
        # still verifies it in full, with the hasher production uses.
        User.objects.filter(email__endswith="@bench.example").update(
            password=make_password(PASSWORD)
        )
        users = User.objects.filter(email__endswith="@bench.example").values_list("pk", "email")
        EmailAddress.objects.bulk_create(
            (
                EmailAddress(user_id=pk, email=email, verified=True, primary=True)
                for pk, email in users
            ),
            batch_size=5000,
        )
    info["setup_seconds"] = round(time.perf_counter() - started, 1)

    org = Organisation.objects.get(slug="bench-sh")
    rules = services.rules_save(
        actor=None, organisation=org, name="Standard", criteria=["sibling", "age"], is_active=True
    )
    rules = services.rules_publish_seed(actor=None, rules=rules, seed=rules.lottery_seed)
    today = timezone.localdate()
    start = dt.date(today.year + (1 if today.month >= 8 else 0), 8, 1)
    started = time.perf_counter()
    round_ = services.round_create(
        actor=None,
        organisation=org,
        name="Offers day",
        rules=rules,
        start_from=start,
        start_until=start,
    )
    round_ = services.round_snapshot(actor=None, round_=round_)
    review = services.round_publish_preview(actor=None, round_=round_, rules=rules)
    services.round_publish(
        actor=None, round_=round_, rules=rules, confirmation=review["digest"], notify=False
    )
    info["publish_seconds"] = round(time.perf_counter() - started, 1)
    info["offers"] = Offer.objects.filter(status=Offer.Status.OFFERED).count()
    return info


@dataclass
class Family:
    email: str
    application: int
    offer: int | None
    action: str  # "accept", "decline" or "look"


def family_plan(seed: int) -> list[Family]:
    """Every family in a random order; 80 % of those with an offer accept, 20 % decline."""
    from lotse.applications.models import Guardian, Offer

    offers = dict(
        Offer.objects.filter(status=Offer.Status.OFFERED).values_list("application_id", "pk")
    )
    rng = random.Random(seed)
    plan = []
    for email, application in Guardian.objects.filter(
        user__email__endswith="@bench.example"
    ).values_list("user__email", "child__applications__pk"):
        if application is None:
            continue
        offer = offers.get(application)
        action = "look" if offer is None else ("accept" if rng.random() < 0.8 else "decline")
        plan.append(Family(email, application, offer, action))
    rng.shuffle(plan)
    return plan


# --- The servers --------------------------------------------------------------------------------


@dataclass
class Server:
    label: str
    port: int
    scheme: str = "https"  # what the proxy in front would forward (X-Forwarded-Proto)
    redis: tuple[str, str] | None = None  # (url, key prefix) to clean up afterwards
    processes: list[subprocess.Popen] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        """CPU time of every process of this server (app server, its workers, task worker)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        groups = {p.pid for p in self.processes}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parts = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(parts[2]) in groups:  # process group (each server started its own)
                total += (int(parts[11]) + int(parts[12])) / tick
        return total

    def database_cpu_seconds(self, database: str) -> dict[int, float]:
        """CPU time of each PostgreSQL backend serving the benchmark database (their process
        titles name it), by process id; see ``cpu_delta``."""
        found = {}
        tick = os.sysconf("SC_CLK_TCK")
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                title = (proc / "cmdline").read_bytes()
                if not title.startswith(b"postgres:") or f" {database} ".encode() not in title:
                    continue
                parts = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[int(proc.name)] = (int(parts[11]) + int(parts[12])) / tick
        return found

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.redis:  # the run's cache keys (rate limits, sessions) go with it
            import redis

            url, prefix = self.redis
            client = redis.Redis.from_url(url)
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
            self.redis = None


def server_env(args: argparse.Namespace, production: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LOTSE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "lotse.settings",
            "DATABASE_URL": args.database_url,
            "LOTSE_SITE_URL": f"https://{HOST}",
            "DJANGO_ALLOWED_HOSTS": f"{HOST},127.0.0.1,localhost",
            "LOTSE_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOTSE_STATIC_ROOT": str(ROOT / "bench" / "out" / "static"),
            "LOTSE_BACKUP_DIR": str(ROOT / "bench" / "out" / "backups"),
            "LOTSE_AXES_ENABLED": "true",
        }
    )
    if production:
        env.update(
            {
                "LOTSE_ENVIRONMENT": "production",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "REDIS_URL": args.redis_url,
                "LOTSE_CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
                "WEB_CONCURRENCY": str(args.web_concurrency or 2 * os.cpu_count() + 1),
                "GUNICORN_THREADS": str(args.threads),
                "GUNICORN_ACCESS_LOG": "/dev/null",
            }
        )
    else:
        env.update({"DJANGO_DEBUG": "true", "LOTSE_ENVIRONMENT": "development"})
    return env


#: Every server started, stopped at exit whatever happens (Ctrl-C, a failed start).
STARTED: list[Server] = []


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_production(args: argparse.Namespace, out: Path) -> Server:
    env = server_env(args, production=True)
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    server = Server("production (gunicorn + WhiteNoise + Redis)", args.port)
    if not port_is_free(args.port):
        raise SystemExit(f"port {args.port} is in use (--port)")
    STARTED.append(server)
    server.redis = (env["REDIS_URL"], env["LOTSE_CACHE_KEY_PREFIX"])
    server.processes = [
        start(
            [PY, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "lotse.wsgi"],
            {**env, "PORT": str(args.port)},
            out / "gunicorn.log",
        ),
        start([PY, "manage.py", "worker", "--no-reload"], env, out / "worker.log"),
        start([PY, "manage.py", "scheduler"], env, out / "scheduler.log"),
    ]
    wait_ready(server.port, "/readyz")
    return server


def start_baseline(args: argparse.Namespace, out: Path) -> Server:
    env = server_env(args, production=False)
    port = args.port + 1
    server = Server("baseline (make run: runserver, DEBUG)", port, scheme="http")
    if not port_is_free(port):
        raise SystemExit(f"port {port} is in use (--port + 1)")
    STARTED.append(server)
    server.processes = [
        start(
            [PY, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env,
            out / "runserver.log",
        ),
        start([PY, "manage.py", "worker", "--no-reload"], env, out / "worker-baseline.log"),
    ]
    wait_ready(port, "/healthz")
    return server


def wait_ready(port: int, path: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Host": HOST})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"the server on port {port} did not become ready ({path})")


# --- One family's visit ---------------------------------------------------------------------------

STATIC = re.compile(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"')
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Recorded(Exception):
    """A failed request, already counted."""


class Visit:
    """One family's browser: own cookies, own keep-alive connection, own address."""

    def __init__(self, port: int, ip: str, record, scheme: str) -> None:
        self.port, self.ip, self.record, self.scheme = port, ip, record, scheme
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def close(self) -> None:
        self.conn.close()

    def request(
        self,
        page: str,
        method: str,
        path: str,
        form: dict | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": self.scheme,
            "X-Forwarded-For": self.ip,
            "Accept-Language": "de",
            "Accept-Encoding": "gzip",
        }
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": f"{self.scheme}://{HOST}",
                    "Referer": f"{self.scheme}://{HOST}{path}",
                }
            )
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            for attempt in (1, 2):
                try:
                    self.conn.request(method, path, body=body, headers=headers)
                    response = self.conn.getresponse()
                    content = response.read()
                    break
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                    # the server closed an idle keep-alive connection: reconnect, as browsers do
                    self.conn.close()
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    if attempt == 2 or method != "GET":
                        raise
        except Exception as exc:  # noqa: BLE001 - every failure is an error of the run
            self.record(page, time.perf_counter() - started, f"{type(exc).__name__}")
            raise Recorded(page) from exc
        elapsed = time.perf_counter() - started
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        error = None if response.status in expect else f"HTTP {response.status}"
        self.record(page, elapsed, error)
        if error:
            raise Recorded(f"{page}: {error}")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content


def journey(family: Family, server: Server, think: float, rng: random.Random, record) -> bool:
    """Sign in, look, answer. True when the site confirmed the family's answer."""
    pause = lambda: time.sleep(think * rng.uniform(0.5, 1.5))  # noqa: E731
    # Each family its own address (RFC 2544's benchmark range; only ever a header value).
    address = f"198.{18 + rng.randrange(2)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    visit = Visit(server.port, address, record, server.scheme)
    try:
        _, _, page = visit.request("login page", "GET", "/accounts/login/")
        for asset in dict.fromkeys(STATIC.findall(page)):
            visit.request("static file", "GET", asset.decode())
        pause()
        token = CSRF.search(page).group(1).decode()
        visit.request(
            "sign in",
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": family.email, "password": PASSWORD},
            expect=(302,),
        )
        visit.request("overview", "GET", "/dashboard/")
        pause()
        status_path = f"/applications/{family.application}/"
        _, _, page = visit.request("status page", "GET", status_path)
        answered = False
        if family.offer is not None:
            pause()
            answer = f"/applications/offers/{family.offer}/{family.action}/"
            form = {"csrfmiddlewaretoken": CSRF.search(page).group(1).decode()}
            if family.action == "decline":
                # Declining is irreversible: its page says which wishes stay, then the family
                # confirms there (core.feedback.confirmed).
                _, _, page = visit.request("decline page", "GET", answer)
                form = {
                    "csrfmiddlewaretoken": CSRF.search(page).group(1).decode(),
                    "confirm": "yes",
                }
                pause()
            visit.request("answer", "POST", answer, form, expect=(302,))
            answered = True
            visit.request("status page", "GET", status_path)
        if rng.random() < 0.3:
            pause()
            visit.request("status page", "GET", status_path)
        return answered
    except Recorded:
        return False
    except Exception as exc:  # noqa: BLE001 - e.g. a page without its form: an error as well
        record("journey", 0.0, type(exc).__name__)
        return False
    finally:
        visit.close()


# --- The replay -------------------------------------------------------------------------------


@dataclass
class Step:
    rate: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lags: list[float] = field(default_factory=list)
    families: int = 0
    answered: list[Family] = field(default_factory=list)
    cpu_seconds: float = 0.0
    db_cpu_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, page: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[page].append(seconds)
            if error:
                self.errors[f"{page}: {error}"] += 1

    def p95(self, page: str) -> float:
        values = sorted(self.latencies[page])
        return values[min(len(values) - 1, int(0.95 * len(values)))] if values else 0.0

    @property
    def sustained(self) -> bool:
        lag = sorted(self.lags)[int(0.95 * (len(self.lags) - 1))] if self.lags else 0.0
        return (
            not self.errors
            and lag <= P95_LIMIT
            and all(self.p95(page) <= P95_LIMIT for page in self.latencies)
        )

    def summary(self) -> dict:
        lag = sorted(self.lags)[int(0.95 * (len(self.lags) - 1))] if self.lags else 0.0
        return {
            "families_per_minute": self.rate,
            "families": self.families,
            "sustained": self.sustained,
            "late_start_p95_s": round(lag, 3),
            "errors": dict(self.errors),
            "cpu_seconds_per_family": round(self.cpu_seconds / max(1, self.families), 3),
            "database_cpu_seconds_per_family": round(
                self.db_cpu_seconds / max(1, self.families), 3
            ),
            "pages": {
                page: {
                    "requests": len(values),
                    "p50_ms": round(1000 * statistics.median(values)),
                    "p95_ms": round(1000 * self.p95(page)),
                    "max_ms": round(1000 * max(values)),
                }
                for page, values in sorted(self.latencies.items())
            },
        }


def replay(server: Server, queue: Iterator[Family], args: argparse.Namespace) -> list[Step]:
    """Raise the arrival rate step by step until a step is not sustained; families come from
    ``queue`` (shared by the runs: each family answers once)."""
    rates = [float(r) for r in args.rates.split(",")]
    rng = random.Random(args.seed)
    database = args.database_url.rsplit("/", 1)[1]
    slots = threading.Semaphore(args.max_users)
    steps: list[Step] = []
    warm(server, queue, args)
    print(f"\n== {server.label} on port {server.port}; {uptime()}", flush=True)
    for rate in rates:
        step = Step(rate)
        threads: list[threading.Thread] = []
        cpu_before = server.cpu_seconds()
        db_before = server.database_cpu_seconds(database)
        began = time.perf_counter()
        due = began
        while True:
            due += rng.expovariate(rate / 60)
            if due - began > args.step_seconds:
                break
            time.sleep(max(0.0, due - time.perf_counter()))
            slots.acquire()
            step.lags.append(max(0.0, time.perf_counter() - due))
            family = next(queue, None)
            if family is None:
                slots.release()
                print("   (no families left)")
                break
            step.families += 1

            def run(
                family: Family = family, seed: int = rng.randrange(2**32), step: Step = step
            ) -> None:
                try:
                    if journey(family, server, args.think, random.Random(seed), step.record):
                        with step.lock:
                            step.answered.append(family)
                finally:
                    slots.release()

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(timeout=120)
        step.cpu_seconds = server.cpu_seconds() - cpu_before
        # backends that ended during the step are missing: a lower bound
        step.db_cpu_seconds = sum(
            cpu - db_before.get(pid, 0.0)
            for pid, cpu in server.database_cpu_seconds(database).items()
        )
        steps.append(step)
        print_step(step)
        if not step.sustained:
            break
    return steps


def warm(server: Server, queue: Iterator[Family], args: argparse.Namespace) -> None:
    """A few families first, four at a time, not counted: every app-server process compiles
    its templates and opens its connections once, as it would long before the peak."""
    throwaway = Step(0)
    families = [f for f, _ in zip(queue, range(args.warmup), strict=False)]
    for start_at in range(0, len(families), 4):
        threads = [
            threading.Thread(
                target=journey, args=(f, server, 0.0, random.Random(i), throwaway.record)
            )
            for i, f in enumerate(families[start_at : start_at + 4])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def print_step(step: Step) -> None:
    s = step.summary()
    pages = ", ".join(f"{p} {v['p95_ms']}" for p, v in s["pages"].items())
    print(
        f"{step.rate:5.0f}/min: {step.families:4d} families, "
        f"{'sustained' if step.sustained else 'NOT sustained'}; p95 ms: {pages}; "
        f"late starts p95 {s['late_start_p95_s']} s; errors {sum(step.errors.values())} "
        f"{dict(step.errors) if step.errors else ''}; "
        f"CPU per family: app {s['cpu_seconds_per_family']} s, "
        f"PostgreSQL {s['database_cpu_seconds_per_family']} s",
        flush=True,
    )


# --- Checks and profile -----------------------------------------------------------------------


def check_database(answered: list[Family]) -> dict[str, int]:
    from django.db.models import Count, F, Q

    from lotse.applications.models import Offer, SeatQuota

    oversold = SeatQuota.objects.filter(taken__gt=F("capacity")).count()
    mismatched = (
        SeatQuota.objects.annotate(accepted=Count("offers", filter=Q(offers__status="accepted")))
        .exclude(accepted=F("taken"))
        .count()
    )
    expected = {f.offer: ("accepted" if f.action == "accept" else "declined") for f in answered}
    stored = dict(Offer.objects.filter(pk__in=expected).values_list("pk", "status"))
    lost = sum(1 for pk, status in expected.items() if stored.get(pk) != status)
    return {
        "oversold_quotas": oversold,
        "counter_mismatches": mismatched,
        "answers_confirmed": len(expected),
        "lost_answers": lost,
    }


def profile(families: list[Family], count: int) -> dict:
    """Journeys in-process (Django's test client, same database and hasher) under cProfile
    counting CPU time (not waiting): what dominates the app server's work, the CPU and database
    time per page and the queries per page. Two journeys first, unprofiled (cold caches)."""
    import cProfile
    import pstats

    from django.contrib.auth.hashers import get_hasher
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    pages: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    profiler = cProfile.Profile(time.process_time)
    for number, family in enumerate(families[: count + 2]):
        client = Client(HTTP_HOST="127.0.0.1")
        status_path = f"/applications/{family.application}/"
        steps = [
            ("login page", "get", "/accounts/login/", None),
            ("sign in", "post", "/accounts/login/", {"login": family.email, "password": PASSWORD}),
            ("overview", "get", "/dashboard/", None),
            ("status page", "get", status_path, None),
        ]
        if family.offer:
            steps.append(
                ("answer", "post", f"/applications/offers/{family.offer}/{family.action}/", {})
            )
        for page, method, path, data in steps:
            with CaptureQueriesContext(connection) as captured:
                cpu = time.process_time()
                if number >= 2:
                    profiler.enable()
                getattr(client, method)(path, data) if data is not None else client.get(path)
                profiler.disable()
                cpu = time.process_time() - cpu
            if number >= 2:
                pages[page]["cpu"].append(cpu)
                pages[page]["db"].append(sum(float(q["time"]) for q in captured.captured_queries))
                pages[page]["queries"].append(len(captured))
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())  # CPU in the functions themselves
    buckets = {
        "password hashing": ("hashers.py", "argon2", "_hashlib", "pbkdf2"),
        "database driver (psycopg)": ("psycopg",),
        "templates": ("django/template",),
        "ORM and SQL compilation": ("django/db/models", "django/db/backends"),
        "translations": ("gettext", "django/utils/translation"),
    }
    shares: dict[str, float] = defaultdict(float)
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():
        where = f"{filename}:{name}"
        bucket = next((b for b, keys in buckets.items() if any(k in where for k in keys)), "other")
        shares[bucket] += tottime
    top = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    hasher = get_hasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    cpu = time.process_time()
    for _ in range(10):
        hasher.verify(PASSWORD, encoded)
    return {
        "journeys": min(count, max(0, len(families) - 2)),
        "cpu_share": {
            k: round(v / total, 3) for k, v in sorted(shares.items(), key=lambda kv: -kv[1])
        },
        "password_check_cpu_ms": round((time.process_time() - cpu) * 100, 1),
        "hasher": hasher.algorithm,
        "top_functions_cpu": [
            f"{Path(f).name}:{line} {name} {tt:.2f}s" for (f, line, name), (_, _, tt, _, _) in top
        ],
        "per_page": {
            page: {
                "app_cpu_ms": round(1000 * statistics.mean(v["cpu"]), 1),
                "db_ms": round(1000 * statistics.mean(v["db"]), 1),
                "queries": max(v["queries"]),
            }
            for page, v in pages.items()
        },
    }


def main() -> None:
    try:
        run(parse_args())
    finally:
        for server in STARTED:
            server.stop()


def run(args: argparse.Namespace) -> None:
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    print(f"offers day: {args.families} families; {uptime()}", flush=True)
    setup_django(args.database_url, fresh=not args.reuse)
    from lotse.applications.models import Offer

    if args.reuse and Offer.objects.exists():
        info = {"reused": True, "offers": Offer.objects.filter(status="offered").count()}
    else:
        info = build_city(args.families, args.seed)
    print(f"set-up: {json.dumps(info)}", flush=True)
    plan = family_plan(args.seed)
    with_offer = [f for f in plan if f.offer]
    print(f"{len(plan)} families, {len(with_offer)} with an open offer", flush=True)

    results: dict = {
        "families": args.families,
        "setup": info,
        "args": vars(args),
        "uptime_before": uptime(),
        "runs": {},
    }
    pool = iter(plan)
    runs = [] if args.only_baseline else [("production", start_production)]
    if not args.no_baseline:
        runs.append(("baseline", start_baseline))
    for key, starter in runs:
        server = starter(args, out)
        try:
            steps = replay(server, pool, args)
        finally:
            server.stop()
        answered = [f for step in steps for f in step.answered]
        sustained = [s.rate for s in steps if s.sustained]
        results["runs"][key] = {
            "server": server.label,
            "highest_sustained_families_per_minute": max(sustained) if sustained else 0,
            "steps": [s.summary() for s in steps],
            "database": check_database(answered),
            "uptime_after": uptime(),
        }
        run = results["runs"][key]
        print(
            f"-> {server.label}: highest sustained "
            f"{run['highest_sustained_families_per_minute']:.0f} families/min; "
            f"database {run['database']}; {run['uptime_after']}",
            flush=True,
        )
    if args.profile:
        results["profile"] = profile(list(pool), args.profile)
        print(f"profile: {json.dumps(results['profile'], indent=1)}", flush=True)
    path = out / f"offers_day-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
