"""A project with a multilingual run, for the review queue tests (services, pages, API, browser).

The results world (tests/evaluations/results_world.py: A leads, B takes part, C does not) plus
`run_lang`: A's run of "Knowledge QA" on the target with 12 samples, each with a `language`
(en x6, fr x4, de x2) and a `category`, and a reference run of the same 12 samples; labels get
their verdicts and the default set (a transactional test's flush loses what migrations wrote).
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluations.models import EvaluationRun, ReviewLabel, SampleResult
from tests.evaluations.results_world import ResultsWorld, build_results_world, make_run

LANGUAGES = ["en"] * 6 + ["fr"] * 4 + ["de"] * 2
DEFAULT_LABELS = {
    "correct": (1.0, True),
    "incorrect": (0.0, True),
    "refusal": (0.0, True),
    "scorer-wrong": (None, True),
    "environment-bug": (None, True),
}


@dataclass
class QueueWorld:
    rw: ResultsWorld
    run_lang: EvaluationRun
    run_lang_ref: EvaluationRun

    @property
    def project(self):
        return self.rw.project


def ensure_label_verdicts() -> None:
    for name, slug in (("Correct", "correct"), ("Incorrect", "incorrect")):
        ReviewLabel.objects.get_or_create(slug=slug, defaults={"name": name, "order": 1})
    for slug, (verdict, default) in DEFAULT_LABELS.items():
        ReviewLabel.objects.filter(slug=slug).update(verdict=verdict, default=default)


def _with_languages(run: EvaluationRun) -> None:
    for index, sample in enumerate(SampleResult.objects.filter(run=run).order_by("id")):
        sample.metadata = {
            "language": LANGUAGES[index],
            "category": "math" if index % 2 else "history",
        }
        sample.save(update_fields=["metadata"])


def build_queue_world(*, institute_a, institute_b, slug="queues-demo") -> QueueWorld:
    rw = build_results_world(institute_a=institute_a, institute_b=institute_b, slug=slug)
    ensure_label_verdicts()
    scores = [1, 0] * 6
    run_lang = make_run(rw.project, rw.qa, rw.target, institute_a, scores, minutes_ago=3)
    run_lang_ref = make_run(rw.project, rw.qa, rw.reference, institute_a, scores, minutes_ago=2)
    _with_languages(run_lang)
    _with_languages(run_lang_ref)
    return QueueWorld(rw=rw, run_lang=run_lang, run_lang_ref=run_lang_ref)
