"""The import page of a project (/projects/<slug>/runs/import/): a form that works without
JavaScript, and answers the page's XHR upload (with its progress bar) in JSON."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from evaluations.models import EvaluationRun
from tests.evaluations.ingestion.helpers import files_under, rows

URL = "/projects/joint/runs/import/"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def form_data(path, **fields):
    return {"institute": fields.pop("institute_id"), **fields, "file": path.open("rb")}


def test_the_form_loads_its_script_from_a_file_under_the_csp(world, bob):
    response = signed_in(bob).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<script src="/static/js/run-import.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert 'accept=".eval,.json,.zip"' in html
    assert signed_in(bob).get("/static/js/run-import.js").status_code == 200


def test_only_those_who_may_add_results_see_the_form_and_the_link(world, bob, vera, charlie):
    assert signed_in(vera).get(URL).status_code == 403
    assert signed_in(charlie).get(URL).status_code == 404
    assert Client().get(URL).status_code == 302
    link = 'href="/projects/joint/runs/import/"'
    assert link in signed_in(bob).get("/projects/joint/").content.decode()
    assert link not in signed_in(vera).get("/projects/joint/").content.decode()


def test_a_plain_form_post_imports_and_redirects_to_the_run(qa_logs, world, bob, institute_a):
    response = signed_in(bob).post(URL, form_data(qa_logs["eval"], institute_id=institute_a.pk))
    run = EvaluationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/runs/{run.pk}/"
    assert (run.uploaded_by, run.sample_count, run.source) == (bob, 6, "upload")


def test_the_xhr_upload_gets_the_run_address_in_json(qa_logs, world, bob, institute_a):
    client = signed_in(bob)
    first = client.post(URL, form_data(qa_logs["json"], institute_id=institute_a.pk), **XHR)
    assert first.status_code == 200
    body = first.json()
    run = EvaluationRun.objects.get()
    assert body == {
        "url": f"/runs/{run.pk}/",
        "created": True,
        "message": f"Imported run {run.pk}: 6 samples.",
    }
    again = client.post(URL, form_data(qa_logs["json"], institute_id=institute_a.pk), **XHR)
    assert again.json()["created"] is False
    assert EvaluationRun.objects.count() == 1


def test_a_refused_file_is_explained_in_json_and_leaves_nothing(
    world, bob, institute_a, log_dir, upload_dir
):
    upload = SimpleUploadedFile("notes.json", b'{"hello": "world"}')
    response = signed_in(bob).post(URL, {"institute": institute_a.pk, "file": upload}, **XHR)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert "is JSON but not a log Concord reads" in error["fields"]["file"][0]
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == files_under(upload_dir) == []


def test_a_refused_file_is_shown_on_the_form_without_javascript(world, bob, institute_a):
    upload = SimpleUploadedFile("notes.txt", b"hello")
    response = signed_in(bob).post(URL, {"institute": institute_a.pk, "file": upload})
    assert response.status_code == 200
    assert "is not a log Concord reads" in response.content.decode()


def test_a_missing_task_is_named_on_the_form(qa_logs, world, bob, institute_a, qa_task):
    qa_task.inspect_ref, qa_task.slug = "somewhere:else", "else"
    qa_task.save()
    response = signed_in(bob).post(URL, form_data(qa_logs["eval"], institute_id=institute_a.pk))
    assert response.status_code == 200
    assert "No evaluation task in Concord matches the log&#x27;s task" in response.content.decode()


@pytest.mark.parametrize("xhr", [True, False])
def test_a_file_over_the_limit_is_refused_with_413(
    xhr, world, bob, institute_a, settings, upload_dir
):
    settings.CONCORD_MAX_UPLOAD_BYTES = 10_000
    upload = SimpleUploadedFile("big.eval", bytes(10_001))
    headers = XHR if xhr else {}
    response = signed_in(bob).post(URL, {"institute": institute_a.pk, "file": upload}, **headers)
    assert response.status_code == 413
    text = response.json()["error"]["message"] if xhr else response.content.decode()
    assert "Concord accepts logs of at most" in text
    if not xhr:  # at the file field
        assert re.search(
            r'<input type="file"[^>]*>\s*(<small[^>]*>.*?</small>\s*)?'
            r'<p class="field-error" role="alert">[^<]*Concord accepts logs',
            text,
            re.S,
        )
    assert files_under(upload_dir) == []


def test_a_refused_file_is_explained_without_the_fields_name(world, bob, institute_a, tmp_path):
    notes = tmp_path / "notes.json"
    notes.write_text('{"hello": "world"}')
    client = signed_in(bob)
    response = client.post(URL, form_data(notes, institute_id=institute_a.pk), **XHR)
    assert response.status_code == 400
    error = response.json()["error"]
    [at_field] = error["fields"]["file"]
    assert error["message"] == at_field
    assert not error["message"].startswith("file:")
    page = client.post(URL, form_data(notes, institute_id=institute_a.pk)).content.decode()
    assert re.search(r'<input type="file"[^>]*>.*?<p class="field-error" role="alert">', page, re.S)


def test_the_form_needs_its_csrf_token(qa_logs, world, bob, institute_a):
    client = signed_in(bob, enforce_csrf_checks=True)
    data = form_data(qa_logs["eval"], institute_id=institute_a.pk)
    assert client.post(URL, data).status_code == 403
    page = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = form_data(qa_logs["eval"], institute_id=institute_a.pk, csrfmiddlewaretoken=token)
    assert client.post(URL, data).status_code == 302


def test_a_viewer_cannot_post_either(qa_logs, world, vera, institute_a):
    response = signed_in(vera).post(URL, form_data(qa_logs["eval"], institute_id=institute_a.pk))
    assert response.status_code == 403
    assert rows() == (0, 0, 0)
