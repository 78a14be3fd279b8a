"""The results pages in Chromium: the dashboard, a project's results matrix and its charts, the
comparison of two runs, a run and a transcript (blind review included). Each page is
screenshotted into docs/screenshots/.

The world is a realistic joint project: two institutes, a target and two reference systems,
four tasks, runs with a few dozen samples each, one run ingested from a real Inspect log with
tool calls (so the transcript is read from the log), jobs in flight, an access window closing,
a guideline version waiting for the lead's signature and an exchange about to start.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from evaluations.models import (
    AccessWindow,
    Domain,
    EvaluationJob,
    EvaluationRun,
    EvaluationTask,
    ExternalRun,
    Participation,
    RunScore,
    Workstream,
)
from evaluations.services import guidelines
from evaluations.services.tasks import task_builtin_upsert
from exchanges.models import Exchange
from institutes.models import Role
from tests.browser.conftest import login, screenshot
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    RunFactory,
    TaskFactory,
    add_samples,
)
from tests.evaluations.results_logs import ingest, run_injection
from tests.evaluations.results_world import ensure_reference_data
from tests.factories import PASSWORD, InstituteFactory, member


def pattern(n: int, rate: float, shift: int = 0) -> list[int]:
    """n deterministic 0/1 scores with about `rate` ones."""
    return [1 if ((i * 37 + shift * 11) % 100) < rate * 100 else 0 for i in range(n)]


def replicate(scores: list[int], flips: set[int]) -> list[int]:
    """Another institute's run of the same samples: the same scores but a few."""
    return [1 - s if i in flips else s for i, s in enumerate(scores)]


@dataclass
class Demo:
    project: object
    target: object
    run_uk: EvaluationRun
    run_us: EvaluationRun
    transcript_run: EvaluationRun
    running_job: EvaluationJob


def _run(project, task, system, institute, scores, minutes_ago):
    run = RunFactory(
        project=project,
        task=task,
        system=system,
        institute=institute,
        primary_scorer="match",
        primary_metric="accuracy",
        primary_value=sum(scores) / len(scores),
        sample_count=len(scores),
        completed_at=timezone.now() - timedelta(minutes=minutes_ago),
        total_tokens=412 * len(scores),
        input_tokens=300 * len(scores),
        output_tokens=112 * len(scores),
    )
    add_samples(
        run,
        scores,
        input="A question from the demonstration set.",
        output="ANSWER: 42",
        target="42",
    )
    RunScore.objects.create(
        run=run,
        scorer="match",
        metric="accuracy",
        value=run.primary_value,
        stderr=0.07,
        scored_samples=len(scores),
    )
    return run


