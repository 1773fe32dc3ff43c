"""Lotse settings: one module, every deployment-specific value from the environment."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from lotse.core.env import (
    development_secret_key,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent


# --- Environment (prod): production unless told otherwise ------------------------------------
# DEBUG is off unless DJANGO_DEBUG=true (``make run`` sets it). Without DEBUG Lotse assumes
# production and refuses to start without what production needs (secret key, PostgreSQL, Redis,
# its public address). ``LOTSE_ENVIRONMENT=development`` (tools, benchmarks) or ``test`` (set by
# pytest) lift those requirements. Every value may come from a file: ``NAME_FILE=/path``.
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ENVIRONMENT = env_choice(
    "LOTSE_ENVIRONMENT",
    ("production", "development", "test"),
    default="development" if DEBUG else "production",
)
PRODUCTION = ENVIRONMENT == "production"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG=true is refused when LOTSE_ENVIRONMENT=production.")


def _production_requires(name: str, example: str) -> str:
    value = env_str(name).strip()
    if PRODUCTION and not value:
        raise ImproperlyConfigured(
            f"{name} must be set: Lotse runs in production mode because DJANGO_DEBUG is not "
            f"true (e.g. {name}={example}; see docs/deploy.md). For development use "
            "`make run`, or set DJANGO_DEBUG=true or LOTSE_ENVIRONMENT=development."
        )
    return value


# No usable key is committed: production must set one, development keeps a random one in an
# untracked file of the checkout, each test process makes its own.
INSECURE_SECRET_KEYS = frozenset({"dev-insecure-key-change-me-8f3a1c", "change-me"})
SECRET_KEY = _production_requires("DJANGO_SECRET_KEY", "$(openssl rand -base64 48)")
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY in INSECURE_SECRET_KEYS):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too short or a known example: use 50 or more random characters."
    )
if not SECRET_KEY:
    if ENVIRONMENT == "test":
        SECRET_KEY = secrets.token_urlsafe(50)
    else:
        SECRET_KEY = development_secret_key(BASE_DIR / ".dev-secret-key")

# The address families and staff use; every link in e-mails, calendars and PDFs starts with it.
SITE_URL = _production_requires("LOTSE_SITE_URL", "https://kita.example.de").rstrip("/") or (
    "http://127.0.0.1:8000"
)
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"LOTSE_SITE_URL={SITE_URL!r} must start with https:// or http://.")
_site_host = urlsplit(SITE_URL).hostname or "localhost"
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    _site_host if PRODUCTION else f"127.0.0.1,localhost,testserver,{_site_host}",
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS") or (
    [f"{urlsplit(SITE_URL).scheme}://{urlsplit(SITE_URL).netloc}"] if PRODUCTION else []
)
# Addresses (or networks, e.g. 10.0.0.0/8) of the reverse proxies in front of Lotse. Only from
# these is X-Forwarded-For believed, so rate limits and lock-outs see each family's own address
# (lotse/core/proxy.py). Default: a proxy on the same host.
LOTSE_TRUSTED_PROXIES = env_list("LOTSE_TRUSTED_PROXIES", "127.0.0.1,::1")
# --- end of environment (prod) ----------------------------------------------------------------

INSTALLED_APPS = [
    # Lotse's apps first: their templates override the libraries' (base layout, allauth pages)
    # and their translations win over Django's and the libraries' for the same words.
    "lotse.core",
    "lotse.accounts",
    "lotse.directory",
    "lotse.applications",
    "lotse.allocation",
    "lotse.counselling",
    "lotse.events",
    "lotse.networks",
    "lotse.planning",
    "lotse.infopages",
    "lotse.news",
    "lotse.api",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "auditlog",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "django_tasks_db",
    "ninja",
]

MIDDLEWARE = [
    # First: every later part (rate limits, allauth, axes, HTTPS detection) sees the real client.
    "lotse.core.proxy.TrustedProxyMiddleware",
    # /healthz and /readyz: before the host check and the HTTPS redirect (load balancers).
    "lotse.core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lotse.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "lotse.accounts.middleware.RequireStaffSecondFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Axes must be last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lotse.urls"
WSGI_APPLICATION = "lotse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lotse.core.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default (two-command start), PostgreSQL via DATABASE_URL in production and CI.
# IMMEDIATE transactions stop "database is locked" on concurrent read-then-write requests.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = _production_requires("DATABASE_URL", "postgres://lotse@db.internal:5432/lotse")
if PRODUCTION and not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("Production needs PostgreSQL: DATABASE_URL=postgres://…")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("LOTSE_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
DATABASES["default"]["TEST"] = {"NAME": env_str("LOTSE_TEST_DB_NAME") or None}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"
SITE_ID = 1

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("LOTSE_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "signup": "20/h/ip"}
ACCOUNT_ADAPTER = "lotse.accounts.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Lotse"

AXES_FAILURE_LIMIT = env_int("LOTSE_AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
# allauth authenticates with {"email": …}: without this every failure counted for username None,
# so five wrong passwords for one account locked every account at that address.
AXES_USERNAME_CALLABLE = "lotse.accounts.lockout.attempted_account"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("LOTSE_AXES_ENABLED", default=True)
# Staff roles (facility, counselling, Jugendamt, networks, administration) must use 2FA.
LOTSE_REQUIRE_STAFF_2FA = env_bool("LOTSE_REQUIRE_STAFF_2FA", default=True)

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "de"
# German first, English complete; the family languages cover everything a family or the public
# sees (the rule and how to add a language: docs/i18n.md). ar and fa are right to left.
LANGUAGES = [
    ("de", _("German")),
    ("en", _("English")),
    ("tr", _("Turkish")),
    ("ar", _("Arabic")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("fa", _("Persian")),
]
# Each app keeps its own catalogue in lotse/<app>/locale/ (found automatically).
LOCALE_PATHS: list[Path] = []
# Date formats a language lacks in Django (Arabic has no DATETIME_FORMAT): lotse/core/formats/.
FORMAT_MODULE_PATH = ["lotse.core.formats"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
# Third-party front-end code comes from npm at set-up (make), never copied into the repo.
STATICFILES_DIRS = [
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    ("vendor/markercluster", BASE_DIR / "node_modules" / "leaflet.markercluster" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
MEDIA_ROOT = Path(env_str("LOTSE_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Map ------------------------------------------------------------------------------------
LOTSE_MAP_TILE_URL = env_str("LOTSE_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
LOTSE_MAP_ATTRIBUTION = env_str(
    "LOTSE_MAP_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
)
LOTSE_MAP_CENTER = (54.7836, 9.4321)  # Flensburg
LOTSE_MUNICIPALITY_NAME = env_str("LOTSE_MUNICIPALITY_NAME", "Flensburg")

# --- Security headers -----------------------------------------------------------------------
_tile_origin = "https://" + LOTSE_MAP_TILE_URL.split("//", 1)[-1].split("/", 1)[0].replace(
    "{s}.", "*."
)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", _tile_origin],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- E-mail and tasks -----------------------------------------------------------------------
# Django 6.1 mailers. Development prints mails to the console; production sets SMTP via env.
_mail_backend = env_str(
    "LOTSE_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
_mail_options: dict[str, object] = {}
if _mail_backend.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": env_str("LOTSE_EMAIL_HOST", "localhost"),
        "port": env_int("LOTSE_EMAIL_PORT", 587),
        "username": env_str("LOTSE_EMAIL_USER"),
        "password": env_str("LOTSE_EMAIL_PASSWORD"),
        "use_tls": env_bool("LOTSE_EMAIL_TLS", default=True),
    }
MAILERS = {"default": {"BACKEND": _mail_backend, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env_str("LOTSE_FROM_EMAIL", "Lotse <noreply@lotse.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": env_str("LOTSE_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Rate limits (requests per minute per client address) -------------------------------------
LOTSE_RATE_LIMITS = {
    "search": env_int("LOTSE_RATE_SEARCH", 120),
    "api_anon": env_int("LOTSE_RATE_API_ANON", 120),
    "api_user": env_int("LOTSE_RATE_API_USER", 600),
    "public_form": env_int("LOTSE_RATE_PUBLIC_FORM", 20),
}

# --- Audit ----------------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOTSE_LOG_LEVEL", "WARNING")},
}

# --- Serving (prod): shared cache, sessions, static files, background processes -----------------
# Production shares one Redis between all app servers and workers: rate limits, allauth's
# login limits, cached figures and sessions hold across processes, not per process.
REDIS_URL = _production_requires("REDIS_URL", "redis://127.0.0.1:6379/0")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("LOTSE_CACHE_KEY_PREFIX", "lotse"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Sessions in Redis, written through to the database (they survive a Redis restart).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Without REDIS_URL (development, tests): Django's per-process memory cache.

# Static files: `collectstatic` writes hashed, pre-compressed files that WhiteNoise serves with
# far-future cache headers from the app server itself (no separate static server needed).
STATIC_ROOT = Path(env_str("LOTSE_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if PRODUCTION:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

# Background processes: `manage.py worker` (tasks) and one `manage.py scheduler` (periodic
# jobs from every app's periodic.py). /readyz is unhealthy when either was not seen for
# LOTSE_HEARTBEAT_MAX_AGE seconds.
LOTSE_HEARTBEAT_MAX_AGE = env_int("LOTSE_HEARTBEAT_MAX_AGE", 120)
LOTSE_SCHEDULER_TICK = env_int("LOTSE_SCHEDULER_TICK", 10)
LOTSE_BACKUP_DIR = Path(env_str("LOTSE_BACKUP_DIR", str(BASE_DIR / "backups")))
LOTSE_BACKUP_KEEP = env_int("LOTSE_BACKUP_KEEP", 14)
# Argon2id with OWASP's parameters (lotse/core/hashers.py): ~25 ms per sign-in instead of
# ~300 ms with PBKDF2, so offers day is not spent hashing. Older hashes still verify and are
# upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "lotse.core.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# --- end of serving (prod) ----------------------------------------------------------------------
