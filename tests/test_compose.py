"""docker-compose.yml cannot be run here (no Docker engine), so it is checked by parsing it."""

import importlib
import os
import re
import urllib.parse
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["web", "worker", "beat"]


def env_of(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service]["environment"].items()}


def test_compose_has_the_five_services():
    assert set(SERVICES) == {"postgres", "redis", "web", "worker", "beat"}
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_build_from_platform_dockerfile(service):
    build = SERVICES[service]["build"]
    dockerfile = ROOT / build["context"] / build["dockerfile"]
    assert dockerfile == ROOT / "platform" / "Dockerfile"
    assert dockerfile.is_file()


def test_dockerfile_copies_and_runs_what_exists():
    text = (ROOT / "platform" / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+) ", text, flags=re.M):
        if source != ".":
            assert (ROOT / source).exists(), source
    entry = ROOT / "platform" / "entrypoint.sh"
    assert entry.is_file()
    assert os.access(entry, os.X_OK)
    assert '"/srv/concord/platform/entrypoint.sh"' in text


def test_web_command_names_a_gunicorn_config_and_wsgi_app_that_exist():
    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn"
    config = command[command.index("--config") + 1]
    assert (ROOT / config).is_file()
    module, attr = command[-1].split(":")
    assert hasattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_celery_commands_name_the_celery_app(service):
    command = SERVICES[service]["command"]
    assert command[:3] == ["celery", "-A", "config"]
    assert command[3] == ("worker" if service == "worker" else "beat")
    app = importlib.import_module("config").celery_app
    assert app.main == "concord"
    if service == "worker":
        queues = command[command.index("-Q") + 1].split(",")
        assert set(queues) >= {"default", "evals"}


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_environment_points_at_the_compose_services(service):
    env = env_of(service)
    documented = (ROOT / ".env.example").read_text()
    for key in env:
        if key != "CONCORD_MIGRATE":
            assert f"\n{key}=" in documented, f"{key} is not documented in .env.example"
    db = urllib.parse.urlsplit(env["DATABASE_URL"])
    assert db.scheme == "postgres"
    assert db.hostname in SERVICES
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = urllib.parse.urlsplit(env[key])
        assert url.scheme == "redis"
        assert url.hostname in SERVICES
    assert env["DEBUG"] == "0"
    assert "SECRET_KEY" in env


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_dependencies(service):
    depends = SERVICES[service]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert "healthcheck" in SERVICES["postgres"]
    assert "healthcheck" in SERVICES["redis"]


def test_web_healthcheck_uses_healthz_and_migrates():
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert env_of("web")["CONCORD_MIGRATE"] == "1"


def test_log_volume_is_shared_by_web_and_worker():
    for service in ("web", "worker"):
        assert "logs:/var/lib/concord/logs" in SERVICES[service]["volumes"]
    assert "logs" in COMPOSE["volumes"]
