"""docker-compose.yml cannot be run here (no Docker engine), so it is checked by parsing it."""

import importlib
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["web", "worker", "beat"]


def env_of(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service]["environment"].items()}


def test_compose_has_every_service():
    assert set(SERVICES) == {
        "postgres",
        "redis",
        "minio",
        "minio-bucket",
        "web",
        "worker",
        "beat",
        "pool-worker",
    }
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert SERVICES["minio"]["image"].startswith("minio/minio")


@pytest.mark.parametrize("service", [*APP_SERVICES, "pool-worker"])
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
        routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
        assert set(queues) >= {"default", *routed}
        # Two of Concord's own workers, as on two hosts.
        assert SERVICES["worker"]["deploy"]["replicas"] == 2


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
    assert depends["minio-bucket"]["condition"] == "service_completed_successfully"
    assert "healthcheck" in SERVICES["postgres"]
    assert "healthcheck" in SERVICES["redis"]
    assert "healthcheck" in SERVICES["minio"]
    assert SERVICES["minio-bucket"]["depends_on"]["minio"]["condition"] == "service_healthy"


def test_web_healthcheck_uses_healthz_and_migrates():
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert env_of("web")["CONCORD_MIGRATE"] == "1"


def test_no_process_shares_a_disk_logs_live_in_the_bucket():
    assert "logs" not in COMPOSE["volumes"]
    for service in (*APP_SERVICES, "pool-worker"):
        assert "volumes" not in SERVICES[service], service
    for service in APP_SERVICES:
        env = env_of(service)
        assert env["CONCORD_LOG_STORAGE"] == "s3"
        assert urllib.parse.urlsplit(env["AWS_S3_ENDPOINT_URL"]).hostname == "minio"
        assert env["AWS_STORAGE_BUCKET_NAME"] in SERVICES["minio-bucket"]["environment"].values()
    # The bucket the app services use is the one the start-up job makes.
    assert "mc mb" in " ".join(SERVICES["minio-bucket"]["command"])


def test_the_pool_worker_holds_only_concords_url_and_its_credential():
    pool = SERVICES["pool-worker"]
    assert pool["command"][:2] == ["concord", "worker"]
    url = urllib.parse.urlsplit(pool["command"][pool["command"].index("--url") + 1])
    assert url.hostname == "web"
    env = env_of("pool-worker")
    assert "CONCORD_WORKER_TOKEN" in env
    for secret in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"):
        assert secret not in env
    assert not any(key.startswith("AWS_") for key in env)
    # It does not wait for the database through the image's entrypoint: it has none.
    assert pool["entrypoint"] == []
    documented = (ROOT / ".env.example").read_text()
    assert "\nCONCORD_WORKER_TOKEN=" in documented
    # The command is the client package's, installed in the image beside Concord.
    concord = Path(sys.executable).parent / pool["command"][0]
    done = subprocess.run(
        [str(concord), "worker", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "--url" in done.stdout
