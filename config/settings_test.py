"""Settings for the test suite: always PostgreSQL and Redis, never SQLite or the file broker."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECRET_KEY", "concord-test-suite-key-not-secret-0123456789abcdef")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings import *

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "The test suite runs against PostgreSQL: set DATABASE_URL to postgres://..."
    )
if not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("The test suite runs against Redis: set REDIS_URL to redis://...")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
DATABASES["default"]["CONN_MAX_AGE"] = 0
CONCORD_LOG_DIR = Path(os.environ.get("CONCORD_LOG_DIR", "/tmp/concord-test-logs"))  # noqa: S108
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"client": "100000/minute"}
# Static files are served by the finders in tests: no collected folder, so none for WhiteNoise
# to look for (tests/test_static_collect.py runs collectstatic with a folder of its own).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
# Sign-in lockout and the second factor are off for the suite as a whole (client.login() has no
# request for django-axes; force_login() has no second factor); tests/security turns them on.
AXES_ENABLED = False
CONCORD_REQUIRE_OTP = False
# Webhook tests deliver to receivers on loopback, over plain HTTP; tests/webhooks/test_network.py
# turns the address check back on.
CONCORD_WEBHOOK_ALLOW_PRIVATE = True
CONCORD_WEBHOOK_REQUIRE_HTTPS = False
