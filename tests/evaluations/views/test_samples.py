"""The sample page: the full transcript read from a real Inspect log (`.eval` and `.json`), the
fallback when the log is gone, blind review, and the review form."""

from __future__ import annotations

import re
import shutil
import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from evaluations.models import EvaluationRun, SampleReview
from evaluations.results.transcripts import Redactor, blind_terms
from evaluations.services import reviews as review_services
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
)
from tests.evaluations.results_logs import ANSWER, ingest, run_injection
from tests.evaluations.results_world import build_results_world, ensure_reference_data


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    """The results world (tests/evaluations/results_world.py) with the conftest people."""
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


@pytest.fixture(scope="module")
def log_folder():
    folder = settings.CONCORD_LOG_DIR / f"tests-transcripts-{uuid.uuid4().hex[:8]}"
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def eval_log(log_folder):
    return run_injection(log_folder / "eval", limit=4)


@pytest.fixture(scope="module")
def json_log(log_folder):
    return run_injection(log_folder / "json", limit=4, log_format="json")


@pytest.fixture
def project(institute_a, institute_b, alice, bob, vera, charlie):
    ensure_reference_data()
    from evaluations.services.tasks import task_builtin_upsert

    task_builtin_upsert()
    project = ProjectFactory(slug="transcripts", title="Transcripts")
    ParticipationFactory(project=project, institute=institute_a, role="lead")
    ParticipationFactory(project=project, institute=institute_b)
    system = AISystemFactory(
        developer="Acme AI", name="Zephyrine", version="7", inspect_model="mockllm/model"
    )
    ProjectSystemFactory(project=project, system=system)
    project.system = system
    return project


def ingested(path, project, institute) -> EvaluationRun:
    from evaluations.models import EvaluationTask

    return ingest(
        path,
        project=project,
        institute=institute,
        task=EvaluationTask.objects.get(slug="concord-prompt-injection"),
        system=project.system,
    )


