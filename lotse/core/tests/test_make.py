"""What `make run` and `make prod` promise: the port in e-mail links, a clear refusal."""

import os
import subprocess

from django.conf import settings


def test_make_run_puts_its_port_into_e_mail_links():
    # not the flags of a `make test` this test may run under
    drop = {"LOTSE_SITE_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8101"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert 'LOTSE_SITE_URL="http://127.0.0.1:8101"' in result.stdout
    assert "DJANGO_DEBUG=true" in result.stdout and "runserver 127.0.0.1:8101" in result.stdout


def test_make_prod_names_every_missing_variable():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "LOTSE_", "DATABASE_URL", "REDIS_URL"))
    }
    env["LOTSE_SITE_URL_FILE"] = "/run/secrets/site_url"  # given as a file: counts as set
    result = subprocess.run(
        ["scripts/prod"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "missing required environment variable(s): DJANGO_SECRET_KEY DATABASE_URL REDIS_URL" in (
        result.stderr
    )
    assert "docs/deploy.md" in result.stderr