def build_demo(tmp_path) -> Demo:
    ensure_reference_data()
    task_builtin_upsert()
    uk = InstituteFactory(code="uk-aisi", name="UK AI Security Institute", country="GB")
    us = InstituteFactory(code="us-caisi", name="US Center for AI Standards", country="US")
    alice = member("alice", uk, Role.LEAD)
    dan = member("dan", us, Role.LEAD)
    for user, first, last in ((alice, "Alice", "Hughes"), (dan, "Dan", "Okafor")):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    project = ProjectFactory(slug="frontier-2", title="Pre-deployment evaluation of Frontier-2")
    ParticipationFactory(project=project, institute=uk, role=Participation.Role.LEAD)
    ParticipationFactory(project=project, institute=us)
    target = AISystemFactory(
        developer="Acme AI", name="Frontier-2", version="", inspect_model="mockllm/model"
    )
    ref1 = AISystemFactory(
        developer="Acme AI", name="Frontier-1", version="", inspect_model="mockllm/ref-1"
    )
    ref2 = AISystemFactory(
        developer="Open Lab", name="Open-70B", version="", inspect_model="mockllm/ref-2"
    )
    ProjectSystemFactory(project=project, system=target)
    ProjectSystemFactory(project=project, system=ref1, is_reference=True)
    ProjectSystemFactory(project=project, system=ref2, is_reference=True)
    now = timezone.now()
    AccessWindow.objects.create(
        project=project,
        system=target,
        starts_at=now - timedelta(days=9),
        ends_at=now + timedelta(days=5),
    )
    Workstream.objects.create(
        project=project, domain=Domain.objects.get(slug="cyber"), lead_institute=uk
    )
    Workstream.objects.create(
        project=project, domain=Domain.objects.get(slug="safeguards"), lead_institute=us
    )
    safeguards = EvaluationTask.objects.get(slug="concord-safeguards-refusals")
    injection = EvaluationTask.objects.get(slug="concord-prompt-injection")
    cyber = TaskFactory(
        slug="cyber-ctf",
        name="Cyber range: capture the flag",
        domain=Domain.objects.get(slug="cyber"),
    )
    qa = EvaluationTask.objects.get(slug="concord-knowledge-qa")

    uk_scores = pattern(40, 0.82)
    run_uk = _run(project, safeguards, target, uk, uk_scores, 90)
    run_us = _run(project, safeguards, target, us, replicate(uk_scores, {2, 9, 17, 23, 31}), 80)
    _run(project, safeguards, ref1, uk, pattern(40, 0.55, shift=1), 70)
    _run(project, safeguards, ref2, uk, pattern(40, 0.35, shift=2), 60)
    _run(project, cyber, target, uk, pattern(30, 0.43), 50)
    _run(project, cyber, ref1, uk, pattern(30, 0.20, shift=4), 45)
    _run(project, cyber, ref2, us, pattern(30, 0.10, shift=5), 40)
    qa_scores = pattern(24, 0.92)
    _run(project, qa, target, us, qa_scores, 30)
    _run(project, qa, target, uk, replicate(qa_scores, {4, 11, 19}), 28)
    _run(project, qa, ref1, us, pattern(24, 0.75, shift=6), 25)
    _run(project, qa, ref2, us, pattern(24, 0.58, shift=7), 20)

    log_dir = settings.CONCORD_LOG_DIR / "browser-demo"
    # Inspect runs its own event loop: not in this thread, where Playwright's loop runs.
    with ThreadPoolExecutor(max_workers=1) as pool:
        log_path = pool.submit(run_injection, log_dir, limit=6).result()
    transcript_run = ingest(
        log_path,
        project=project,
        institute=uk,
        task=injection,
        system=target,
    )
    _run(project, injection, ref1, uk, pattern(30, 0.6, shift=8), 10)

    running = EvaluationJob.objects.create(
        project=project,
        task=cyber,
        system=target,
        institute=uk,
        requested_by=alice,
        status=EvaluationJob.Status.RUNNING,
        progress_done=14,
        progress_total=30,
        attempts=1,
        started_at=now - timedelta(minutes=3),
        heartbeat_at=now,
    )
    EvaluationJob.objects.create(
        project=project,
        task=qa,
        system=ref2,
        institute=uk,
        requested_by=alice,
        status=EvaluationJob.Status.QUEUED,
    )
    # The US institute runs a suite Concord cannot run, on its own cluster; concord-client reports it.
    ExternalRun.objects.create(
        project=project,
        institute=us,
        reported_by=dan,
        eval_id="demo-external-gpqa",
        task_name="inspect_evals/gpqa_diamond",
        model=target.inspect_model,
        samples_done=120,
        samples_total=198,
        host="caisi-gpu-07",
        started_at=now - timedelta(minutes=9),
        heartbeat_at=now,
    )
    guideline = guidelines.guideline_create(
        user=dan,
        code="agentic-safety",
        title="Agentic safety protocol",
        owner_institute=us,
        required_institutes=[uk, us],
    )
    version = guidelines.guideline_version_create(
        user=dan, guideline=guideline, body_markdown="# Protocol\n\nFive epochs per sample.\n"
    )
    guidelines.guideline_version_submit(user=dan, version=version)
    Exchange.objects.create(
        person=alice,
        home_institute=uk,
        host_institute=us,
        project=project,
        role_title="Visiting evaluator (agentic tasks)",
        start_date=timezone.localdate() + timedelta(days=12),
        end_date=timezone.localdate() + timedelta(days=70),
        status=Exchange.Status.APPROVED,
    )
    return Demo(project, target, run_uk, run_us, transcript_run, running)