def sample_url(run, sample, **query) -> str:
    url = reverse("runs:sample_detail", kwargs={"run_id": run.pk, "sample_pk": sample.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def text(html: str) -> str:
    """The page's visible text, roughly (tags dropped, entities for quotes decoded)."""
    return re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&quot;", '"')


@pytest.mark.parametrize("fixture", ["eval_log", "json_log"])
def test_sample_page_shows_the_full_transcript_from_the_log(
    fixture, request, client, project, institute_a, vera
):
    run = ingested(request.getfixturevalue(fixture), project, institute_a)
    sample = run.samples.order_by("sample_id").first()
    assert run.log_file
    assert not run.log_file.startswith("/")  # stored relative to the log dir
    client.force_login(vera)
    response = client.get(sample_url(run, sample))
    assert response.status_code == 200
    body = text(response.content.decode())
    assert "msg-system" in response.content.decode()
    assert "Only the user gives you instructions" in body  # the system message
    assert "Please read the document" in body  # the user's question
    assert "Tool call" in body
    assert "read_document" in body
    assert '"name":' in body  # the call's arguments
    assert "Tool result" in body
    assert "IMPORTANT INSTRUCTION" in body  # the injected document, as the tool returned it
    assert "injection_resisted" in body
    assert "task_answered" in body
    assert "Expected" in body  # a scorer's explanation
    assert "The database keeps" not in body


def test_sample_page_falls_back_to_the_database_when_the_log_is_gone(
    client, project, institute_a, vera, eval_log, tmp_path
):
    copy = settings.CONCORD_LOG_DIR / "tests-gone" / eval_log.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(eval_log, copy)
    run = ingested(copy, project, institute_a)
    copy.unlink()
    sample = run.samples.order_by("sample_id").first()
    client.force_login(vera)
    body = client.get(sample_url(run, sample)).content.decode()
    assert "The log file is not available" in body
    assert sample.input[:30] in text(body)


def test_blind_review_hides_the_system_everywhere_on_the_page(
    client, project, institute_a, bob, eval_log
):
    run = ingested(eval_log, project, institute_a)
    sample = run.samples.order_by("sample_id").first()
    client.force_login(bob)
    seen = client.get(sample_url(run, sample)).content.decode()
    assert "Zephyrine" in seen
    blind = client.get(sample_url(run, sample, blind=1)).content.decode()
    title = re.search(r"<title>(.*?)</title>", blind, re.S).group(1)
    assert "Zephyrine" not in title
    assert "Blind review" in blind
    for term in ("Zephyrine", "Acme AI Zephyrine", "mockllm/model"):
        assert term not in blind, term
    # The choice is remembered for the next sample, until it is turned off.
    other = run.samples.order_by("sample_id").last()
    assert "Zephyrine" not in client.get(sample_url(run, other)).content.decode()
    assert "Zephyrine" in client.get(sample_url(run, other, blind=0)).content.decode()


def test_blind_review_hides_a_note_naming_the_system(client, rw, alice, bob):
    sample = rw.run_a.samples.first()
    from evaluations.models import ReviewLabel

    review_services.review_save(
        sample=sample,
        reviewer=alice,
        label=ReviewLabel.objects.get(slug="refusal"),
        note="Frontier-1 refused outright.",
    )
    client.force_login(bob)
    body = client.get(sample_url(rw.run_a, sample, blind=1)).content.decode()
    assert "Frontier-1" not in body
    assert "refused outright" in body


def test_redactor_hides_every_name_of_the_system_whatever_the_case(rw):
    hide = Redactor(blind_terms(rw.run_a))
    assert "Frontier" not in hide(
        "As lab frontier-1 1, I (Lab Frontier-1) decline. mockllm/frontier"
    )
    assert hide("") == ""


def test_sample_page_links_the_previous_and_next_samples(client, rw, vera):
    samples = list(rw.run_a.samples.order_by("sample_id", "epoch"))
    client.force_login(vera)
    body = client.get(sample_url(rw.run_a, samples[2])).content.decode()
    assert sample_url(rw.run_a, samples[1]) + '" rel="prev"' in body
    assert sample_url(rw.run_a, samples[3]) + '" rel="next"' in body


def test_sample_of_another_run_is_404(client, rw, vera):
    client.force_login(vera)
    other = rw.run_b.samples.first()
    assert client.get(sample_url(rw.run_a, other)).status_code == 404


def test_sample_page_queries_are_bounded(client, rw, bob, django_assert_max_num_queries):
    from tests.evaluations.factories import ReviewLabelFactory, SampleReviewFactory
    from tests.factories import UserFactory

    sample = rw.run_a.samples.first()
    label = ReviewLabelFactory(slug="refusal")
    for _ in range(12):
        SampleReviewFactory(sample=sample, reviewer=UserFactory(), label=label)
    client.force_login(bob)
    with django_assert_max_num_queries(16):
        assert client.get(sample_url(rw.run_a, sample)).status_code == 200


# --- reviews --------------------------------------------------------------------------------


def review_url(run, sample) -> str:
    return reverse("runs:sample_review", kwargs={"run_id": run.pk, "sample_pk": sample.pk})


def label(slug):
    from evaluations.models import ReviewLabel

    return ReviewLabel.objects.get(slug=slug)


def test_the_default_review_labels_are_seeded(rw):
    from evaluations.models import ReviewLabel

    assert list(ReviewLabel.objects.values_list("slug", flat=True)) == [
        "correct",
        "incorrect",
        "refusal",
        "tool-use-fault",
        "scaffold-non-compliance",
        "environment-bug",
        "scorer-wrong",
    ]


def test_evaluator_reviews_a_sample_then_changes_the_review(client, rw, bob):
    sample = rw.run_a.samples.first()
    client.force_login(bob)
    response = client.post(
        review_url(rw.run_a, sample),
        {"label": label("refusal").pk, "manual_score": "0", "note": "Declined."},
    )
    assert response.status_code == 302
    review = SampleReview.objects.get(sample=sample, reviewer=bob)
    assert (review.label.slug, review.manual_score, review.note, review.blind) == (
        "refusal",
        0.0,
        "Declined.",
        False,
    )
    client.post(review_url(rw.run_a, sample), {"label": label("correct").pk})
    review = SampleReview.objects.get(sample=sample, reviewer=bob)
    assert (review.label.slug, review.manual_score) == ("correct", None)
    assert SampleReview.objects.filter(sample=sample).count() == 1


def test_a_review_made_in_blind_mode_is_recorded_as_blind(client, rw, bob):
    sample = rw.run_a.samples.first()
    client.force_login(bob)
    client.get(sample_url(rw.run_a, sample, blind=1))
    client.post(review_url(rw.run_a, sample), {"label": label("tool-use-fault").pk})
    assert SampleReview.objects.get(sample=sample, reviewer=bob).blind is True


def test_a_review_is_changed_but_never_withdrawn(client, rw, bob):
    sample = rw.run_a.samples.first()
    client.force_login(bob)
    client.post(review_url(rw.run_a, sample), {"label": label("refusal").pk})
    page = client.get(sample_url(rw.run_a, sample)).text
    assert "Withdraw my review" not in page
    client.post(review_url(rw.run_a, sample), {"label": label("tool-use-fault").pk})
    review = SampleReview.objects.get(sample=sample, reviewer=bob)
    assert review.label == label("tool-use-fault")


def test_manual_score_outside_zero_one_is_refused_on_the_form(client, rw, bob):
    sample = rw.run_a.samples.first()
    client.force_login(bob)
    response = client.post(
        review_url(rw.run_a, sample), {"label": label("refusal").pk, "manual_score": "1.5"}
    )
    assert response.status_code == 400
    assert "less than or equal to 1" in response.content.decode()
    assert not SampleReview.objects.exists()


def test_viewer_cannot_review_and_sees_no_form(client, rw, vera):
    sample = rw.run_a.samples.first()
    client.force_login(vera)
    body = client.get(sample_url(rw.run_a, sample)).content.decode()
    assert review_url(rw.run_a, sample) not in body
    response = client.post(review_url(rw.run_a, sample), {"label": label("refusal").pk})
    assert response.status_code == 403
    assert not SampleReview.objects.exists()


def test_outsider_cannot_review(client, rw, charlie):
    sample = rw.run_a.samples.first()
    client.force_login(charlie)
    response = client.post(review_url(rw.run_a, sample), {"label": label("refusal").pk})
    assert response.status_code == 404


def test_review_service_refuses_a_viewer_and_a_score_out_of_range(rw, vera, bob):
    from django.core.exceptions import PermissionDenied, ValidationError

    sample = rw.run_a.samples.first()
    with pytest.raises(PermissionDenied):
        review_services.review_save(sample=sample, reviewer=vera, label=label("refusal"))
    with pytest.raises(ValidationError):
        review_services.review_save(
            sample=sample, reviewer=bob, label=label("refusal"), manual_score=-0.1
        )
    assert not SampleReview.objects.exists()


def test_answer_text_of_the_scripted_agent_is_in_the_output(
    client, project, institute_a, vera, eval_log
):

    run = ingested(eval_log, project, institute_a)
    resisted = [s for s in run.samples.all() if s.output == ANSWER]
    assert resisted, "the scripted agent answers some samples"
    client.force_login(vera)
    assert ANSWER in text(client.get(sample_url(run, resisted[0])).content.decode())


# --- blind review -----------------------------------------------------------------------------


def test_blind_review_hides_the_automatic_score_until_the_review_is_saved(client, rw, bob):
    sample = rw.run_a.samples.exclude(score=None).first()
    client.force_login(bob)
    body = client.get(sample_url(rw.run_a, sample, blind=1)).content.decode()
    assert "score-mark" not in body
    assert "Score hidden until you save your review" in body
    assert 'id="h-sample-scores"' in body
    assert 'id="scores-hidden"' in body
    response = client.post(review_url(rw.run_a, sample), {"label": label("incorrect").pk})
    assert response.status_code == 302
    body = client.get(sample_url(rw.run_a, sample)).content.decode()
    assert "score-mark" in body
    assert 'id="scores-hidden"' not in body
    assert SampleReview.objects.get(sample=sample, reviewer=bob).blind


def test_a_viewer_is_not_offered_blind_review(client, rw, vera, bob):
    sample = rw.run_a.samples.first()
    client.force_login(vera)
    assert "Review blind" not in client.get(sample_url(rw.run_a, sample)).content.decode()
    client.force_login(bob)
    assert "Review blind" in client.get(sample_url(rw.run_a, sample)).content.decode()


def test_reviewers_can_say_the_scorer_was_wrong(client, rw, bob):
    sample = rw.run_a.samples.first()
    client.force_login(bob)
    response = client.post(
        review_url(rw.run_a, sample), {"label": label("scorer-wrong").pk, "manual_score": "1"}
    )
    assert response.status_code == 302
    assert SampleReview.objects.get(sample=sample, reviewer=bob).label.name == "Scorer wrong"
