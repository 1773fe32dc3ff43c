"""Demo data: Flensburg's real population and births tables (Sozialatlas 2022, CC0)."""

from __future__ import annotations

from django.conf import settings

from lotse.core.demo import DemoContext

from .services import population_import

DATA_DIR = settings.BASE_DIR / "data" / "flensburg"
TABLES = [
    ("population_2021_by_age.csv", "flensburg_population_by_age"),
    ("under_18_2016_2021.csv", "flensburg_under_18"),
    ("births_2011_2021.csv", "flensburg_births"),
]


def load(ctx: DemoContext) -> list[str]:
    # Re-importing is idempotent: unchanged figures are left alone.
    actor = ctx.users.get("planer")
    return [
        f"{file}: {population_import(actor=actor, path=DATA_DIR / file, mapping=mapping).summary()}"
        for file, mapping in TABLES
    ]
