"""Production hashes passwords with Argon2id at OWASP's parameters and upgrades older hashes."""

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password

from lotse.accounts.models import User

pytestmark = pytest.mark.django_db

#: The production list (the test settings swap in a fast hasher for every other test).
PRODUCTION_HASHERS = [
    "lotse.core.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


def test_settings_use_argon2id_with_at_least_owasps_parameters():
    from lotse.core.hashers import Argon2idHasher

    from .test_security_headers import production_env, run_python

    result = run_python(
        "from django.conf import settings as s;print(s.PASSWORD_HASHERS)", production_env()
    )
    assert result.stdout.strip() == str(PRODUCTION_HASHERS), result.stderr
    # OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 (or an equivalent trade-off)
    hasher = Argon2idHasher()
    assert hasher.memory_cost >= 19 * 1024 and hasher.time_cost >= 2
    encoded = hasher.encode("correct-horse-9", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_old_pbkdf2_hash_is_upgraded_at_sign_in(settings, client, make_user):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = make_user(email="old@test.example")
    User.objects.filter(pk=user.pk).update(
        password=make_password("correct-horse-9", hasher="pbkdf2_sha256")
    )
    response = client.post(
        "/accounts/login/", {"login": "old@test.example", "password": "correct-horse-9"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert "m=19456,t=2,p=1" in user.password
