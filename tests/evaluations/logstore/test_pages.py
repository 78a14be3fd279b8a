"""Pages and routes over logs kept in a bucket (a real S3 server process): the transcript page
with an empty CONCORD_LOG_DIR, log downloads by presigned redirect or streamed, the upload API,
a bucket that is down (the page says so, never a 500) and /healthz."""

from __future__ import annotations

import html
import urllib.request

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.evaluations.logstore.conftest import use_bucket
from tests.evaluations.logstore.logs import injection_project, stored_run
from tests.evaluations.results_logs import run_injection


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    return run_injection(tmp_path_factory.mktemp("small-log"), limit=3)


@pytest.fixture
def project(db, institute_a, institute_b):
    return injection_project(institute_a, institute_b)


def sample_url(run) -> str:
    sample = run.samples.order_by("sample_id").first()
    return reverse("runs:sample_detail", kwargs={"run_id": run.pk, "sample_pk": sample.pk})


def log_url(run) -> str:
    return reverse("runs:log", kwargs={"run_id": run.pk})


def test_the_transcript_page_renders_from_the_bucket(
    s3_logs, settings, project, institute_a, vera, client, small_log
):
    run = stored_run(small_log, project=project, institute=institute_a)
    assert not settings.CONCORD_LOG_DIR.exists()  # nothing on disk to read from
    client.force_login(vera)
    response = client.get(sample_url(run))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tool call" in body
    assert "read_document" in body
    assert "The database keeps" not in body
    assert "temporarily unavailable" not in body


def test_a_log_download_redirects_to_a_short_lived_link(
    s3_logs, project, institute_a, vera, client, small_log
):
    run = stored_run(small_log, project=project, institute=institute_a)
    client.force_login(vera)
    response = client.get(log_url(run))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_logs.server.endpoint}/{s3_logs.bucket}/{run.log_file}?")
    assert "X-Amz-Expires=300" in location
    assert "attachment" in urllib.request.unquote(location)
    with urllib.request.urlopen(location, timeout=10) as answer:
        assert answer.read() == small_log.read_bytes()
        assert f"concord-run-{run.pk}.eval" in answer.headers["Content-Disposition"]


def test_access_is_checked_before_any_link_is_made(
    s3_logs, project, institute_a, charlie, client, small_log
):
    run = stored_run(small_log, project=project, institute=institute_a)
    client.force_login(charlie)
    assert client.get(log_url(run)).status_code == 404


def test_a_download_streams_through_concord_when_links_are_off(
    s3_logs, settings, project, institute_a, vera, client, small_log
):
    settings.CONCORD_LOG_PRESIGNED_SECONDS = 0
    run = stored_run(small_log, project=project, institute=institute_a)
    client.force_login(vera)
    response = client.get(log_url(run))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == small_log.read_bytes()
    assert int(response["Content-Length"]) == small_log.stat().st_size


def test_the_upload_api_keeps_the_log_in_the_bucket(
    s3_logs, settings, project, institute_a, bob, small_log
):
    api = APIClient()
    api.force_authenticate(bob)
    with small_log.open("rb") as handle:
        response = api.post(
            "/api/v1/runs/import/",
            {"file": handle, "project": project.slug, "institute": institute_a.code},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    from evaluations.models import EvaluationRun

    run = EvaluationRun.objects.get(pk=response.json()["id"])
    assert s3_logs.keys() == {run.log_file: small_log.stat().st_size}
    assert not list(settings.CONCORD_LOG_DIR.glob("**/*.eval"))  # nothing kept on disk


def test_a_bucket_that_is_down_makes_the_transcript_temporarily_unavailable(
    settings, tmp_path, own_s3_server, project, institute_a, vera, client, small_log
):
    use_bucket(settings, tmp_path, own_s3_server)
    run = stored_run(small_log, project=project, institute=institute_a)
    client.force_login(vera)
    assert "read_document" in client.get(sample_url(run)).content.decode()
    own_s3_server.stop()
    response = client.get(sample_url(run))
    assert response.status_code == 200
    body = response.content.decode()
    assert "The transcript is temporarily unavailable" in body
    sample = run.samples.order_by("sample_id").first()
    assert html.escape(sample.input[:30]) in body  # what the database keeps is still shown
    download = client.get(log_url(run))
    assert download.status_code == 503
    assert b"temporarily unavailable" in download.content
    run_page = client.get(reverse("runs:detail", kwargs={"run_id": run.pk}))
    assert run_page.status_code == 200  # everything else still serves


def test_healthz_reports_the_bucket(s3_logs, client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["storage"]["ok"] is True
    assert body["storage"]["kind"] == "s3"


def test_healthz_says_degraded_when_the_bucket_is_down(
    settings, tmp_path, own_s3_server, client, db
):
    use_bucket(settings, tmp_path, own_s3_server)
    own_s3_server.stop()
    response = client.get("/healthz")
    # Still 200: the web serves every page but transcripts and downloads, which say so.
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["storage"] == {"ok": False, "kind": "s3", "error": body["storage"]["error"]}
    assert body["database"]["ok"] is True


def test_healthz_reports_the_log_folder_in_file_mode(settings, tmp_path, client, db):
    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    body = client.get("/healthz").json()
    assert body["storage"]["ok"] is True
    assert body["storage"]["kind"] == "file"


def test_a_log_missing_from_the_bucket_is_a_404(
    s3_logs, project, institute_a, vera, client, small_log
):
    run = stored_run(small_log, project=project, institute=institute_a)
    s3_logs.server.client().delete_object(Bucket=s3_logs.bucket, Key=run.log_file)
    client.force_login(vera)
    assert client.get(log_url(run)).status_code == 404
    body = client.get(sample_url(run)).content.decode()
    assert "The log file is not available" in body


def test_an_upload_while_the_bucket_is_down_is_a_503_and_writes_nothing(
    settings, tmp_path, own_s3_server, project, institute_a, bob, small_log
):
    from evaluations.models import EvaluationRun

    use_bucket(settings, tmp_path, own_s3_server)
    own_s3_server.stop()
    api = APIClient()
    api.force_authenticate(bob)
    with small_log.open("rb") as handle:
        response = api.post(
            "/api/v1/runs/import/",
            {"file": handle, "project": project.slug, "institute": institute_a.code},
            format="multipart",
        )
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert not EvaluationRun.objects.filter(project=project).exists()