@pytest.fixture
def demo(transactional_db, tmp_path):
    return build_demo(tmp_path)


def _non_blank_pixels(page, selector: str) -> int:
    return page.eval_on_selector(
        selector,
        """(canvas) => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return n;
        }""",
    )


def test_the_dashboard_shows_jobs_in_flight_recent_runs_and_what_waits(page, demo):
    login(page, "alice", PASSWORD)
    page.goto("/")
    flight = page.locator("#flight-jobs")
    assert f"Job {demo.running_job.pk}" in flight.inner_text()
    row = flight.locator(f'tr[data-job="{demo.running_job.pk}"]')
    assert row.locator("progress").get_attribute("value") == "47"
    assert "14 / 30 samples" in row.inner_text()
    external = flight.locator("tr[data-external-run]")
    assert "inspect_evals/gpqa_diamond" in external.inner_text()
    assert "120 / 198 samples" in external.inner_text()
    assert "Pre-deployment evaluation of Frontier-2" in page.locator("#h-projects + *").inner_text()
    assert "Frontier-2" in page.locator("section[aria-labelledby=h-windows-closing]").inner_text()
    assert "agentic-safety v1" in page.locator("section[aria-labelledby=h-approvals]").inner_text()
    assert "Visiting evaluator" in page.locator("section[aria-labelledby=h-exchanges]").inner_text()
    screenshot(page, "dashboard")
    assert page.concord_errors == []


def test_the_results_matrix_draws_a_chart_per_task_with_data(page, demo):
    login(page, "alice", PASSWORD)
    page.goto(f"/projects/{demo.project.slug}/results/")
    matrix = page.locator("table.matrix")
    assert "Reference" in matrix.locator("thead").inner_text()
    assert "Target" in matrix.locator("thead").inner_text()
    first_cell = matrix.locator("td.matrix-cell a.matrix-value").first
    assert "[" in first_cell.inner_text()
    assert "n=" in first_cell.inner_text()
    page.wait_for_selector("canvas.results-chart[data-drawn]")
    charts = page.locator("canvas.results-chart")
    assert charts.count() == 4
    assert int(charts.first.get_attribute("data-drawn")) >= 2
    assert _non_blank_pixels(page, "canvas.results-chart") > 2000
    page.set_viewport_size({"width": 1280, "height": 1500})
    screenshot(page, "project-results")
    assert page.concord_errors == []


def test_two_runs_are_compared_from_the_runs_list(page, demo):
    login(page, "alice", PASSWORD)
    page.goto(
        f"/projects/{demo.project.slug}/runs/?task=concord-safeguards-refusals&system={demo.target.pk}"
    )
    page.check(f"input[name=a][value='{demo.run_uk.pk}']")
    page.check(f"input[name=b][value='{demo.run_us.pk}']")
    page.click("text=Compare A with B")
    page.wait_for_url("**/runs/compare/**")
    body = page.locator("main").inner_text()
    assert "agreement rate" in body
    assert "κ =" in body
    assert "Samples on which they disagree" in body
    links = page.locator("#disagreements a", has_text="transcript")
    assert links.count() >= 2
    page.set_viewport_size({"width": 1280, "height": 1100})
    screenshot(page, "compare")
    links.first.click()
    page.wait_for_url("**/samples/**")
    assert page.locator("h1").inner_text().startswith("Sample")
    assert page.concord_errors == []


