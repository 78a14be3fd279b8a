"""A real S3 server process for the log storage tests: moto's server mode on a free port of
127.0.0.1, spoken to over HTTP by boto3 exactly as a bucket in production would be (no in-process
mock of boto3). `s3_logs` points the "logs" storage at it, with an empty CONCORD_LOG_DIR."""

from __future__ import annotations

import socket
import uuid

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

CREDENTIALS = {"aws_access_key_id": "concord-test", "aws_secret_access_key": "concord-test"}
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    """One moto server; `stop` makes its port refuse connections (a bucket that is down)."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.running = True

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)

    def create_bucket(self) -> str:
        bucket = f"concord-logs-{uuid.uuid4().hex[:10]}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def keys(self, bucket: str) -> dict[str, int]:
        """Every object in the bucket: key -> size."""
        listing = self.client().list_objects_v2(Bucket=bucket)
        return {item["Key"]: item["Size"] for item in listing.get("Contents", [])}

    def stop(self) -> None:
        if self.running:
            self._server.stop()
            self.running = False


def storage_config(endpoint: str, bucket: str) -> dict:
    """What config/settings.py builds for CONCORD_LOG_STORAGE=s3 with these values."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "access_key": CREDENTIALS["aws_access_key_id"],
            "secret_key": CREDENTIALS["aws_secret_access_key"],
            "region_name": REGION,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_expire": 300,
            "client_config": Config(
                connect_timeout=1,
                read_timeout=5,
                retries={"max_attempts": 2, "mode": "standard"},
                signature_version="s3v4",
                s3={"addressing_style": "path"},
            ),
        },
    }


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


class S3Logs:
    def __init__(self, server: S3Server, bucket: str):
        self.server, self.bucket = server, bucket

    def keys(self) -> dict[str, int]:
        return self.server.keys(self.bucket)

    def get(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()


def use_bucket(settings, tmp_path, server: S3Server) -> S3Logs:
    bucket = server.create_bucket()
    settings.STORAGES = {**settings.STORAGES, "logs": storage_config(server.endpoint, bucket)}
    settings.CONCORD_LOG_DIR = tmp_path / "scratch"  # empty: nothing is read from disk
    settings.CONCORD_LOG_PRESIGNED_SECONDS = 300
    return S3Logs(server, bucket)


@pytest.fixture
def s3_logs(settings, tmp_path, s3_server) -> S3Logs:
    """Logs in a fresh bucket of the session's S3 server."""
    return use_bucket(settings, tmp_path, s3_server)


@pytest.fixture
def own_s3_server():
    """An S3 server of this test alone, to stop."""
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def quiet_s3_server():
    """The S3 server logs every request it answers: not in the tests' output."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
