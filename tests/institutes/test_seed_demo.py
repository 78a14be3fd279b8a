import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from institutes.models import Institute, Membership, User


def snapshot():
    """Every row of every Concord model, without timestamps or password salts."""
    data = {}
    for model in apps.get_models():
        if model._meta.app_label not in {"institutes", "evaluations", "exchanges"}:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in {"password", "last_login"}
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ]
        data[model._meta.label] = sorted(map(repr, model.objects.values_list(*fields)))
    return data


def test_seed_demo_twice_gives_the_same_data(db, settings):
    settings.LOCAL = True
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert Institute.objects.count() >= 3
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"viewer", "evaluator", "lead"}
    assert User.objects.filter(is_programme_manager=True).exists()
    # The demo shows results at once: runs of the shipped suites, with their samples.
    from evaluations.models import EvaluationRun, SampleResult

    assert EvaluationRun.objects.filter(status="success").count() >= 6
    assert SampleResult.objects.count() > 100


def test_seed_demo_shows_the_partner_tools(db, settings, monkeypatch):
    """An import-only task of the demo project and an external run of the US institute, in
    flight: made once (a second seed changes no row), without a word to the network."""
    import socket

    from evaluations.models import EvaluationProject, EvaluationTask, ExternalRun
    from evaluations.seed import PROJECT_SLUG
    from evaluations.seed_partner import EXTERNAL_EVAL_ID, IMPORT_ONLY_REF

    def no_network(*args, **kwargs):
        raise AssertionError("seed_demo must not call the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    settings.LOCAL = True
    call_command("seed_demo", "--without-runs")
    first = snapshot()
    call_command("seed_demo", "--without-runs")
    assert snapshot() == first

    project = EvaluationProject.objects.get(slug=PROJECT_SLUG)
    task = EvaluationTask.objects.get(inspect_ref=IMPORT_ONLY_REF)
    assert task.project == project
    assert task.registered_by.username == "alice"
    assert not task.runnable  # inspect_evals is not installed beside Concord
    assert "inspect_evals" in task.runnable_note
    external = ExternalRun.objects.get()
    assert external.eval_id == EXTERNAL_EVAL_ID
    assert (external.project, external.institute.code) == (project, "us-caisi")
    assert external.reported_by.username == "dan"
    assert external.task_name == IMPORT_ONLY_REF
    assert external.status == ExternalRun.Status.RUNNING
    assert 0 < external.samples_done < external.samples_total
    assert external.started_at < external.heartbeat_at <= timezone.now()
    assert external.run is None


def test_seed_demo_users_can_log_in(client, db, settings):
    settings.LOCAL = True
    from institutes.seed import DEMO_PASSWORD

    call_command("seed_demo", "--without-runs")
    assert client.login(username="alice", password=DEMO_PASSWORD)


def test_seed_demo_refuses_outside_the_demo(db, settings):
    settings.LOCAL = False
    with pytest.raises(CommandError, match="only runs with CONCORD_DEMO=1"):
        call_command("seed_demo")
    assert not User.objects.exists()


def in_order(label: str, *moments) -> None:
    """The moments given (None for a step not reached) follow one another, none in the future."""
    reached = [m for m in moments if m is not None]
    assert reached == sorted(reached), f"{label}: out of order {moments}"
    assert all(m <= timezone.now() for m in reached), f"{label}: in the future {moments}"


def test_every_seeded_history_reads_in_order(db, settings):
    from evaluations.models import EvaluationJob, EvaluationRun, GuidelineVersion
    from exchanges.models import Exchange

    settings.LOCAL = True
    call_command("seed_demo")
    jobs = list(EvaluationJob.objects.all())
    assert jobs
    for job in jobs:  # queued, sent to a worker, started, last heartbeat, finished
        in_order(
            f"job {job.pk}",
            job.created_at,
            job.enqueued_at,
            job.started_at,
            job.heartbeat_at,
            job.finished_at,
        )
    for run in EvaluationRun.objects.select_related("job"):
        job = getattr(run, "job", None)
        in_order(
            f"run {run.pk}",
            job and job.created_at,
            job and job.started_at,
            run.started_at,
            run.completed_at,
            job and job.finished_at,
        )
    from evaluations.models import ExternalRun

    externals = list(ExternalRun.objects.all())
    assert externals
    for external in externals:  # started, last word, finished
        in_order(
            f"external run {external.pk}",
            external.started_at,
            external.heartbeat_at,
            external.finished_at,
        )
    exchanges = list(Exchange.objects.prefetch_related("approvals", "checklist"))
    assert {e.status for e in exchanges} >= {"active", "completed", "declined", "cancelled"}
    for exchange in exchanges:
        decided = sorted(a.at for a in exchange.approvals.all())
        ticked = [i.done_at for i in exchange.checklist.all() if i.done_at]
        last_decision = decided[-1] if decided else None
        in_order(f"exchange {exchange.pk}", exchange.created_at, *decided, exchange.ended_at)
        in_order(f"exchange {exchange.pk} activation", last_decision, exchange.activated_at)
        in_order(f"exchange {exchange.pk} end", exchange.activated_at, exchange.ended_at)
        for done_at in ticked:
            in_order(f"exchange {exchange.pk} checklist", exchange.created_at, done_at)
    for version in GuidelineVersion.objects.prefetch_related("approvals"):
        signed = sorted(a.at for a in version.approvals.all())
        in_order(
            f"guideline version {version.pk}", version.created_at, *signed, version.approved_at
        )
