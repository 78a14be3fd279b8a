"""Under an embargo the trail hides the events of results' tables from non-participants: every
model of the evaluations app is classified as results or not, so a new one cannot be forgotten."""

from django.apps import apps

from institutes.selectors import OTHER_MODELS, RESULT_MODELS, result_tables


def test_every_evaluations_model_is_classified_for_the_embargoed_trail():
    labels = {
        m._meta.label
        for m in apps.get_app_config("evaluations").get_models(include_auto_created=True)
    }
    assert labels - RESULT_MODELS - OTHER_MODELS == set()
    assert not RESULT_MODELS & OTHER_MODELS
    assert (RESULT_MODELS | OTHER_MODELS) - labels == set()


def test_pins_and_finding_evidence_are_results():
    assert {"evaluations_pinnedrun", "evaluations_findingevidence"} <= result_tables()
