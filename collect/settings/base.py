"""Settings shared by every environment.

Everything is read from the environment (django-environ). With nothing set, Collect runs on one
machine with no servers: SQLite (WAL) in var/, a filesystem Celery broker in var/broker/, a file
cache in var/cache/ and outgoing e-mail kept in the database (viewable in the app).
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("COLLECT_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The embedded default key is only for local use; production.py refuses to start without a real one.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
# The public mandate signing page (/sign/<token>/): requests allowed per client IP and per signing link
# within SIGNING_RATE_WINDOW seconds; beyond that the visitor sees a "try again in a few minutes" page.
SIGNING_RATE_LIMIT_PER_IP = env.int("SIGNING_RATE_LIMIT_PER_IP", default=120)
SIGNING_RATE_LIMIT_PER_LINK = env.int("SIGNING_RATE_LIMIT_PER_LINK", default=40)
SIGNING_RATE_WINDOW = env.int("SIGNING_RATE_WINDOW", default=600)
# Behind a reverse proxy: the header holding the client address (e.g. HTTP_X_FORWARDED_FOR; its last entry).
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "anymail",
    "axes",
    # Two-factor login for members: TOTP apps and one-time recovery codes (organizations/two_factor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp",
    "collect",
    "localized",
    "organizations",
    "mailroom",
    "customers",
    "invoices",
    "messaging",
    "mandates",
    "campaigns",
    "reminders",
    "postal",
    "reports",
    "devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "organizations.middleware.OrganizationMiddleware",
    "organizations.middleware.TwoFactorMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "collect.urls"
WSGI_APPLICATION = "collect.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "organizations.context_processors.organization",
            ],
        },
    },
]

# Database: SQLite with WAL (several processes: web, worker, beat) unless DATABASE_URL is set.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'collect.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait instead of failing.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organizations.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out address or account before the password is checked (organizations/login_throttle).
    "organizations.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Brute-force protection (django-axes): 5 failed logins per IP address, and per account, lock that address or
# account for 15 minutes. Counted in the database, so every process sees the same count.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_DISABLE_ACCESS_LOG = True  # only failures are kept; successful logins need no extra row
AXES_CLIENT_IP_CALLABLE = "organizations.ratelimit.client_ip"  # honours CLIENT_IP_HEADER behind a proxy
AXES_USERNAME_CALLABLE = "organizations.login_throttle.username_of"
AXES_LOCKOUT_CALLABLE = "organizations.login_throttle.locked_out"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Collect")

# Redis, when configured, is the Celery broker and the shared cache (throttling, rate limits).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Day-first dates for Django's own rendering and inputs; amounts and country forms: the `localized` app.
FORMAT_MODULE_PATH = "localized.formats"
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Serve files straight from the apps in development; production serves the collected, hashed files.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail: kept in the database unless an anymail ESP (or SMTP) backend is configured.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="mailroom.backends.DatabaseEmailBackend")
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Collect <no-reply@collect.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# JSON, e.g. {"POSTMARK_SERVER_TOKEN": "...", "WEBHOOK_SECRET": "user:long-random-password"}. The ESP posts
# tracking events (delivered, bounced, …) to https://user:password@<host>/webhooks/anymail/<esp>/tracking/;
# messaging/tracking.py stores them. `check --deploy` refuses an ESP backend without WEBHOOK_SECRET.
ANYMAIL = env.json("ANYMAIL", default={})

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which needs no server
# and works across processes (web, worker and beat share var/broker/).
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # kombu's filesystem transport, writing each message atomically (collect/broker.py registers the scheme).
    CELERY_BROKER_URL = "collectfs://"
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# The database holds the truth; tasks must be safe to re-run (see docs in reminders/).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task is killed after CELERY_TASK_TIME_LIMIT seconds, so a living worker never holds a follow-up claim longer than
# that; the sweeper treats a claim older than FOLLOW_UP_LEASE_SECONDS as its worker's death, so the lease must be
# longer. Retries of a temporary error wait FOLLOW_UP_RETRY_SECONDS (one value per retry). Production keeps the
# defaults; the chaos run (`make chaos`) compresses them to seconds.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
FOLLOW_UP_LEASE_SECONDS = env.int("FOLLOW_UP_LEASE_SECONDS", default=900)
FOLLOW_UP_RETRY_SECONDS = env.list("FOLLOW_UP_RETRY_SECONDS", cast=int, default=[60, 300, 900, 3600, 10800])
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "organizations.api.authentication.ApiKeyAuthentication",
        "organizations.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["organizations.api.permissions.OrganizationAccess"],
    "DEFAULT_PAGINATION_CLASS": "organizations.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "organizations.api.idempotency.IdempotentAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["organizations.api.throttling.ApiClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_client": env.str("API_RATE_LIMIT", default="1200/min")},
    "EXCEPTION_HANDLER": "organizations.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Collect API",
    "DESCRIPTION": (
        "REST API of Collect. Authenticate with `Authorization: Bearer <api key>`; a key belongs to one "
        "organization and every request is scoped to it. Lists use cursor pagination."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "API key"}}
    },
    "SECURITY": [{"ApiKey": []}],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "collect.settings.base.LANGUAGES",
        "InvoiceStatusEnum": "invoices.models.InvoiceStatus",
        "DispatchStatusEnum": "messaging.models.DispatchStatus",
        "TaskStatusEnum": "reminders.models.TaskStatus",
        "MandateStateEnum": "mandates.models.MandateState",
        "BulkJobStatusEnum": "customers.models.BulkJobStatus",
        "FallbackChannelEnum": "messaging.models.FallbackChannel",
        "BatchStatusEnum": "mandates.models.BatchStatus",
        "DebitStatusEnum": "mandates.models.DebitStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "organizations.api.idempotency.document_idempotency_responses",
        "organizations.api.exceptions.document_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no inline
# code, no framing. Inline <script> blocks and on…= handlers live in static/collect/*.js instead.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
