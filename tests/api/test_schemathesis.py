"""schemathesis over /api/schema/: requests generated from the schema for every operation, sent to
the WSGI application with a test token, answer without a server error and within the schema
(status code documented, body matching its documented shape, content type declared).

Each operation gets a bounded number of examples (`EXAMPLES`, derandomized so a failure can be
replayed), half of them with path parameters naming objects that exist (the project, its run,
job, finding, guideline...), so the 200 answers are checked too, not only the 404s. Every request
runs in a savepoint that is rolled back, so the world stays the same and a refused write cannot
break the next request. Run alone:

    pytest tests/api/test_schemathesis.py -s     # prints how many requests were checked
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from evaluations.models import EvaluationTask, Finding, ReviewLabel
from institutes.services import token_create
from tests.evaluations.jobs.factories import (
    JobFactory,
    RunFactory,
    RunScoreFactory,
    SampleResultFactory,
)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def known(project, system, institute_a, institute_b, approved_version, alice):
    """Path parameters that name existing objects, by (path prefix, parameter)."""
    task = EvaluationTask.objects.filter(is_active=True).order_by("pk").first()
    run = RunFactory(project=project, system=system, institute=institute_a, task=task)
    RunScoreFactory(run=run)
    sample = SampleResultFactory(run=run)
    job = JobFactory(project=project, system=system, institute=institute_a, task=task)
    finding = Finding.objects.filter(project=project).first()
    ReviewLabel.objects.get_or_create(slug="refusal", defaults={"name": "Refusal"})
    window = project.access_windows.first()
    workstream = project.workstreams.first()
    return {
        "/api/v1/projects/": {
            "slug": project.slug,
            "window_id": window.pk,
            "institute_code": institute_b.code,
            "system_id": system.pk,
            "workstream_id": workstream.pk,
        },
        "/api/v1/guidelines/": {"code": approved_version.guideline.code, "number": 1},
        "/api/v1/institutes/": {"code": institute_a.code},
        "/api/v1/tasks/": {"slug": task.slug},
        "/api/v1/runs/": {"id": run.pk, "run_id": run.pk},
        "/api/v1/runs/{run_id}/samples/": {"run_id": run.pk, "id": sample.pk},
        "/api/v1/jobs/": {"id": job.pk},
        "/api/v1/findings/": {"id": finding.pk},
        "/api/v1/systems/": {"id": system.pk},
    }


def _describe(exc: BaseException) -> str:
    parts = [str(exc)]
    for inner in getattr(exc, "exceptions", ()):
        parts.append(f"  - {type(inner).__name__}: {inner}")
    return "\n".join(parts)


def _known_for(path: str, names: list[str], known: dict) -> dict:
    prefix = max((p for p in known if path.startswith(p)), key=len, default=None)
    values = known.get(prefix, {})
    return {name: values[name] for name in names if name in values}


@pytest.fixture
def wsgi_app():
    """The WSGI application, without the per-request closing of database connections (the test
    runs in one transaction; Django's test client skips that closing the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation_answers_generated_requests_within_its_schema(
    known, alice, settings, wsgi_app
):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    _, raw = token_create(user=alice, name="schemathesis", scope="write", expires_in_days=1)
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    failures: list[str] = []
    sent = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        values = _known_for(operation.path, names, known)
        strategy = operation.as_strategy()
        if values:
            strategy = st.one_of(strategy, operation.as_strategy(path_parameters=values))

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case):
            nonlocal sent
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            sent += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup, or an error
            failures.append(f"{operation.label}:\n{_describe(exc)[:3000]}")

    print(f"schemathesis: {sent} requests over {len(list(schema.get_all_operations()))} operations")
    assert not failures, f"{len(failures)} operations fail:\n\n" + "\n\n".join(failures)
