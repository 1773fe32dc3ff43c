import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_csp_is_strict_and_uses_nonces(client):
    response = client.get("/facilities/")
    csp = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
    body = response.content.decode()
    scripts = body.count("<script")
    assert scripts and body.count(f'nonce="{nonce}"') == scripts  # every script carries it
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_nonce_changes_per_response(client):
    first = client.get("/")["Content-Security-Policy"]
    second = client.get("/")["Content-Security-Policy"]
    assert first != second


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a correctly configured production installation (nothing is
    connected to: settings and checks only)."""
    env = {
        **os.environ,
        "LOTSE_ENVIRONMENT": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "LOTSE_SITE_URL": "https://lotse.example",
        "DATABASE_URL": "postgres://lotse@127.0.0.1:5432/lotse_never_connected",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DJANGO_SETTINGS_MODULE": "lotse.settings",
    }
    env.pop("DJANGO_DEBUG", None)
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import django;django.setup();{code}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_set_hsts_and_secure_cookies():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS)"
    )
    result = run_python(code, production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "31536000",
        "True",
        "True",
        "True",
        "['lotse.example']",
    ]


def test_debug_is_off_unless_explicitly_enabled():
    """No DJANGO_DEBUG means production (DEBUG off), never a development server by accident."""
    result = run_python(
        "from django.conf import settings as s;print(s.DEBUG, s.ENVIRONMENT)",
        production_env(LOTSE_ENVIRONMENT=None),
    )
    assert result.stdout.split() == ["False", "production"], result.stderr
    dev = run_python(
        "from django.conf import settings as s;print(s.DEBUG, s.ENVIRONMENT)",
        production_env(LOTSE_ENVIRONMENT=None, DJANGO_DEBUG="true"),
    )
    assert dev.stdout.split() == ["True", "development"], dev.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "dev-insecure-key-change-me-8f3a1c"}, "too short or a known"),
        ({"LOTSE_SITE_URL": None}, "LOTSE_SITE_URL must be set"),
        ({"LOTSE_SITE_URL": "lotse.example"}, "must start with https://"),
        ({"DATABASE_URL": None}, "DATABASE_URL must be set"),
        ({"DATABASE_URL": "sqlite:////tmp/x.db"}, "Production needs PostgreSQL"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG=true is refused"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "ture"}, "is not a boolean"),
        ({"LOTSE_AXES_FAILURE_LIMIT": "five"}, "is not a whole number"),
        ({"LOTSE_ENVIRONMENT": "prod"}, "must be one of"),
    ],
)
def test_production_refuses_to_start_with_a_mistake(overrides, message):
    env = production_env(**overrides)
    result = run_python("pass", env)
    assert result.returncode != 0 and message in result.stderr, result.stderr[-600:]


def test_secrets_can_come_from_files(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 64 + "\n")
    env = production_env(DJANGO_SECRET_KEY=None, DJANGO_SECRET_KEY_FILE=str(key_file))
    result = run_python("from django.conf import settings as s;print(s.SECRET_KEY)", env)
    assert result.stdout.strip() == "k" * 64, result.stderr
    both = run_python("pass", {**env, "DJANGO_SECRET_KEY": "x" * 60})
    assert "not both" in both.stderr
    missing = run_python("pass", {**env, "DJANGO_SECRET_KEY_FILE": str(tmp_path / "nope")})
    assert "cannot be read" in missing.stderr


def test_no_usable_secret_key_is_committed():
    """Development makes its own random key in an untracked file; the key in use is none of the
    strings of the repository, so nobody can forge signed links (e.g. event "manage" links)."""
    tracked = subprocess.run(
        ["git", "ls-files", ".dev-secret-key"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert tracked.stdout == ""
    result = run_python(
        "from django.conf import settings as s;print(s.SECRET_KEY)",
        production_env(LOTSE_ENVIRONMENT="development", DJANGO_SECRET_KEY=None),
    )
    key = result.stdout.strip()
    assert len(key) >= 50, result.stderr
    # "-e": a random key may begin with "-" and would be read as an option (exit 129).
    grep = subprocess.run(
        ["git", "grep", "-F", "-q", "-e", key], cwd=settings.BASE_DIR, check=False
    )
    assert grep.returncode == 1  # not found in any tracked file
    assert settings.SECRET_KEY not in settings.INSECURE_SECRET_KEYS


def test_a_link_signed_with_the_old_committed_key_is_refused():
    from django.core import signing

    forged = signing.dumps({"registration": 1}, key="dev-insecure-key-change-me-8f3a1c")
    with pytest.raises(signing.BadSignature):
        signing.loads(forged)
