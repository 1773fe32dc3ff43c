"""The two locks agree with pyproject.toml: production gets every runtime dependency at the
version the tests ran with, and no test tool (`make lock` regenerates both)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PIN = re.compile(r"^([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)==([^\s;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[", 1)[0]).lower()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def declared() -> tuple[dict[str, str], dict[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = dict(canonical_pin(spec) for spec in project["dependencies"])
    dev = dict(canonical_pin(spec) for spec in project["optional-dependencies"]["dev"])
    return runtime, dev


def canonical_pin(spec: str) -> tuple[str, str]:
    name, _, version = spec.partition("==")
    assert version, f"pin an exact version in pyproject.toml: {spec}"
    return canonical(name), version.strip()


def test_production_lock_has_every_runtime_dependency_and_no_test_tool():
    runtime, dev = declared()
    prod = pins(ROOT / "requirements-prod.lock")
    for name, version in runtime.items():
        assert prod.get(name) == version, f"{name}=={version} missing in requirements-prod.lock"
    leaked = set(dev) & set(prod) - set(runtime)
    assert not leaked, f"test tools in the production lock: {sorted(leaked)}"


def test_development_lock_pins_what_production_runs():
    runtime, dev = declared()
    full = pins(ROOT / "requirements.lock")
    for name, version in {**runtime, **dev}.items():
        assert full.get(name) == version, f"{name}=={version} missing in requirements.lock"
    prod = pins(ROOT / "requirements-prod.lock")
    differing = {name: (v, full.get(name)) for name, v in prod.items() if full.get(name) != v}
    assert not differing, f"production and development pin different versions: {differing}"
