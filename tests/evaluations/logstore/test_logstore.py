"""evaluations.logstore against a real S3 server (moto's server mode): the Storage API, ranged
reads that fetch a transcript's member and never the whole log, a worker's log stored with
retries, and imports kept in the bucket."""

from __future__ import annotations

import io
import logging
import os
import shutil

import pytest
from django.core.files.base import ContentFile

from evaluations import logstore
from evaluations.results import transcripts
from evaluations.services.imports import run_import
from tests.evaluations.logstore.logs import injection_project, many_samples_log, stored_run


@pytest.fixture(scope="module")
def big_log(tmp_path_factory):
    return many_samples_log(tmp_path_factory.mktemp("big-log"))


@pytest.fixture
def project(db, institute_a, institute_b):
    return injection_project(institute_a, institute_b)


def fetched_bytes(storage) -> list[int]:
    """Bytes of every GET answered from now on by the storage's S3 client (a list to read later).
    Counted on boto3's own events, so whatever reads the bucket is counted."""
    sizes: list[int] = []

    def count(parsed, **_):
        sizes.append(int(parsed["ContentLength"]))

    storage.connection.meta.client.meta.events.register("after-call.s3.GetObject", count)
    return sizes


def test_the_storage_api_works_on_the_bucket(s3_logs):
    storage = logstore.log_storage()
    assert logstore.kind() == "s3"
    name = storage.save("pools/1/attempt-1/log.eval", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    assert name == "pools/1/attempt-1/log.eval"
    assert storage.exists(name)
    assert storage.size(name) == 22
    with storage.open(name, "rb") as handle:
        assert handle.read(4) == b"PK\x05\x06"
    assert s3_logs.keys() == {name: 22}
    assert storage.url(name).startswith(s3_logs.server.endpoint)
    storage.delete(name)
    assert not storage.exists(name)
    assert s3_logs.keys() == {}


def test_a_ranged_object_reads_and_seeks_like_a_file(s3_logs):
    data = os.urandom(300_000)
    logstore.log_storage().save("blob.bin", ContentFile(data))
    with logstore.open_log("blob.bin", read_ahead=1000) as handle:
        assert handle.seekable()
        assert handle.seek(0, io.SEEK_END) == len(data)
        handle.seek(-22, io.SEEK_END)
        assert handle.read() == data[-22:]
        handle.seek(100_000)
        assert handle.read(10) == data[100_000:100_010]
        assert handle.read(10) == data[100_010:100_020]  # from the read-ahead: no request
        assert handle.requests == 3  # HEAD, then two ranged GETs
        handle.seek(299_990)
        assert handle.read(100) == data[299_990:]
        assert handle.read(100) == b""
        assert handle.bytes_fetched < len(data) // 100


def test_a_missing_log_is_not_found(s3_logs):
    with pytest.raises(FileNotFoundError):
        logstore.open_log("jobs/1/attempt-1/gone.eval")


def test_a_transcript_reads_the_directory_and_one_member_never_the_whole_log(
    s3_logs, project, institute_a, big_log
):
    run = stored_run(big_log, project=project, institute=institute_a)
    assert run.samples.count() == 72  # 24 samples x 3 epochs
    size = s3_logs.keys()[run.log_file]
    assert size == big_log.stat().st_size
    sizes = fetched_bytes(logstore.log_storage())
    sample = run.samples.order_by("sample_id", "epoch").last()
    transcript = transcripts.transcript_for(run, sample)
    assert transcript.source == "log", transcript.note
    assert any(m.tool_calls for m in transcript.messages)
    assert sizes, "the transcript was read from the bucket"
    # The central directory and one sample's member: a small part of the object.
    assert sum(sizes) < size / 10, (sum(sizes), size)
    assert len(sizes) <= 4


def test_a_json_log_is_read_from_the_bucket_too(s3_logs, project, institute_a, tmp_path):
    from tests.evaluations.results_logs import run_injection

    path = run_injection(tmp_path / "json", limit=2, log_format="json")
    run = stored_run(path, project=project, institute=institute_a)
    sample = run.samples.order_by("sample_id").first()
    assert transcripts.transcript_for(run, sample).source == "log"


def test_a_workers_log_is_stored_under_the_jobs_attempt(s3_logs, tmp_path):
    local = tmp_path / "scratch" / "jobs" / "7" / "attempt-2" / "run.eval"
    local.parent.mkdir(parents=True)
    local.write_bytes(b"log bytes")
    name = logstore.job_log_name(7, 2, "run.eval")
    assert logstore.store_job_log(local, name) == "jobs/7/attempt-2/run.eval"
    assert s3_logs.get(name) == b"log bytes"
    logstore.discard_scratch(local.parent)
    assert not local.parent.exists()


def test_storing_is_retried_then_fails_when_the_bucket_stays_down(
    settings, tmp_path, own_s3_server, monkeypatch, caplog
):
    from tests.evaluations.logstore.conftest import use_bucket

    use_bucket(settings, tmp_path, own_s3_server)
    monkeypatch.setattr(logstore, "STORE_BACKOFF_SECONDS", 0.01)
    local = tmp_path / "run.eval"
    local.write_bytes(b"log bytes")
    own_s3_server.stop()
    with (
        caplog.at_level(logging.WARNING, logger="evaluations.logstore"),
        pytest.raises(logstore.StorageUnavailable, match="after 4 tries"),
    ):
        logstore.store_job_log(local, "jobs/1/attempt-1/run.eval")
    assert len([r for r in caplog.records if "retrying" in r.getMessage()]) == 3
    assert logstore.store_job_log_quietly(local, "jobs/1/attempt-1/run.eval") == ""


def test_storing_succeeds_when_the_bucket_comes_back(s3_logs, tmp_path, monkeypatch):
    local = tmp_path / "run.eval"
    local.write_bytes(b"log bytes")
    storage = logstore.log_storage()
    real_save, calls = storage.save, []

    def flaky_save(name, content):
        calls.append(name)
        if len(calls) < 3:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url=s3_logs.server.endpoint)
        return real_save(name, content)

    monkeypatch.setattr(storage, "save", flaky_save)
    monkeypatch.setattr(logstore, "STORE_BACKOFF_SECONDS", 0.01)
    assert logstore.store_job_log(local, "jobs/3/attempt-1/run.eval") == "jobs/3/attempt-1/run.eval"
    assert len(calls) == 3
    assert s3_logs.get("jobs/3/attempt-1/run.eval") == b"log bytes"


