"""docs/retention-policy.json covers every field of every model that may hold personal data.

A new model or field in a Lotse app (or in one of the listed libraries) fails this test until
the policy says what it is for, on which legal basis and how long it is kept; a removed one
fails until the policy forgets it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

ROOT = Path(__file__).resolve().parents[3]
POLICY = json.loads((ROOT / "docs" / "retention-policy.json").read_text(encoding="utf-8"))

#: Models of the libraries in use that hold personal data (checked by their real app labels).
THIRD_PARTY = {
    "account.emailaddress",
    "account.emailconfirmation",
    "mfa.authenticator",
    "auditlog.logentry",
    "admin.logentry",
    "axes.accessattempt",
    "axes.accessattemptexpiration",
    "axes.accesslog",
    "axes.accessfailurelog",
    "sessions.session",
    "django_tasks_database.dbtaskresult",
}
REQUIRED = ("purpose", "legal_basis", "retention")


def covered_models() -> dict[str, type[models.Model]]:
    return {
        m._meta.label_lower: m
        for m in apps.get_models()
        if m._meta.app_config.name.startswith("lotse.") or m._meta.label_lower in THIRD_PARTY
    }


def model_fields(model: type[models.Model]) -> set[str]:
    """Concrete and many-to-many fields; the implicit ``id`` key is the only one left out."""
    return {
        f.name
        for f in model._meta.get_fields()
        if (f.concrete or f.many_to_many) and not f.auto_created
    }


def test_every_listed_library_model_exists():
    assert THIRD_PARTY <= set(covered_models())


def test_every_model_has_a_policy():
    missing = sorted(set(covered_models()) - set(POLICY))
    assert missing == [], f"models without an entry in docs/retention-policy.json: {missing}"


def test_the_policy_lists_no_model_that_no_longer_exists():
    stale = sorted(set(POLICY) - set(covered_models()))
    assert stale == [], f"entries for models that no longer exist: {stale}"


@pytest.mark.parametrize("label", sorted(covered_models()))
def test_every_field_has_a_policy_and_no_stale_field_is_listed(label):
    entry = POLICY.get(label, {"fields": {}})
    fields = model_fields(covered_models()[label])
    listed = set(entry["fields"])
    assert sorted(fields - listed) == [], f"{label}: fields without a policy"
    assert sorted(listed - fields) == [], f"{label}: policy lists fields that no longer exist"


@pytest.mark.parametrize("label", sorted(POLICY))
def test_every_entry_has_purpose_legal_basis_and_retention(label):
    entry = POLICY[label]
    for key in (*REQUIRED, "job"):
        assert isinstance(entry.get(key), str) and len(entry[key].strip()) > 5, (label, key)
    for name, spec in entry["fields"].items():
        if isinstance(spec, str):
            assert len(spec.strip()) > 2, (label, name)
            continue
        merged = {key: spec.get(key, entry[key]) for key in REQUIRED}
        assert all(isinstance(v, str) and v.strip() for v in merged.values()), (label, name)
        assert set(spec) <= set(REQUIRED), (label, name, set(spec) - set(REQUIRED))


def test_readable_table_in_docs_is_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "retention-table.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
