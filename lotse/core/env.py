"""Reading settings from the environment strictly: a typo must stop the start, not change
behaviour silently (``DJANGO_DEBUG=ture`` is an error, not "off").

Every value may also come from a file: ``NAME_FILE=/run/secrets/name`` reads the file's content
(systemd credentials, Docker/Kubernetes secrets), so secrets need not sit in the environment.
This module imports nothing of Django's settings, so ``settings.py`` can use it.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def env_str(name: str, default: str = "") -> str:
    """The variable ``name``, or the content of the file named by ``name_FILE``."""
    file_name = os.environ.get(f"{name}_FILE", "")
    if file_name:
        if os.environ.get(name):
            raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE={file_name} cannot be read: {exc.strerror}."
            ) from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name).strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use true or false (also 1/0, yes/no, on/off)."
    )


def env_int(name: str, default: int) -> int:
    value = env_str(name).strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env_str(name) or default).split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name).strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def development_secret_key(path: Path) -> str:
    """A random key kept in an untracked file of this checkout, so development sessions and
    signed links survive restarts while no usable key is ever committed."""
    import secrets
    import tempfile

    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    # Write a complete file, then link it into place: linking fails if another process was
    # quicker, and then both use that process's key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    return path.read_text(encoding="utf-8").strip()
