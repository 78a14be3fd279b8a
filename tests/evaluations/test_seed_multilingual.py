import pytest

from evaluations.models import (
    EvaluationRun,
    ReviewAssignment,
    ReviewQueue,
    RunScorer,
    SampleReview,
)
from evaluations.seed import seed_guidelines, seed_project
from evaluations.seed_multilingual import (
    QUEUE_NAME,
    TASK_SLUG,
    seed_multilingual_runs,
    seed_review_queue,
)
from institutes.seed import seed_institutes


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.CONCORD_LOG_DIR = tmp_path
    people = seed_institutes()
    project = seed_project(people)
    seed_guidelines(people, project)
    return people, project


def test_the_demo_has_multilingual_runs_judged_twice_and_a_half_done_blind_queue(demo):
    people, project = demo
    runs = seed_multilingual_runs(people, project)
    assert len(runs) == 2
    assert {(r.system.name, r.institute.code) for r in runs} == {
        ("Frontier-1", "uk-aisi"),
        ("Frontier-0", "us-caisi"),
    }
    assert all(r.task.slug == TASK_SLUG and r.task.project == project for r in runs)
    assert all(r.sample_count == 60 for r in runs)
    languages = set(runs[0].samples.values_list("metadata__language", flat=True))
    assert languages == {"en", "fr", "de", "ar", "sw", "ja"}
    # the two judges, with their grader models, as ingestion records them
    assert set(
        RunScorer.objects.filter(run__in=runs).values_list("name", "judge", "grader_model")
    ) == {
        ("judge_strict", True, "concord-demo/judge-strict"),
        ("judge_lenient", True, "concord-demo/judge-lenient"),
    }

    queue = seed_review_queue(people, project)
    assert queue is not None
    assert queue.name == QUEUE_NAME
    assert set(queue.runs.all()) == set(runs)
    assert (queue.selection, queue.per_slice_percent, queue.slice_key) == (
        "percent",
        40.0,
        "language",
    )
    assert (queue.seed, queue.reviews_per_item, queue.blind) == (7, 2, True)
    assert {u.username for u in queue.reviewers.all()} == {"bob", "dan"}
    items = list(queue.items.all())
    per_language: dict[str, int] = {}
    for item in items:
        per_language[item.slice_value] = per_language.get(item.slice_value, 0) + 1
    assert per_language == dict.fromkeys(["en", "fr", "de", "ar", "sw", "ja"], 8)  # 40% of 20
    reviews = SampleReview.objects.filter(sample__queue_items__queue=queue)
    reviewed = set(reviews.values_list("sample_id", flat=True))
    assert 0.3 * len(items) < len(reviewed) < 0.8 * len(items)  # some, not all
    assert all(reviews.values_list("blind", flat=True))
    assert {r.reviewer.username for r in reviews} == {"bob", "dan"}
    assert not ReviewAssignment.objects.filter(
        item__queue=queue, completed_at__isnull=True
    ).exists()
    # people mostly agree with each other, not always
    by_sample: dict[int, set[str]] = {}
    for sample_id, label in reviews.values_list("sample_id", "label__slug"):
        by_sample.setdefault(sample_id, set()).add(label)
    assert any(len(labels) > 1 for labels in by_sample.values())

    # the adopted guideline's threshold flags the lenient judge, not the strict one
    assert project.adoptions.get().version.judge_min_kappa == 0.6
    from evaluations.results.judges import judge_flags

    assert {name for name, _model in judge_flags(project)} == {"judge_lenient"}

    # seeded once
    counts = (EvaluationRun.objects.count(), SampleReview.objects.count())
    assert seed_multilingual_runs(people, project) == []
    assert seed_review_queue(people, project) == queue
    assert (EvaluationRun.objects.count(), SampleReview.objects.count()) == counts
    assert ReviewQueue.objects.count() == 1
