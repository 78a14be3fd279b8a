"""CONCORD_LOG_STORAGE and the AWS_* variables build the "logs" storage (config/settings.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.core.files.storage import storages
from evaluations import logstore
logs = settings.STORAGES["logs"]
storage = storages["logs"]
print(json.dumps({
    "backend": logs["BACKEND"],
    "kind": logstore.kind(),
    "bucket": getattr(storage, "bucket_name", None),
    "endpoint": getattr(storage, "endpoint_url", None),
    "region": getattr(storage, "region_name", None),
    "presigned": settings.CONCORD_LOG_PRESIGNED_SECONDS,
    "addressing": (getattr(storage, "client_config", None) and storage.client_config.s3 or {}).get(
        "addressing_style"
    ),
}))
"""


def probe(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "CONCORD_LOG_")) and k not in {"DEBUG", "CONCORD_DEMO"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1")
    return subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {PROBE}"],
        env=clean,
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
    )


def test_logs_are_kept_on_disk_by_default():
    result = probe({})
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["backend"] == "django.core.files.storage.FileSystemStorage"
    assert got["kind"] == "file"


def test_s3_builds_the_bucket_storage_from_the_environment():
    result = probe(
        {
            "CONCORD_LOG_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "concord-logs",
            "AWS_S3_ENDPOINT_URL": "http://minio:9000",
            "AWS_ACCESS_KEY_ID": "concord",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_S3_REGION_NAME": "eu-west-2",
            "CONCORD_LOG_PRESIGNED_SECONDS": "120",
        }
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["backend"] == "storages.backends.s3.S3Storage"
    assert got["kind"] == "s3"
    assert got["bucket"] == "concord-logs"
    assert got["endpoint"] == "http://minio:9000"
    assert got["region"] == "eu-west-2"
    assert got["presigned"] == 120
    assert got["addressing"] == "path"  # what MinIO answers


def test_s3_without_a_bucket_is_refused():
    result = probe({"CONCORD_LOG_STORAGE": "s3"})
    assert result.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in result.stderr


def test_an_unknown_storage_is_refused():
    result = probe({"CONCORD_LOG_STORAGE": "ftp"})
    assert result.returncode != 0
    assert "CONCORD_LOG_STORAGE is 'ftp': it must be 'file' or 's3'." in result.stderr
