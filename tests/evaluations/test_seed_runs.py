import pytest

from evaluations.models import EvaluationJob, EvaluationRun
from evaluations.seed import seed_project
from evaluations.seed_runs import seed_demo_runs
from institutes.seed import seed_institutes


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.CONCORD_LOG_DIR = tmp_path
    people = seed_institutes()
    return people, seed_project(people)


def test_demo_runs_are_really_run_ingested_attached_to_jobs_and_seeded_once(demo):
    people, project = demo
    runs = seed_demo_runs(people, project)
    assert len(runs) == 11
    assert EvaluationRun.objects.filter(project=project, status="success").count() == 11
    assert all(run.sample_count > 0 and run.samples.exists() for run in runs)
    assert all("not an evaluation of any real model" in run.notes for run in runs)
    jobs = EvaluationJob.objects.filter(project=project)
    assert {job.status for job in jobs} == {EvaluationJob.Status.SUCCEEDED}
    assert all(job.run is not None and job.log_file for job in jobs)

    def qa(system_name, institute="uk-aisi"):
        return EvaluationRun.objects.get(
            project=project,
            task__slug="concord-knowledge-qa",
            system__name=system_name,
            institute__code=institute,
        ).primary_value

    # the scripted stand-ins differ: the target (strong) beats the open-weights one (weak)
    assert qa("Frontier-1") > qa("OpenRef", "us-caisi")
    # a replication of the same task on the same system by the other institute
    assert qa("Frontier-1", "us-caisi") is not None

    # idempotent (one test: seeding runs eleven evaluations, about ten seconds)
    assert seed_demo_runs(people, project) == []
    assert EvaluationRun.objects.filter(project=project).count() == 11
