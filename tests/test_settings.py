"""Settings are read from the environment: each variable documented in .env.example does something."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "debug": settings.DEBUG,
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "db_host": settings.DATABASES["default"].get("HOST"),
    "broker": settings.CELERY_BROKER_URL,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "log_dir": str(settings.CONCORD_LOG_DIR),
    "secret_key": settings.SECRET_KEY,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "cache": settings.CACHES["default"]["BACKEND"],
    "demo": settings.CONCORD_DEMO,
    "static_from_sources": settings.WHITENOISE_USE_FINDERS,
    "static_storage": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def probe(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "CONCORD_DEMO",
            "SECRET_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "ALLOWED_HOSTS",
            "CONCORD_LOG_DIR",
            "SECURE_SSL_REDIRECT",
        }
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    # Run from a folder without a .env so only the given variables count.
    return subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {PROBE}"],
        env=clean,
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
    )


def test_production_settings_parse_from_the_environment(tmp_path):
    result = probe(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "DATABASE_URL": "postgres://concord:pw@db.internal:5432/concord_prod",
            "REDIS_URL": "redis://cache.internal:6379/2",
            "ALLOWED_HOSTS": "concord.example.org,www.concord.example.org",
            "CONCORD_LOG_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["debug"] is False
    assert got["db_engine"] == "django.db.backends.postgresql"
    assert got["db_name"] == "concord_prod"
    assert got["db_host"] == "db.internal"
    assert got["broker"] == "redis://cache.internal:6379/2"
    assert got["allowed_hosts"] == ["concord.example.org", "www.concord.example.org"]
    assert got["log_dir"] == str(tmp_path)
    assert got["ssl_redirect"] is True
    assert got["cache"].endswith("RedisCache")


def test_celery_broker_url_wins_over_redis_url():
    result = probe(
        {
            "DEBUG": "0",
            "SECRET_KEY": "y" * 60,
            "REDIS_URL": "redis://a:6379/0",
            "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        }
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["broker"].startswith("amqp://")


def test_demo_defaults_need_no_services():
    result = probe({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["db_engine"] == "django.db.backends.sqlite3"
    assert got["broker"] == "filesystem://"
    assert got["ssl_redirect"] is False


def test_the_demo_runs_without_debug_and_still_needs_no_services():
    # What scripts/demo.sh sets: Concord's own error pages, files served without collectstatic.
    result = probe({"CONCORD_DEMO": "1"})
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["debug"] is False
    assert got["demo"] is True
    assert got["db_engine"] == "django.db.backends.sqlite3"
    assert got["broker"] == "filesystem://"
    assert got["ssl_redirect"] is False
    assert got["allowed_hosts"] == ["127.0.0.1", "localhost"]
    assert got["static_from_sources"] is True
    assert got["static_storage"].endswith("StaticFilesStorage")
    assert "Manifest" not in got["static_storage"]


def test_the_demo_script_sets_the_demo_flag_not_debug():
    script = (ROOT / "scripts" / "demo.sh").read_text()
    assert "export CONCORD_DEMO=1" in script
    assert "export DEBUG=1" not in script


def test_secret_key_is_required_without_debug():
    result = probe({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "variable",
    [
        "DEBUG",
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "ALLOWED_HOSTS",
        "CONCORD_LOG_DIR",
    ],
)
def test_env_example_documents_every_variable(variable):
    text = (ROOT / ".env.example").read_text()
    assert f"\n{variable}=" in text or text.startswith(f"{variable}=")


def test_check_deploy_reports_no_warnings_with_production_values():
    # Not the test run's own switches: the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is an error
    # under --deploy, and none of these is set in production.
    test_only = {"DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": "k3y-" + "z9" * 30,
            "ALLOWED_HOSTS": "concord.example.org",
            "DATABASE_URL": os.environ.get(
                "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord"
            ),
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        }
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


MKDIR_PROBE = """
import json, os, pathlib, sys
sys.path.insert(0, {root!r})
made = []
real_mkdir = pathlib.Path.mkdir
pathlib.Path.mkdir = lambda self, *a, **k: made.append(str(self))
os.mkdir = os.makedirs = lambda path, *a, **k: made.append(str(path))
import {module}
on_import = list(made)
{after}
print(json.dumps({{"on_import": on_import, "after": made[len(on_import):]}}))
"""


def mkdir_probe(module: str, env: dict[str, str], after: str = "") -> dict[str, list[str]]:
    unset = {"DEBUG", "REDIS_URL", "CELERY_BROKER_URL"}  # settings_test has defaults of its own
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.update(env, DJANGO_SETTINGS_MODULE=module)
    code = MKDIR_PROBE.format(root=str(ROOT), module=module, after=after)
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, cwd="/", timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("module", "env"),
    [
        ("config.settings", {"DEBUG": "1"}),  # the demo: SQLite and the file broker
        ("config.settings_test", {}),
    ],
)
def test_importing_the_settings_makes_no_directory(module, env):
    assert mkdir_probe(module, env)["on_import"] == []


def test_the_file_brokers_folders_are_made_when_celery_is_configured():
    after = "import django; django.setup()\nfrom config.celery_app import app\napp.conf.broker_url"
    made = mkdir_probe("config.settings", {"DEBUG": "1"}, after=after)["after"]
    assert {Path(path).name for path in made} >= {"queue", "processed", "control"}
