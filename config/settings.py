"""Concord settings, read from the environment (see .env.example).

The defaults make the one-command demo work with no services: an SQLite file and a broker kept in
files on disk. Production and the test suite set DATABASE_URL and CELERY_BROKER_URL/REDIS_URL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env is read for convenience; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The local demo (`make run`): DEBUG stays off, so visitors meet Concord's own error pages (Django's
# DEBUG pages list every URL pattern and break the CSP), while what a laptop needs is relaxed
# exactly as under DEBUG: a built-in secret key, local hosts, plain HTTP, no second factor unless
# asked for, static files served by WhiteNoise from the source folders, and `seed_demo` allowed.
CONCORD_DEMO = env.bool("CONCORD_DEMO", default=False)
LOCAL = DEBUG or CONCORD_DEMO  # a developer's or the demo's machine, never a deployment
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "concord-insecure-demo-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if LOCAL else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "institutes",
    "evaluations",
    "exchanges",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "institutes.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "institutes.sessions.SessionTimeoutMiddleware",
    "institutes.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout into the sign-in page with its message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "institutes.context_processors.current_membership",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'concord.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "CONCORD_DB_PREPARED_STATEMENTS", default=True
):
    # Parameters bound by the server, and a statement a connection runs again and again prepared
    # once: PostgreSQL then plans the pages' joined queries once per connection, not per request.
    # Turn it off behind a connection pooler in transaction mode (PgBouncer before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "institutes.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Sign-in: lockout, sessions, second factor (docs/security.md) -----------------------------
# How many reverse proxies we run in front of Concord (nginx: 1). X-Forwarded-For is believed only
# that far (institutes.network); with 0 it is ignored and REMOTE_ADDR is the client.
CONCORD_TRUSTED_PROXY_COUNT = env.int("CONCORD_TRUSTED_PROXY_COUNT", default=0)
# Lockout (django-axes): after this many failed sign-ins for one username from one address, that
# pair is refused for the cool-off time (each further attempt restarts it). Keyed on the pair so
# that nobody can lock a colleague out from elsewhere, nor escape by changing X-Forwarded-For.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env.int("CONCORD_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CONCORD_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "institutes.network.client_ip"
AXES_LOCKOUT_CALLABLE = "institutes.views.locked_out"
# Sign-ins, failures and lockouts are in the audit trail (admin: Audit events).
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
# A session ends after this long without a request, and SESSION_COOKIE_AGE after sign-in.
CONCORD_SESSION_IDLE_SECONDS = env.int("CONCORD_SESSION_IDLE_SECONDS", default=30 * 60)
# Second factor (institutes.two_factor): programme managers, the admin, and members of institutes
# that require it. Only the demo (or DEBUG) may turn it off.
CONCORD_REQUIRE_OTP = env.bool("CONCORD_REQUIRE_OTP", default=True) if LOCAL else True
OTP_TOTP_ISSUER = "Concord"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if LOCAL
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# The demo serves static files straight from the source folders (no collectstatic).
WHITENOISE_USE_FINDERS = LOCAL
WHITENOISE_AUTOREFRESH = LOCAL
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"

# Where Inspect logs (produced by workers or uploaded by partners) are kept: on disk under
# CONCORD_LOG_DIR (`file`, the demo's) or in an S3-compatible bucket (`s3`), behind one storage
# alias, "logs" (evaluations.logstore). With `s3`, CONCORD_LOG_DIR is only the workers' scratch.
CONCORD_LOG_DIR = Path(env.str("CONCORD_LOG_DIR", default=str(VAR_DIR / "logs")))
CONCORD_LOG_STORAGE = env.str("CONCORD_LOG_STORAGE", default="file").strip().lower()
# How long a presigned link to a log download lives (s3 only; 0: stream through Concord).
CONCORD_LOG_PRESIGNED_SECONDS = env.int("CONCORD_LOG_PRESIGNED_SECONDS", default=300)
if CONCORD_LOG_STORAGE == "file":
    STORAGES["logs"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(CONCORD_LOG_DIR)},
    }
elif CONCORD_LOG_STORAGE == "s3":
    from botocore.config import Config as _S3Config

    _s3_endpoint = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    STORAGES["logs"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": _s3_endpoint,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_expire": CONCORD_LOG_PRESIGNED_SECONDS or 300,
            # Fail fast when the bucket does not answer: pages fall back, the worker retries.
            "client_config": _S3Config(
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3.0),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=20.0),
                retries={"max_attempts": 2, "mode": "standard"},
                signature_version="s3v4",
                # MinIO and other self-hosted servers answer path-style requests.
                s3={
                    "addressing_style": env.str(
                        "AWS_S3_ADDRESSING_STYLE", default="path" if _s3_endpoint else "auto"
                    )
                },
            ),
        },
    }
else:
    raise ImproperlyConfigured(
        f"CONCORD_LOG_STORAGE is '{CONCORD_LOG_STORAGE}': it must be 'file' or 's3'."
    )

# --- Celery ----------------------------------------------------------------------------------
# The database row is the truth for every job; the broker only carries job ids.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The folders are made when the Celery app is configured (config/celery_app.py), not here.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A job not acknowledged within this time is delivered again; claims are conditional updates,
    # so a redelivered job never runs twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=20)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Inspect runs go to the `evals` queue (`celery -A config worker -Q evals`), short work to `default`.
CELERY_TASK_ROUTES = {
    "evaluations.run_job": {"queue": "evals"},
    # Logs uploaded by institutes' worker pools are ingested on their own queue.
    "evaluations.ingest_pool_log": {"queue": "ingest"},
    "evaluations.*": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE = {
    # Exchanges start and end on their dates: approved ones with a complete checklist are
    # activated, active ones past their end date are completed. Idempotent, so hourly is cheap
    # and catches midnight promptly (access itself already follows the dates exactly).
    "exchanges-sync-dates": {
        "task": "exchanges.tasks.exchanges_sync_dates",
        "schedule": timedelta(hours=1),
    },
    # Jobs whose worker went silent are re-queued or failed (CONCORD_JOB_STALE_SECONDS below).
    "evaluations-reap-jobs": {
        "task": "evaluations.reap_jobs",
        "schedule": timedelta(seconds=env.float("CONCORD_JOB_REAP_INTERVAL_SECONDS", default=30.0)),
    },
    # Jobs still queued long after they were sent are sent again (CONCORD_JOB_REQUEUE_SECONDS).
    "evaluations-reconcile-jobs": {
        "task": "evaluations.reconcile_jobs",
        "schedule": timedelta(
            seconds=env.float("CONCORD_JOB_RECONCILE_INTERVAL_SECONDS", default=120.0)
        ),
    },
    # Webhook deliveries that are due and whose message was lost are sent again.
    "webhooks-resend-due": {
        "task": "webhooks.tasks.resend_due",
        "schedule": timedelta(seconds=60),
    },
    # `access_window.closing`: windows closing within CONCORD_WEBHOOK_WINDOW_NOTICE, once each.
    "webhooks-window-notices": {
        "task": "webhooks.tasks.notify_closing_windows",
        "schedule": timedelta(minutes=15),
    },
}

# --- Django REST Framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "institutes.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Closed by default: every API view declares its permission_classes (config.api.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["config.api.permissions.DenyAll"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "config.api.filters.OrderingFilter",  # unknown orderings are a 400
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    # JSON only: exploring the API is Swagger UI's job (/api/docs/), which holds the strict CSP;
    # DRF's browsable pages carry inline styles. DRF's JSON, written by orjson.
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.JSONRenderer"],
    # DRF's JSON and form parsers, bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (413 past it).
    "DEFAULT_PARSER_CLASSES": [
        "config.api.parsers.JSONParser",
        "config.api.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.PerClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": env.str("API_THROTTLE_RATE", default="1200/minute")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens: lifetime given when none is asked for, and the longest one may ask for (days).
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Concord API",
    "DESCRIPTION": (
        "Joint evaluations of AI models, systems and agents between AI safety institutes. "
        "Authenticate partner tools with `Authorization: Bearer <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: it would send the schema's address to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Choice sets that share a field name ("status", "role") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "evaluations.models.EvaluationProject.Status",
        "FindingStatusEnum": "evaluations.models.Finding.Status",
        "FindingEvidenceKindEnum": "evaluations.models.FindingEvidence.Kind",
        "KindEnum": "evaluations.models.AISystem.Kind",
        "GuidelineVersionStatusEnum": "evaluations.models.GuidelineVersion.Status",
        "ParticipationRoleEnum": "evaluations.models.Participation.Role",
        "MembershipRoleEnum": "institutes.models.Role",
        "JobStatusEnum": "evaluations.models.EvaluationJob.Status",
        "RunStatusEnum": "evaluations.models.EvaluationRun.Status",
        "RunSourceEnum": "evaluations.models.EvaluationRun.Source",
        "ExternalRunStatusEnum": "evaluations.models.ExternalRun.Status",
        "ReviewQueueStatusEnum": "evaluations.models.ReviewQueue.Status",
        "ReportStatusEnum": "evaluations.models.Report.Status",
        "FindingResponseKindEnum": "evaluations.models.FindingResponse.Kind",
    },
}

# --- Caches, sessions, security --------------------------------------------------------------
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# With Redis, sessions are read from the cache and written through to the database: a request
# does not query the session table. Sign-out deletes both; access taken away ends sessions through
# the user row (`institutes.sessions`), which every request still reads. Without Redis the cache
# is per process (a sign-out would not reach the others' copies): the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=int(timedelta(hours=12).total_seconds()))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind the production reverse proxy (nginx terminates TLS) these are on; the demo runs on plain HTTP.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not LOCAL)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not LOCAL)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not LOCAL)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if LOCAL else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL
SECURE_HSTS_PRELOAD = not LOCAL
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
CONCORD_MAX_UPLOAD_BYTES = env.int("CONCORD_MAX_UPLOAD_BYTES", default=500 * 1024 * 1024)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Concord <concord@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "inspect_ai": {"level": "WARNING"},
        # Report PDFs: WeasyPrint's progress steps and fontTools' subsetting speak at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Personnel exchanges ---------------------------------------------------------------------
# Where people reach Concord: links in e-mails and in calendar feeds.
CONCORD_SITE_URL = env.str("CONCORD_SITE_URL", default="http://127.0.0.1:8000")

# --- The developer's side (docs/developers.md) -------------------------------------------------
# How long a developer contact's sign-up link works.
CONCORD_DEVELOPER_INVITE_DAYS = env.int("CONCORD_DEVELOPER_INVITE_DAYS", default=14)

# --- Webhooks (docs/partner-tools.md, "Webhooks") ---------------------------------------------
# Signing secrets are encrypted at rest with a key derived from CONCORD_WEBHOOK_KEY, or from
# SECRET_KEY when it is unset: changing that key makes the stored secrets unreadable, so rotate
# every webhook's secret after it (webhooks.signing).
CONCORD_WEBHOOK_KEY = env.str("CONCORD_WEBHOOK_KEY", default="")
# Webhook URLs must resolve to public addresses (no loopback, private, link-local, ...): checked
# at registration and again at every delivery. On only for a laptop or the test suite.
CONCORD_WEBHOOK_ALLOW_PRIVATE = env.bool("CONCORD_WEBHOOK_ALLOW_PRIVATE", default=False)
# Deployments take https:// URLs only; plain http:// is refused unless this is turned off.
CONCORD_WEBHOOK_REQUIRE_HTTPS = env.bool("CONCORD_WEBHOOK_REQUIRE_HTTPS", default=not LOCAL)
CONCORD_WEBHOOK_TIMEOUT_SECONDS = env.float("CONCORD_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Retries: 1 min, 2, 4, ... at most 1 h apart (plus up to 10 % jitter), for 24 h after the
# first attempt; then the delivery is failed. A webhook whose deliveries fail this many times
# in a row is marked failing (it keeps being attempted: its page and the API show it).
CONCORD_WEBHOOK_RETRY_BASE_SECONDS = env.float("CONCORD_WEBHOOK_RETRY_BASE_SECONDS", default=60.0)
CONCORD_WEBHOOK_RETRY_MAX_SECONDS = env.float("CONCORD_WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
CONCORD_WEBHOOK_RETRY_WINDOW_SECONDS = env.float(
    "CONCORD_WEBHOOK_RETRY_WINDOW_SECONDS", default=24 * 3600.0
)
CONCORD_WEBHOOK_FAILING_AFTER = env.int("CONCORD_WEBHOOK_FAILING_AFTER", default=5)
# `access_window.closing` is sent once per window, this long before it closes.
CONCORD_WEBHOOK_WINDOW_NOTICE = timedelta(
    hours=env.float("CONCORD_WEBHOOK_WINDOW_NOTICE_HOURS", default=48.0)
)

# --- Evaluation jobs (docs/jobs.md) -----------------------------------------------------------
# A running job writes a heartbeat this often; one silent for CONCORD_JOB_STALE_SECONDS is taken
# for lost (worker killed) by the reaper, which re-queues it up to its max_attempts.
CONCORD_JOB_HEARTBEAT_SECONDS = env.float("CONCORD_JOB_HEARTBEAT_SECONDS", default=5.0)
CONCORD_JOB_STALE_SECONDS = env.float("CONCORD_JOB_STALE_SECONDS", default=90.0)
# A job still `queued` this long after it was sent is sent again (the broker may have lost it).
CONCORD_JOB_REQUEUE_SECONDS = env.float("CONCORD_JOB_REQUEUE_SECONDS", default=900.0)
# Wall-clock limit of a job without a `time_limit` param (soft: the eval is cancelled), and the
# grace after a cancel or the soft limit before the evaluation process is killed.
CONCORD_JOB_TIME_LIMIT_SECONDS = env.int("CONCORD_JOB_TIME_LIMIT_SECONDS", default=6 * 3600)
CONCORD_JOB_CANCEL_GRACE_SECONDS = env.float("CONCORD_JOB_CANCEL_GRACE_SECONDS", default=5.0)
# The longest a pool's worker waits in one claim request for a job to come (long poll).
CONCORD_WORKER_LONG_POLL_SECONDS = env.float("CONCORD_WORKER_LONG_POLL_SECONDS", default=20.0)
# An external run (reported by concord-client from an institute's own machines) still running
# with no word for this long is shown as stale: "no word since ..." (it may have been killed).
CONCORD_EXTERNAL_RUN_STALE_SECONDS = env.float("CONCORD_EXTERNAL_RUN_STALE_SECONDS", default=600.0)

# Results sliced by sample metadata (docs/results.md, "Slices"): a slice value's figure on fewer
# samples than this is flagged "few samples" on the page, in the exports and in the API.
CONCORD_SLICE_MIN_N = env.int("CONCORD_SLICE_MIN_N", default=30)

# --- Log imports (docs/imports.md) ------------------------------------------------------------
# Uploads larger than CONCORD_MAX_UPLOAD_BYTES are refused while streaming (413). Every archive
# and JSON document an import reads is checked against these (evaluations.ingestion.safety).
CONCORD_IMPORT_MAX_ENTRIES = env.int("CONCORD_IMPORT_MAX_ENTRIES", default=80_000)
CONCORD_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int(
    "CONCORD_IMPORT_MAX_UNCOMPRESSED_BYTES", default=10 * 1024**3
)
CONCORD_IMPORT_MAX_ENTRY_BYTES = env.int("CONCORD_IMPORT_MAX_ENTRY_BYTES", default=100 * 1024**2)
CONCORD_IMPORT_MAX_RATIO = env.int("CONCORD_IMPORT_MAX_RATIO", default=1000)
CONCORD_IMPORT_MAX_JSON_DEPTH = env.int("CONCORD_IMPORT_MAX_JSON_DEPTH", default=100)
