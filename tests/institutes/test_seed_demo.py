import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

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
    settings.DEBUG = True
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


def test_seed_demo_users_can_log_in(client, db, settings):
    settings.DEBUG = True
    from institutes.seed import DEMO_PASSWORD

    call_command("seed_demo", "--without-runs")
    assert client.login(username="alice", password=DEMO_PASSWORD)


def test_seed_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG=1"):
        call_command("seed_demo")
    assert not User.objects.exists()
