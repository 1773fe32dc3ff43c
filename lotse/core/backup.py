"""Backup and restore that work the same on SQLite and PostgreSQL.

A backup is one ``.tar.gz`` with ``data.json`` (all rows, natural keys so content types and
permissions match any fresh database), the uploaded files under ``media/`` and a ``manifest.json``
with row counts per model. Restoring migrates the (fresh) database, loads the rows, restores the
files and checks the counts against the manifest. For large PostgreSQL installations use
``pg_dump`` in addition; this format is the one that moves between database engines.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from auditlog.context import disable_auditlog
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    "axes",
    "django_tasks_database",
]


class BackupError(RuntimeError):
    pass


def _model_counts() -> dict[str, int]:
    excluded_apps = {e for e in EXCLUDED if "." not in e}
    excluded_models = {e for e in EXCLUDED if "." in e}
    counts = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in excluded_apps or label in excluded_models:
            continue
        if model._meta.proxy or not model._meta.managed:
            continue
        counts[label] = model._default_manager.count()
    return counts


def backup_create(destination: Path) -> dict[str, int]:
    """Write a backup archive to ``destination``; returns the row counts it contains."""
    data = io.StringIO()
    call_command(
        "dumpdata",
        exclude=EXCLUDED,
        natural_foreign=True,
        natural_primary=True,
        format="json",
        stdout=data,
    )
    counts = _model_counts()
    manifest = {
        "created_at": timezone.now().isoformat(),
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "counts": counts,
    }
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(destination, "w:gz") as archive:
        for name, text in (("data.json", data.getvalue()), ("manifest.json", json.dumps(manifest))):
            raw = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
        media = Path(settings.MEDIA_ROOT)
        if media.exists():
            archive.add(media, arcname="media")
    return counts


def backup_restore(source: Path) -> dict[str, int]:
    """Restore an archive into the configured database (which should be empty)."""
    if not source.exists():
        raise BackupError(f"backup file not found: {source}")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(source, "r:gz") as archive:
        archive.extractall(tmp, filter="data")
        root = Path(tmp)
        if not (root / "data.json").exists() or not (root / "manifest.json").exists():
            raise BackupError(f"{source} is not a Lotse backup (data.json/manifest.json missing)")
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        call_command("migrate", verbosity=0, interactive=False)
        # Restoring is not a change: the audit log comes back from the backup as it was.
        with transaction.atomic(), disable_auditlog():
            call_command("loaddata", str(root / "data.json"), verbosity=0)
        if (root / "media").exists():
            target = Path(settings.MEDIA_ROOT)
            for path in (root / "media").rglob("*"):
                if path.is_file():
                    dest = target / path.relative_to(root / "media")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(path.read_bytes())
    counts = _model_counts()
    expected = manifest["counts"]
    differences = {k: (v, counts.get(k)) for k, v in expected.items() if counts.get(k) != v}
    if differences:
        raise BackupError(f"restored row counts differ from the backup: {differences}")
    return counts


# --- The scheduled backup (prod) --------------------------------------------------------------


def backup_scheduled(
    directory: Path | None = None, keep: int | None = None, now: datetime | None = None
) -> str:
    """The daily backup job: on PostgreSQL ``pg_dump`` (custom format, for ``pg_restore``) plus
    the uploaded files as ``.tar.gz``; on SQLite the portable archive of ``backup_create``.
    Keeps the newest ``keep`` backups of each kind in ``directory`` and deletes older ones."""
    directory = Path(directory or settings.LOTSE_BACKUP_DIR)
    keep = keep or settings.LOTSE_BACKUP_KEEP
    stamp = f"{timezone.localtime(now):%Y%m%d-%H%M%S}"
    directory.mkdir(parents=True, exist_ok=True)
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        written = [_pg_dump(directory / f"lotse-{stamp}.dump"), _media_archive(directory, stamp)]
        patterns = ["lotse-*.dump", "lotse-*-media.tar.gz"]
    else:
        written = [directory / f"lotse-{stamp}.tar.gz"]
        backup_create(written[0])
        patterns = ["lotse-*[0-9].tar.gz"]
    removed = sum(_rotate(directory, pattern, keep) for pattern in patterns)
    return f"wrote {', '.join(path.name for path in written)}; removed {removed} old file(s)"


def _pg_dump(target: Path) -> Path:
    import os
    import shutil
    import subprocess

    db = settings.DATABASES["default"]
    if not shutil.which("pg_dump"):
        raise BackupError("pg_dump is not installed (Debian: postgresql-client)")
    # The password goes through the environment, never the command line (visible in ps).
    env = {
        **os.environ,
        "PGHOST": str(db.get("HOST") or ""),
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": str(db.get("USER") or ""),
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
        "PGDATABASE": str(db["NAME"]),
    }
    partial = target.with_suffix(".partial")
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={partial}"],
        env={key: value for key, value in env.items() if value},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-500:]}")
    partial.rename(target)  # only a complete dump carries the final name
    return target


def _media_archive(directory: Path, stamp: str) -> Path:
    target = directory / f"lotse-{stamp}-media.tar.gz"
    partial = target.with_suffix(".partial")
    with tarfile.open(partial, "w:gz") as archive:
        media = Path(settings.MEDIA_ROOT)
        if media.exists():
            archive.add(media, arcname="media")
    partial.rename(target)
    return target


def _rotate(directory: Path, pattern: str, keep: int) -> int:
    old = sorted(directory.glob(pattern), reverse=True)[keep:]
    for path in old:
        path.unlink()
    return len(old)
