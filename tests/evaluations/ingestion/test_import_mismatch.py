"""An explicit task or system only chooses among what matches the log: one that contradicts the
log's own task name or model is refused, naming both, and writes nothing, unless the upload says
so explicitly with a reason, which the run then shows on its page and in the API."""

from __future__ import annotations

from django.test import Client

from evaluations.models import EvaluationRun
from tests.api_clients import bearer, error_of
from tests.evaluations.factories import AISystemFactory, ProjectSystemFactory, TaskFactory
from tests.evaluations.ingestion.helpers import files_under, post_log, rows

PAGE = "/projects/joint/runs/import/"
REASON = "The partner registered the task under its old name."


def other_system(project):
    system = AISystemFactory(developer="Lab", name="Other", inspect_model="openai-api/lab/other")
    ProjectSystemFactory(project=project, system=system)
    return system


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_task_that_contradicts_the_log_is_a_400_naming_both(qa_logs, world, bob, log_dir):
    TaskFactory(slug="cyber-ctf", inspect_ref="custom:ctf")
    response = post_log(bearer(bob), qa_logs["eval"], task="cyber-ctf")
    assert response.status_code == 400
    [message] = error_of(response)["fields"]["task"]
    assert "The log's task is 'concord_knowledge_qa'; you chose task 'cyber-ctf'." in message
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == []


def test_a_system_that_contradicts_the_log_is_a_400_naming_both(qa_logs, world, bob, log_dir):
    other = other_system(world)
    response = post_log(bearer(bob), qa_logs["json"], system=other.pk)
    assert response.status_code == 400
    [message] = error_of(response)["fields"]["system"]
    assert "The log's model is 'mockllm/model'" in message
    assert "you chose system 'Lab Other" in message
    assert "model 'openai-api/lab/other'" in message
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == []


def test_an_override_without_a_reason_is_refused(qa_logs, world, bob, log_dir):
    other = other_system(world)
    for reason in ("", "   "):
        response = post_log(
            bearer(bob),
            qa_logs["eval"],
            system=other.pk,
            override_mismatch="true",
            override_reason=reason,
        )
        assert response.status_code == 400
        assert "needs a reason" in " ".join(error_of(response)["fields"]["override_reason"])
    assert rows() == (0, 0, 0)
    assert files_under(log_dir) == []


def test_an_override_with_a_reason_is_stored_and_shown_on_the_page_and_in_the_api(
    qa_logs, world, bob, alice
):
    other = other_system(world)
    task = TaskFactory(slug="qa-old-name", inspect_ref="custom:old")
    response = post_log(
        bearer(bob),
        qa_logs["eval"],
        task=task.slug,
        system=other.pk,
        override_mismatch="true",
        override_reason=REASON,
    )
    assert response.status_code == 201, response.content[:300]
    run = EvaluationRun.objects.get()
    assert (run.task, run.system, run.uploaded_by) == (task, other, bob)
    assert (run.override_task, run.override_system, run.override_reason) == (True, True, REASON)
    notice = (
        "Imported under task qa-old-name; the log says 'concord_knowledge_qa'; imported under "
        "system Lab Other 1; the log's model is 'mockllm/model' — by bob: " + REASON
    )
    assert run.override_notice.replace(str(other), "Lab Other 1") == notice
    body = response.json()
    assert body["import_override"]["notice"] == run.override_notice
    assert body["message"] == f"Imported run {run.pk}: 6 samples."
    detail = bearer(alice).get(f"/api/v1/runs/{run.pk}/").json()
    assert detail["import_override"] == {
        "notice": run.override_notice,
        "task": True,
        "system": True,
        "reason": REASON,
        "by": "bob",
    }
    page = signed_in(alice).get(f"/runs/{run.pk}/").content.decode()
    assert "Filed against its log" in page
    assert "the log says &#x27;concord_knowledge_qa&#x27;" in page
    assert "by bob: " + REASON in page


def test_a_run_imported_as_the_log_says_has_no_override(qa_logs, world, bob):
    body = post_log(bearer(bob), qa_logs["eval"]).json()
    assert body["import_override"] is None
    again = post_log(bearer(bob), qa_logs["eval"])
    assert again.status_code == 200
    assert again.json()["message"] == (
        f"This log was already imported as run {body['id']}; nothing was added."
    )


def test_the_page_refuses_a_contradiction_and_accepts_a_confirmed_one(
    qa_logs, world, bob, institute_a
):
    other = other_system(world)
    client = signed_in(bob)
    data = {"institute": institute_a.pk, "system": other.pk}
    with qa_logs["eval"].open("rb") as handle:
        refused = client.post(PAGE, {**data, "file": handle})
    assert refused.status_code == 200
    assert "The log&#x27;s model is &#x27;mockllm/model&#x27;" in refused.content.decode()
    assert rows() == (0, 0, 0)
    with qa_logs["eval"].open("rb") as handle:
        page = client.post(
            PAGE,
            {**data, "file": handle, "override_mismatch": "on", "override_reason": REASON},
            follow=True,
        )
    run = EvaluationRun.objects.get()
    html = page.content.decode()
    assert page.redirect_chain == [(f"/runs/{run.pk}/", 302)]
    assert f"Imported run {run.pk}: 6 samples." in html
    assert "by bob: " + REASON in html


def test_the_page_lands_on_the_run_saying_whether_anything_was_added(
    qa_logs, world, bob, institute_a
):
    client = signed_in(bob)
    with qa_logs["json"].open("rb") as handle:
        first = client.post(PAGE, {"institute": institute_a.pk, "file": handle}, follow=True)
    run = EvaluationRun.objects.get()
    assert first.redirect_chain == [(f"/runs/{run.pk}/", 302)]
    assert f"Imported run {run.pk}: 6 samples." in first.content.decode()
    with qa_logs["json"].open("rb") as handle:
        again = client.post(PAGE, {"institute": institute_a.pk, "file": handle}, follow=True)
    assert again.redirect_chain == [(f"/runs/{run.pk}/", 302)]
    assert (
        f"This log was already imported as run {run.pk}; nothing was added."
        in again.content.decode()
    )
    assert EvaluationRun.objects.count() == 1
