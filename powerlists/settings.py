"""Settings for powerlists, read from the environment.

SQLite by default so a newcomer needs nothing; PostgreSQL (psycopg 3) when DATABASE_URL is set,
e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/powerlists.
"""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# SECRET_KEY signs the history (audit events, checkpoints of the chain) and the backups. In production (DEBUG
# off, the default) it must be set (see README, Deploying): without it the product refuses to start. Only
# with DEBUG=1 (scripts/start) is there a fixed development key; `check --deploy` fails on that key and on a
# short one (powerlists/checks.py). The test run sets a key of its own (tests/settings.py).
DEVELOPMENT_SECRET_KEY = "dev-insecure-powerlists-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip() or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "没有设置 SECRET_KEY：生产环境（DEBUG 关闭）必须在环境变量 SECRET_KEY 中给出至少 50 个随机字符"
        "（见 README「Deploying」），它为审计历史和备份签名；开发时请设置 DEBUG=1，使用开发密钥。 / "
        "SECRET_KEY is not set: in production (DEBUG off) the environment variable SECRET_KEY must hold at "
        "least 50 random characters (see README, Deploying); it signs the audit history and the backups. "
        "In development set DEBUG=1 to use the development key."
    )
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
# The number of reverse proxies in front of the product that append to X-Forwarded-For (1 behind the
# documented nginx): the client's address for the sign-in lockout, the rate limits and the logs is the
# hop just before them (powerlists/ops/client_ip.py). 0 (the default): REMOTE_ADDR, the header ignored.
_proxies = os.environ.get("TRUSTED_PROXIES", "0").strip() or "0"
if not _proxies.isdigit():
    raise ImproperlyConfigured("TRUSTED_PROXIES 应为代理的个数（0 或正整数）。 / TRUSTED_PROXIES is the number of "
                               f"proxies in front of the product, 0 or more (not “{_proxies[:20]}”).")
TRUSTED_PROXIES = int(_proxies)
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# Served over TLS (production, behind a load balancer or proxy that terminates it and sets
# X-Forwarded-Proto): secure cookies, HSTS, and plain HTTP redirected — except /healthz, which the load
# balancer calls over plain HTTP.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "knox",
    "accounts",
    "powerlists",
]