def test_an_import_is_kept_in_the_bucket(s3_logs, project, institute_a, bob, big_log, tmp_path):
    upload = tmp_path / "upload.eval"
    shutil.copy(big_log, upload)
    result = run_import(
        path=upload,
        filename="partner.eval",
        project=project,
        institute=institute_a,
        uploaded_by=bob,
    )
    run = result.run
    assert run.log_file.startswith(f"imports/{project.slug}/")
    assert s3_logs.keys() == {run.log_file: big_log.stat().st_size}
    assert not list((tmp_path / "scratch").glob("**/*.eval"))  # nothing kept on disk
    # The same log again stores nothing more.
    again = run_import(
        path=big_log,
        filename="partner.eval",
        project=project,
        institute=institute_a,
        uploaded_by=bob,
    )
    assert again.created is False
    assert len(s3_logs.keys()) == 1


def test_a_refused_import_leaves_nothing_in_the_bucket(
    s3_logs, project, institute_b, vera, big_log
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import(
            path=big_log,
            filename="x.eval",
            project=project,
            institute=institute_b,
            uploaded_by=vera,
        )
    assert s3_logs.keys() == {}


def test_the_file_storage_stays_the_default(settings, tmp_path):
    settings.CONCORD_LOG_DIR = tmp_path
    assert logstore.kind() == "file"
    storage = logstore.log_storage()
    assert storage.path("x.eval") == str(tmp_path / "x.eval")
    local = tmp_path / "jobs" / "1" / "attempt-1" / "a.eval"
    local.parent.mkdir(parents=True)
    local.write_bytes(b"x")
    assert logstore.store_job_log(local, "jobs/1/attempt-1/a.eval") == "jobs/1/attempt-1/a.eval"
    logstore.discard_scratch(local.parent)
    assert local.exists()  # on disk the folder is the storage itself
    assert logstore.download_url("jobs/1/attempt-1/a.eval", filename="a.eval") is None


def test_a_name_climbing_out_of_the_storage_is_not_found(s3_logs):
    with pytest.raises(FileNotFoundError):
        logstore.open_log("../other-bucket/x.eval")