def test_a_run_and_its_transcript_read_from_the_log_with_a_blind_review(page, demo):
    login(page, "alice", PASSWORD)
    run = demo.transcript_run
    page.goto(f"/runs/{run.pk}/")
    assert "injection_resisted" in page.locator("section[aria-labelledby=h-scores]").inner_text()
    page.set_viewport_size({"width": 1280, "height": 1300})
    screenshot(page, "run")
    page.locator(".samples-table a").first.click()
    page.wait_for_url("**/samples/**")
    transcript = page.locator("ol.transcript")
    assert transcript.locator(".tool-call").count() >= 1
    assert "read_document" in transcript.inner_text()
    assert transcript.locator(".msg-tool").count() >= 1
    assert "Frontier-2" in page.locator(".page-header").inner_text()
    screenshot(page, "sample")

    page.click("text=Review blind")
    page.wait_for_load_state()
    assert "Frontier-2" not in page.content()
    assert "Frontier-2" not in page.title()
    page.select_option("#id_label", label="Refusal")
    page.fill("#id_manual_score", "0")
    page.fill("#id_note", "Declined to read the document.")
    page.click("text=Save my review")
    page.wait_for_selector(".message-success")
    assert "Refusal" in page.locator(".reviews").inner_text()
    assert "blind" in page.locator(".reviews").inner_text()
    assert page.concord_errors == []


# --- a job queued in the browser, run by a real worker --------------------------------------


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real Celery worker (tests/integration/worker.py) on the test database and Redis."""
    from tests.evaluations.runner import broker
    from tests.integration.worker import start_worker

    broker.purge()
    process = start_worker(tmp_path / "worker")
    yield process
    process.stop()
    broker.purge()


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_a_job_queued_in_the_browser_runs_and_its_progress_bar_reaches_done(page, demo, worker):
    from tests.integration.worker import wait_for

    slow = TaskFactory(
        slug="slow-demo",
        name="Slow demonstration task",
        inspect_ref="tests.evaluations.runner.inspect_tasks:slow_task",
        default_params={"task_args": {"samples": 12, "seconds": 0.4}, "max_samples": 1},
    )
    login(page, "alice", PASSWORD)
    page.goto(f"/projects/{demo.project.slug}/results/")
    page.click("text=Queue a job")
    page.select_option("#id_task", label=slow.name)
    page.select_option("#id_system", label="Acme AI Frontier-2 (target)")
    page.fill("#id_limit", "12")
    page.click("text=Queue the job")
    page.wait_for_url("**/jobs/*/")
    job = EvaluationJob.objects.get(task=slow)
    progress = page.locator("#job-status progress")
    seen: set[int] = set()

    def done():
        value = int(progress.get_attribute("value") or 0)
        seen.add(value)
        status = page.locator("#job-status").get_attribute("data-status")
        return status if status in ("succeeded", "failed", "cancelled") else None

    status = wait_for(done, 180, worker, "see the progress bar reach the end")
    job.refresh_from_db()
    assert status == "succeeded", job.error
    assert progress.get_attribute("value") == "100"
    assert any(0 < v < 100 for v in seen), f"the bar never moved between 0 and 100: {seen}"
    assert "12 / 12 samples" in page.locator("#job-status").inner_text()
    page.click("text=Open the run")
    page.wait_for_url(f"**/runs/{job.run_id}/")
    assert "Slow demonstration task" in page.locator("h1").inner_text()
    assert page.concord_errors == []


def test_the_projects_audit_trail_reads_in_words(page, demo):
    login(page, "alice", PASSWORD)
    page.goto(f"/projects/{demo.project.slug}/")
    page.click("a[href$='/audit/']")
    page.wait_for_url("**/audit/**")
    trail = page.locator("main").inner_text()
    assert "Pre-deployment evaluation of Frontier-2" in trail
    assert "evaluations_" not in trail  # no table names
    assert "{'" not in trail  # no Python dicts
    assert "': [" not in trail
    assert "recorded the results of run" in trail
    page.set_viewport_size({"width": 1280, "height": 1100})
    screenshot(page, "audit")
    assert page.concord_errors == []