MIDDLEWARE = [
    "powerlists.ops.logs.RequestLogMiddleware",
    "powerlists.audit_checkpoints.CheckpointMiddleware",
    "powerlists.ops.headers.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "powerlists.ops.input.RefuseNulMiddleware",
    "powerlists.api.query_contract.QueryContractMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "powerlists.ops.routers.PinPrimaryMiddleware",
    "powerlists.ops.faults.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "powerlists.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "powerlists" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "powerlists.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; a busy timeout instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("TEST", {})
# A read replica (streaming replication of the primary): reads go there, writes and the reads that must
# see them go to the primary (powerlists/ops/routers.py). In tests the replica mirrors the test database.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["powerlists.ops.routers.PrimaryReplicaRouter"]

AUTH_USER_MODEL = "accounts.User"
# Sign-in failures are counted and locked out (accounts/lockout.py).
AUTHENTICATION_BACKENDS = ["accounts.lockout.LockoutBackend"]
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "30"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", str(15 * 60)))

# Passwords are stored as PBKDF2-SHA256 (Django's default, named here so that it is a promise, not an accident).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Static files are served by the product itself (WhiteNoise); nothing comes from a CDN.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace"
LOGOUT_REDIRECT_URL = "home"
# Uploads of spreadsheets are bounded (see powerlists/services/imports.py for rows).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MEDIA_ROOT = BASE_DIR / "media"
# Signed checkpoints of the audit chain's head (powerlists/audit_checkpoints.py), outside the database: one
# append-only file per database, written by `manage.py auditcheckpoint` (a systemd timer) and, at most once
# per interval, after a request that may have written audit events.
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("AUDIT_CHECKPOINT_DIR") or MEDIA_ROOT / "audit-checkpoints")
AUDIT_CHECKPOINT_INTERVAL = int(os.environ.get("AUDIT_CHECKPOINT_INTERVAL", "300"))  # seconds
AUDIT_CHECKPOINT_AFTER_REQUESTS = env_bool("AUDIT_CHECKPOINT_AFTER_REQUESTS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set (production, CI), else this process's memory (a newcomer needs
# nothing). Rate limits live in the cache.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Every key starts with CACHE_KEY_PREFIX, and cache.clear() deletes only those (powerlists/ops/cache.py): a
# test run (tests/conftest.py: the test database's name) or a benchmark sets its own and shares the database.
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "powerlists")
CACHES = {
    "default": (
        {"BACKEND": "powerlists.ops.cache.ResilientRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": CACHE_KEY_PREFIX,
         # A Redis that hangs must not hang requests: each call gives up quickly and the caller goes on
         # without the cache (lists computed, rate limits and lockouts not counted; see SECURITY.md).
         "OPTIONS": {"socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
                     "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5"))}}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "powerlists",
              "KEY_PREFIX": CACHE_KEY_PREFIX}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "powerlists.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every view asks powerlists.policy itself; the default lets reads through.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "powerlists.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "powerlists.api.errors.exception_handler",
    # JSON bounded in size and nesting depth before it is decoded (powerlists/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "powerlists.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "powerlists.api.throttles.AnonThrottle",
        "powerlists.api.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_RATE_ANON", "300/minute"),
        "user": os.environ.get("API_RATE_USER", "1200/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNICODE_JSON": True,
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": None,  # each token carries its own expiry, chosen when it is created (createtoken --days)
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "powerlists API",
    "DESCRIPTION": (
        "Power lists (权力清单) of Chinese governments: who exercises which power, on any date, and how "
        "powers are devolved, recalled and shared. Errors have one shape: "
        '{"code": "...", "message": "...", "details": {...}}; messages follow Accept-Language (zh-hans, en).'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set used by several models (spectacular would otherwise warn of collisions).
    "ENUM_NAME_OVERRIDES": {
        "TransferStateEnum": "powerlists.models.choices.TransferState",
        "BatchStateEnum": "powerlists.models.choices.BatchState",
        "TransferKindEnum": "powerlists.models.choices.TransferKind",
        "DepartmentKindEnum": "powerlists.models.choices.DepartmentKind",
        "ExerciseRoleEnum": "powerlists.models.choices.Role",
        "PartyRoleEnum": "powerlists.models.choices.SHARED_ROLE_CHOICES",
        "TierEnum": "powerlists.models.choices.Tier",
        "DecisionEnum": "powerlists.models.choices.Decision",
        "CategoryEnum": "powerlists.models.choices.Category",
        "EvaluationCategoryEnum": "powerlists.models.evaluation.EvaluationCategory",
        "EvaluationRoundStateEnum": "powerlists.models.evaluation.RoundState",
        "BasisRoleEnum": "powerlists.models.choices.BasisRole",
        "LawKindEnum": "powerlists.models.choices.LawKind",
        "InitiationEnum": "powerlists.models.choices.Initiation",
        "ProcessingStepEnum": "powerlists.models.choices.ProcessingStep",
        "EditionStateEnum": "powerlists.models.choices.EditionState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "powerlists.api.schema.add_error_responses",
    ],
}

# Logs go to standard error; LOG_FORMAT=json gives one JSON object per line (for a log collector).
# Every request is logged once by powerlists.ops.logs.RequestLogMiddleware (REQUEST_LOG_LEVEL=WARNING
# silences it).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "powerlists.ops.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "json" if os.environ.get("LOG_FORMAT") == "json" else "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "powerlists.request": {"handlers": ["console"], "level": os.environ.get("REQUEST_LOG_LEVEL", "INFO"),
                               "propagate": False},
    },
}
