"""Search benchmark: the Schleswig-Holstein data replicated to ~66,000 facilities.

Prints p50/p95 of five typical searches through the same code path as the search page
(form → selector → capped count + one page). Target (issue 20, PostgreSQL): p95 ≤ 20 ms and
p50 ≤ 10 ms for every search. The command and the machine's load (``uptime``) are printed
beside the figures: on a shared machine wall-clock times say little without them.

    .venv/bin/python bench/search.py                      # SQLite (temporary file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lotse_bench .venv/bin/python bench/search.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lotse.settings")
os.environ.setdefault("LOTSE_ENVIRONMENT", "development")
REUSE = "--reuse" in sys.argv  # keep the built database between runs while tuning
if not os.environ.get("DATABASE_URL"):
    default = Path(tempfile.gettempdir()) / "lotse-bench-search.sqlite3"
    os.environ["LOTSE_SQLITE_PATH"] = str(default if REUSE else Path(tempfile.mkdtemp()) / "b.db")

import django  # noqa: E402


def ensure_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    ensure_postgres_database(os.environ["DATABASE_URL"])
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from lotse.directory.forms import FacilitySearchForm  # noqa: E402
from lotse.directory.importer import load_mapping, run_import  # noqa: E402
from lotse.directory.models import Facility  # noqa: E402
from lotse.directory.selectors import SearchPaginator, facility_search  # noqa: E402

COPIES = 20  # 3,298 importable records × 20 ≈ 66,000 facilities
REPEAT = 40
SEARCHES = {
    "all, first page": {},
    "Kita for a 2-year-old near 24937, 10 km": {"near": "24937", "age": "2"},
    "text 'kinder', free places": {"q": "kinder", "free": "on"},
    "childminder, 40 h/week, barrier-free": {
        "kind": ["tagespflege"],
        "hours": "40",
        "barrier_free": "on",
    },
    "Danish-language, page 3": {"language": "da", "page": "3"},
}


def build() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE directory_facility CASCADE")
    else:
        Facility.objects.all().delete()
    mapping = load_mapping(ROOT / "lotse/directory/mappings/sh_einrichtungen_json.json")
    run_import(ROOT / "data/flensburg/einrichtungen.json", mapping)
    originals = list(Facility.objects.prefetch_related("languages", "concepts"))
    Through = Facility.languages.through
    ConceptThrough = Facility.concepts.through
    for copy in range(1, COPIES):
        clones = []
        for f in originals:
            clone = Facility(
                **{
                    field.attname: getattr(f, field.attname)
                    for field in Facility._meta.concrete_fields
                    if field.attname != "id"
                }
            )
            clone.external_id = f"{f.external_id}-copy{copy}"
            clone.free_places = (f.pk * 7 + copy) % 4  # some facilities report free places
            if clone.latitude is not None:  # spread copies over the Land, a few km apart
                clone.latitude += (copy % 5) * 0.03
                clone.longitude += (copy // 5) * 0.05
            clone.derive_search_fields()
            clones.append(clone)
        created = Facility.objects.bulk_create(clones, batch_size=2000)
        Through.objects.bulk_create(
            [
                Through(facility_id=c.pk, language_id=lang.pk)
                for c, f in zip(created, originals, strict=True)
                for lang in f.languages.all()
            ],
            batch_size=5000,
        )
        ConceptThrough.objects.bulk_create(
            [
                ConceptThrough(facility_id=c.pk, concept_id=con.pk)
                for c, f in zip(created, originals, strict=True)
                for con in f.concepts.all()
            ],
            batch_size=5000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def one_search(params: dict) -> str:
    """What the search page does: validate, count (capped at 1,000) and fetch one page."""
    data = dict(params)
    page = data.pop("page", "1")
    form = FacilitySearchForm(data)
    assert form.is_valid(), form.errors
    results = SearchPaginator(facility_search(form.to_query()), 20).get_page(page)
    list(results.object_list)
    paginator = results.paginator
    return ">1,000" if paginator.capped else f"{paginator.count:,}"


def main() -> None:
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not (REUSE and Facility.objects.count() > 60_000):
        build()
    total = Facility.objects.count()
    print(
        f"database: {connection.vendor}; facilities: {total:,}; "
        f"built in {time.perf_counter() - started:.1f} s"
    )
    print(f"command: {' '.join(sys.argv)}; DATABASE_URL={os.environ.get('DATABASE_URL', '')}")
    print(f"uptime at start: {os.popen('uptime').read().strip()}")
    print(f"{'search':45} {'hits':>7} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8}")
    worst = worst_p50 = 0.0
    for name, params in SEARCHES.items():
        one_search(params)  # warm-up
        timings, cpu = [], []
        for _ in range(REPEAT):
            t0, c0 = time.perf_counter(), time.process_time()
            hits = one_search(params)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        worst, worst_p50 = max(worst, p95), max(worst_p50, p50)
        print(f"{name:45} {hits:>7} {p50:>8.1f} {p95:>8.1f} {statistics.median(cpu):>8.1f}")
    print(f"uptime at end: {os.popen('uptime').read().strip()} ({os.cpu_count()} cores)")
    verdict = "OK" if worst <= 20 and worst_p50 <= 10 else "ABOVE TARGET"
    print(f"worst p95 {worst:.1f} ms, worst p50 {worst_p50:.1f} ms (target ≤ 20 / ≤ 10): {verdict}")


if __name__ == "__main__":
    main()
