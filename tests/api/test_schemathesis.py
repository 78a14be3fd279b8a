"""schemathesis over /api/schema/: requests generated from the schema for every operation, sent to
the WSGI application as three kinds of caller, answer without a server error, within the schema,
and never ignore authentication.

The three kinds of caller:

- `lead`: alice, lead of institute A, with a write token: she may read and change most of what
  the requests name, so the 200s and 201s are checked, not only the refusals;
- `outsider`: charlie, lead of institute C, which takes part in nothing here, with a read-scope
  token: every write is a 403 (`read_only_token`) and every object of A's a 404;
- `pool`: the credential of a worker pool of A, with one running job of the pool: the worker
  API (claim, heartbeat, log upload, finish) answers it within its schema, and every other
  operation refuses it (401). The users' tokens get 403 from the worker API.

Each operation gets a bounded number of examples (`EXAMPLES`, derandomized so a failure can be
replayed) from three strategies: requests as the schema describes them, the same with path
parameters naming objects that exist (the project, its run, job, finding, guideline...), and
negative requests (a value the schema forbids). Every request runs in a savepoint that is rolled
back, so the world stays the same and a refused write cannot break the next request.

Checks (schemathesis' names):

- `not_a_server_error`: no 5xx;
- `status_code_conformance`, `content_type_conformance`, `response_schema_conformance`,
  `response_headers_conformance`: the answer is one the schema documents, in shape and type;
- `ignored_auth`: the first 2xx of each operation is sent again without credentials and with
  invalid ones (a bearer token and a session cookie that are not Concord's): both must be
  refused (401/403);
- `negative_data_rejection`: a request the schema forbids (a wrong type, a missing required
  field, a value out of range) is refused with a 4xx.

Left out, and why:

- `positive_data_acceptance`: it expects every request that matches the schema to succeed, but
  the schema cannot say the rules the services apply (a system must be in the project, dates in
  order, a role to act): those are documented 400s and 403s, not failures;
- `use_after_free`, `ensure_resource_availability`: they compare a request with the ones that
  created or deleted its object in a stateful run driven by OpenAPI links, which the schema does
  not declare; in requests generated one by one they never fire. That objects stay reachable
  to whom they should, and to no one else, is what tests/security/test_object_matrix.py and
  tests/permissions check;
- `object_level_authorization`: the same stateful run with two identities; covered by the same
  object matrix (two institutes' worlds, every route, every kind of user);
- `missing_required_header`, `unsupported_method`, `allow_header_conformance`: they judge
  schemathesis' coverage phase (requests it builds to drop a header or use an undocumented
  method) and OPTIONS requests, which this test does not send; undocumented methods are 405s
  checked by tests/permissions/test_api_matrix.py;
- `max_response_time`: timings on a shared test machine say little; benchmarks/ measures them.

Run alone:

    pytest tests/api/test_schemathesis.py -s     # prints the figures per kind of user
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import AcceptedNegativeData, Failure, ServerError
from schemathesis.openapi.checks import IgnoredAuth

from evaluations.models import EvaluationTask, Finding, ReviewLabel
from evaluations.services.pools import pool_create
from institutes.services import token_create
from tests.evaluations.factories import (
    JobFactory,
    RunFactory,
    RunScoreFactory,
    SampleResultFactory,
)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Who sends the requests: (user fixture, token scope); `pool`: the credential of institute A's
# worker pool (the worker API's only callers; every other route answers it 401).
ROLES = {"lead": ("alice", "write"), "outsider": ("charlie", "read"), "pool": ("alice", "pool")}


def kind_of(failure: BaseException) -> str:
    if isinstance(failure, ServerError):
        return "server errors"
    if isinstance(failure, IgnoredAuth):
        return "ignored-auth"
    if isinstance(failure, AcceptedNegativeData):
        return "accepted invalid data"
    if isinstance(failure, Failure):
        return "schema violations"
    return "errors"


@pytest.fixture
def known(project, system, institute_a, institute_b, approved_version, alice):
    """Path parameters that name existing objects, by (path prefix, parameter)."""
    task = EvaluationTask.objects.filter(is_active=True).order_by("pk").first()
    run = RunFactory(project=project, system=system, institute=institute_a, task=task, scored=True)
    RunScoreFactory(run=run)
    sample = SampleResultFactory(run=run)
    job = JobFactory(project=project, system=system, institute=institute_a, task=task)
    finding = Finding.objects.filter(project=project).first()
    pool, raw = pool_create(institute=institute_a, name="schemathesis", by=alice)
    pool.raw = raw
    pool_job = JobFactory(
        project=project,
        system=system,
        institute=institute_a,
        task=task,
        pool=pool,
        status="running",
        attempts=1,
    )
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
        "pool": pool,
        "/api/v1/findings/": {"id": finding.pk},
        "/api/v1/systems/": {"id": system.pk},
        "/api/v1/worker/jobs/": {"id": pool_job.pk},
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


def _strategies(operation, values: dict):
    """As the schema describes (and with known objects' ids), and negative."""
    strategies = [operation.as_strategy()]
    if values:
        strategies.append(operation.as_strategy(path_parameters=values))
    with contextlib.suppress(Exception):  # an operation with nothing to negate
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    return st.one_of(strategies)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_generated_requests_within_its_schema(
    role, known, request, settings, wsgi_app
):
    username, scope = ROLES[role]
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.CONCORD_WORKER_LONG_POLL_SECONDS = 0  # a claim answers at once
    user = request.getfixturevalue(username)
    if scope == "pool":
        raw = known["pool"].raw
    else:
        _, raw = token_create(user=user, name="schemathesis", scope=scope, expires_in_days=1)
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: Counter = Counter()
    examples: list[str] = []
    statuses: Counter = Counter()
    auth_probed: set[str] = set()
    sent = negative = 0

    def record(operation, exc: BaseException) -> None:
        found = list(getattr(exc, "exceptions", None) or [exc])
        for failure in found:
            failures[kind_of(failure)] += 1
            if len(examples) < 20:
                examples.append(f"{operation.label}: {type(failure).__name__}: {failure}"[:1500])

    for operation in operations:
        names = [p.name for p in operation.path_parameters]
        values = _known_for(operation.path, names, known)

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategies(operation, values))
        def check(case):
            nonlocal sent, negative
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            sent += 1
            negative += bool(case.meta and case.meta.generation.mode.is_negative)
            statuses[response.status_code // 100] += 1
            checks = list(CHECKS)
            # Authentication is a property of the operation: probed at its first success.
            label = operation.label  # noqa: B023  (check runs within this iteration)
            if 200 <= response.status_code < 300 and label not in auth_probed:
                auth_probed.add(label)
                checks.append(ignored_auth)
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
                record(operation, exc)  # noqa: B023

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # an error of the test itself
            failures["errors"] += 1
            examples.append(f"{operation.label}: {_describe(exc)[:1500]}")

    print(
        f"schemathesis {role}: {sent} requests, {failures['server errors']} server errors, "
        f"{failures['schema violations']} schema violations, {failures['ignored-auth']} "
        f"ignored-auth, {failures['accepted invalid data']} invalid requests accepted "
        f"({len(operations)} operations; {statuses[2]} 2xx, {statuses[4]} 4xx; {negative} "
        f"requests invalid by the schema; {len(auth_probed)} operations probed without and "
        "with invalid credentials)"
    )
    assert sum(failures.values()) == 0, f"{dict(failures)}:\n\n" + "\n\n".join(examples)
    # the 2xx answers were checked too (a pool has only the worker API's four operations)
    assert statuses[2] > {"lead": 25, "outsider": 5, "pool": 0}[role]
    assert negative > 40  # and so were refusals of invalid requests
