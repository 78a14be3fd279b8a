"""Object-level matrix: two institutes' worlds side by side, and nothing of one in the other's
answers.

The matrix world (tests/permissions: projects `frontier` and `results-perm`, led by A with B as
partner) gets a second world next to it: project `foreign`, led by C (charlie) with D as partner,
with a system, a finding, a workstream, a job, a run and its samples, a guideline and an
exchange, every one with FOREIGN in its text. Then every GET route of both permission matrices
(the API's lists, details, nested routes, search; the pages, exports included) is requested as
each kind of user, and every answer is searched:

- for A's and B's people (viewer, evaluator, lead, and the partner token of dan at B): no FOREIGN
  text, no id of a foreign object in any API list, and 404 (never 2xx) for every route that names
  a foreign object;
- for charlie (who takes part in `foreign` only): nothing of A's projects, by id and by text;
- under an embargo on A's projects, for the programme manager (who takes part in none): no run,
  sample or finding of them, by id and by text (EMBARGOED), while participants still see them.

Besides list ids, every JSON answer's reference fields (a job's `run`, an export's `run_id`) are
read: they must not name an object the user may not see (a job of an embargoed project names its
run to participants only).

Status codes per role and route are the matrices' business (test_matrix.py, test_api_matrix.py,
which also send a revoked token and a read-scope token); this test is about what is inside.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from evaluations.models import (
    AISystem,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    ExternalRun,
    Finding,
    Guideline,
    ReviewQueue,
    SampleResult,
    WorkerPool,
)
from exchanges.models import Exchange
from institutes.services import token_create, token_revoke
from tests.api_clients import bearer
from tests.evaluations.factories import add_samples
from tests.figures import figure
from tests.permissions.registry import API_REGISTRY, LOGIN, REGISTRY, load_entries
from tests.security.conftest import FOREIGN
from webhooks.models import Webhook

load_entries()
EMBARGOED = "EMBARGOED"
A_SIDE = ("viewer", "evaluator", "lead", "partner")

# API list routes and the model of their items (a new list route must be added here).
LIST_MODELS = {
    "project-list": EvaluationProject,
    "system-list": AISystem,
    "guideline-list": Guideline,
    "finding-list": Finding,
    "finding-comments": None,  # a finding's (404 where the finding is not seen)
    "finding-responses": None,  # a finding's (404 where the finding is not seen)
    "job-list": EvaluationJob,
    "run-list": EvaluationRun,
    "run-sample-list": SampleResult,
    "exchange-list": Exchange,
    "institute-list": None,  # the directory: everyone's
    "task-list": None,  # the shared registry
    "guideline-versions": None,  # of a guideline the user sees
    "run-import-list": None,  # POST only
    "external-run-list": ExternalRun,
    "webhook-list": Webhook,  # an institute's, for its leads
    "worker-pool-list": WorkerPool,  # an institute's, for its leads
    "review-queue-list": ReviewQueue,  # a project's, where its results are seen
    "project-results-list": None,  # a project's results cells (404 outside the project)
    "project-results-corrected-list": None,  # a project's corrected cells (404 outside it)
    "review-queue-agreement-list": None,  # a queue's judge figures (404 outside its project)
    "project-report-list": None,  # a project's report versions (404 outside the project)
    "project-developer-contact-list": None,  # a project's, for its leads (404 outside it)
}


def foreign_ids(w) -> dict[type, set[int]]:
    f = w.foreign
    return {
        EvaluationProject: {f["project"].pk},
        AISystem: {f["system"].pk},
        EvaluationRun: {f["run"].pk},
        SampleResult: set(f["run"].samples.values_list("pk", flat=True)),
        EvaluationJob: {f["job"].pk},
        Finding: {f["finding"].pk},
        Guideline: {f["guideline"].pk},
        Exchange: {f["exchange"].pk},
        ExternalRun: {f["external_run"].pk},
        Webhook: set(Webhook.objects.filter(institute=w.institute_c).values_list("pk", flat=True)),
        WorkerPool: {f["pool"].pk},
        ReviewQueue: {f["queue"].pk},
    }


def a_side_ids(w) -> dict[type, set[int]]:
    """Everything charlie must not see: all but the foreign world and what is shared."""
    foreign = foreign_ids(w)
    unlinked = AISystem.objects.filter(project_systems__isnull=True)
    return {
        EvaluationProject: set(EvaluationProject.objects.values_list("pk", flat=True))
        - foreign[EvaluationProject],
        AISystem: set(AISystem.objects.exclude(pk__in=unlinked).values_list("pk", flat=True))
        - foreign[AISystem],
        EvaluationRun: set(EvaluationRun.objects.values_list("pk", flat=True))
        - foreign[EvaluationRun],
        EvaluationJob: set(EvaluationJob.objects.values_list("pk", flat=True))
        - foreign[EvaluationJob],
        Finding: set(Finding.objects.values_list("pk", flat=True)) - foreign[Finding],
        Guideline: set(Guideline.objects.values_list("pk", flat=True)) - foreign[Guideline],
        Exchange: set(Exchange.objects.values_list("pk", flat=True)) - foreign[Exchange],
        ExternalRun: set(ExternalRun.objects.values_list("pk", flat=True)) - foreign[ExternalRun],
        Webhook: set(Webhook.objects.values_list("pk", flat=True)) - foreign[Webhook],
        WorkerPool: set(WorkerPool.objects.values_list("pk", flat=True)) - foreign[WorkerPool],
        ReviewQueue: set(ReviewQueue.objects.values_list("pk", flat=True)) - foreign[ReviewQueue],
    }


A_SIDE_TEXT = ["Pre-deployment evaluation of Frontier-1", "Solves hard CTFs", "Bio protocol"]


def embargoed_ids(projects) -> dict[type, set[int]]:
    return {
        EvaluationRun: set(
            EvaluationRun.objects.filter(project__in=projects).values_list("pk", flat=True)
        ),
        SampleResult: set(
            SampleResult.objects.filter(run__project__in=projects).values_list("pk", flat=True)
        ),
        Finding: set(Finding.objects.filter(project__in=projects).values_list("pk", flat=True)),
    }


# --- requesting every GET route --------------------------------------------------------------


def api_requests(w) -> list[tuple[str, str, dict | None]]:
    """(route name, url, query) for every API GET check, and each list searched and paged."""
    found = []
    for name, entry in sorted(API_REGISTRY.items()):
        for check in entry.checks:
            if check.method != "GET":
                continue
            url = reverse(name, kwargs=entry.kwargs(w) if entry.kwargs else None)
            found.append((name, url, check.data(w) if check.data else None))
            if name.endswith("-list") and not entry.kwargs:
                found.append((name, url, {"page_size": 500}))
                for text in (FOREIGN, EMBARGOED, "Frontier"):
                    found.append((name, url, {"search": text}))
    return found


def foreign_object_requests(w) -> list[str]:
    """Addresses that name a foreign object (A's people must get 404 from each)."""
    f = w.foreign
    slug, run = f["project"].slug, f["run"].pk
    sample = f["run"].samples.first().pk
    return [
        f"/api/v1/projects/{slug}/",
        f"/api/v1/systems/{f['system'].pk}/",
        f"/api/v1/findings/{f['finding'].pk}/",
        f"/api/v1/jobs/{f['job'].pk}/",
        f"/api/v1/runs/{run}/",
        f"/api/v1/runs/{run}/samples/",
        f"/api/v1/runs/{run}/samples/{sample}/",
        f"/api/v1/guidelines/{f['guideline'].code}/",
        f"/api/v1/guidelines/{f['guideline'].code}/versions/",
        f"/api/v1/exchanges/{f['exchange'].pk}/",
        f"/api/v1/external-runs/{f['external_run'].pk}/",
        reverse("external_runs:detail", kwargs={"external_run_id": f["external_run"].pk}),
        reverse("projects:detail", kwargs={"slug": slug}),
        reverse("projects:results", kwargs={"slug": slug}),
        reverse("projects:runs", kwargs={"slug": slug}),
        reverse("projects:results_csv", kwargs={"slug": slug}),
        reverse("projects:results_json", kwargs={"slug": slug}),
        reverse("runs:detail", kwargs={"run_id": run}),
        reverse("runs:samples_csv", kwargs={"run_id": run}),
        reverse("runs:samples_json", kwargs={"run_id": run}),
        reverse("runs:sample_detail", kwargs={"run_id": run, "sample_pk": sample}),
        reverse("jobs:detail", kwargs={"job_id": f["job"].pk}),
        reverse("runs:compare") + f"?a={run}&b={w.rw.run_a.pk}",
        reverse("guidelines:detail", kwargs={"code": f["guideline"].code}),
        reverse("exchanges:detail", kwargs={"pk": f["exchange"].pk}),
        reverse("project_audit", kwargs={"slug": slug}),
        f"/api/v1/review-queues/{f['queue'].pk}/",
        reverse("reviews:queues", kwargs={"slug": slug}),
        reverse("reviews:queue", kwargs={"slug": slug, "queue_id": f["queue"].pk}),
        f"/api/v1/review-queues/{f['queue'].pk}/agreement/",
        f"/api/v1/projects/{slug}/results/corrected/",
        reverse("reviews:agreement", kwargs={"slug": slug, "queue_id": f["queue"].pk}),
        reverse("reviews:corrected", kwargs={"slug": slug}),
    ]


# Pages opened by a secret token, which show whoever holds it what it was made for (a developer
# invitation names its project): not a leak to the user who happens to request it.
TOKEN_PAGES = {"developers:accept"}


def page_requests(w) -> list[tuple[str, str, dict | None]]:
    found = []
    for key, entry in sorted(REGISTRY.items()):
        if key in TOKEN_PAGES:
            continue
        for check in entry.checks:
            if check.method == "GET" and check.expect["viewer"] != LOGIN:
                url = reverse(key, kwargs=entry.kwargs(w) if entry.kwargs else None)
                found.append((key, url, check.query(w) if check.query else None))
    return found


# Fields that name an object of another kind by id, in any JSON answer (a job's `run`, an
# export's `run_id`): the object they name must be one the user may see.
REFERENCES = {"run": EvaluationRun, "run_id": EvaluationRun}


def _references(body):
    """(field, value) of every reference field anywhere in a JSON answer."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key in REFERENCES and isinstance(value, int) and not isinstance(value, bool):
                yield key, value
            else:
                yield from _references(value)
    elif isinstance(body, list):
        for item in body:
            yield from _references(item)


def _ids_in_list(body) -> list[int]:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return [item.get("id") for item in body["results"] if isinstance(item, dict)]
    return []


class Scan:
    def __init__(self):
        self.requests = 0
        self.leaks: list[str] = []
        self.foreign_ids = 0
        self.unexpected_2xx = 0
        self.seen_own = 0  # answers showing the user's own marked objects: the scan can see
        self.references = 0  # reference fields (a job's run, ...) read in JSON answers

    def body(self, who, url, response, markers: list[str], own: list[str]) -> str:
        self.requests += 1
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        text = raw.decode(errors="replace")
        for marker in markers:
            if marker in text:
                self.leaks.append(f"  {who}: {url} shows {marker!r} ({response.status_code})")
        self.seen_own += any(marker in text for marker in own)
        return text

    def referenced_ids(self, who, url, text, forbidden: dict[type, set[int]]) -> set[int]:
        """Reference fields naming a forbidden object are leaks; returns the ids referenced."""
        try:
            body = json.loads(text)
        except ValueError:
            return set()
        seen = set()
        for key, value in _references(body):
            self.references += 1
            seen.add(value)
            if value in forbidden.get(REFERENCES[key], set()):
                self.foreign_ids += 1
                self.leaks.append(f"  {who}: {url} names {REFERENCES[key].__name__} {value}")
        return seen

    def list_ids(self, who, name, url, text, forbidden: dict[type, set[int]]) -> None:
        if name not in LIST_MODELS:
            self.leaks.append(f"  {name}: a list route this test does not know (LIST_MODELS)")
            return
        model = LIST_MODELS[name]
        if model is None:
            return
        try:
            ids = _ids_in_list(json.loads(text))
        except ValueError:
            return
        bad = set(ids) & forbidden.get(model, set())
        if bad:
            self.foreign_ids += len(bad)
            self.leaks.append(f"  {who}: {url} lists {model.__name__} {sorted(bad)}")


def scan_as(w, who: str, user, scan: Scan, *, markers, own, forbidden, client) -> set[int]:
    """Every GET route as `user`; returns the ids that reference fields named."""
    api = bearer(user)
    referenced: set[int] = set()
    for name, url, query in api_requests(w):
        response = api.get(url, query)
        text = scan.body(who, f"{url}?{query or ''}", response, markers, own)
        referenced |= scan.referenced_ids(who, url, text, forbidden)
        if name in LIST_MODELS or name.endswith("-list"):
            scan.list_ids(who, name, url, text, forbidden)
    client.force_login(user)
    for _key, url, query in page_requests(w):
        text = scan.body(who, url, client.get(url, query), markers, own)
        referenced |= scan.referenced_ids(who, url, text, forbidden)
    return referenced


def test_nothing_of_another_institutes_project_reaches_anyone(two_worlds, client):
    w = two_worlds
    scan = Scan()
    users = {**w.users, "partner": w.dan}
    for who in A_SIDE:
        scan_as(
            w,
            who,
            users[who],
            scan,
            markers=[FOREIGN],
            own=["Solves hard CTFs"],
            forbidden=foreign_ids(w),
            client=client,
        )
        api = bearer(users[who])
        client.force_login(users[who])
        for url in foreign_object_requests(w):
            response = api.get(url) if url.startswith("/api/") else client.get(url)
            scan.requests += 1
            if 200 <= response.status_code < 300:
                scan.unexpected_2xx += 1
                scan.leaks.append(f"  {who}: {url} answered {response.status_code}")
    scan_as(
        w,
        "outsider",
        w.users["outsider"],
        scan,
        markers=A_SIDE_TEXT,
        own=[FOREIGN],
        forbidden=a_side_ids(w),
        client=client,
    )
    figure(
        f"object matrix: {scan.requests} requests as {len(A_SIDE) + 1} kinds of user, "
        f"{scan.unexpected_2xx} unexpected 2xx, {scan.foreign_ids} foreign ids in lists, "
        f"{len(scan.leaks)} leaks ({scan.seen_own} answers showed the user's own objects)"
    )
    assert scan.seen_own > 20, "the scan never saw the users' own objects: it cannot see leaks"
    assert not scan.leaks, "\n".join(scan.leaks[:50])


def test_a_developer_contact_sees_only_what_was_shared_with_them(two_worlds, client):
    """devon, a developer contact of `frontier`, finds in no answer an id or a text of anything
    not shared with him: no project, run, sample, job or system in an API list, no finding or
    report version but the shared ones, nothing of the foreign world."""
    from evaluations.models import Report
    from institutes import access

    w = two_worlds
    devon = w.users["developer"]
    shared_findings = set(access.developer_shared_findings(devon).values_list("pk", flat=True))
    shared_reports = set(access.developer_shared_reports(devon).values_list("pk", flat=True))
    forbidden = {model: set(ids) for model, ids in a_side_ids(w).items()}
    for model, ids in foreign_ids(w).items():
        forbidden.setdefault(model, set()).update(ids)
    forbidden[Finding] -= shared_findings
    forbidden[SampleResult] = set(SampleResult.objects.values_list("pk", flat=True))
    # Titles of what was not shared (a title a shared version also bears is not a marker).
    shown = {
        *Finding.objects.filter(pk__in=shared_findings).values_list("title", flat=True),
        *Report.objects.filter(pk__in=shared_reports).values_list("title", flat=True),
    }
    unshared = {
        *Finding.objects.exclude(pk__in=shared_findings).values_list("title", flat=True),
        *Report.objects.exclude(pk__in=shared_reports).values_list("title", flat=True),
    } - shown
    scan = Scan()
    scan_as(
        w,
        "developer",
        devon,
        scan,
        markers=[FOREIGN, *sorted(unshared)],
        own=["Pre-deployment evaluation of Frontier-1"],  # his project's name, on his pages
        forbidden=forbidden,
        client=client,
    )
    figure(
        f"developer contact: {scan.requests} requests, {scan.foreign_ids} ids not shared with "
        f"them in lists, {len(scan.leaks)} leaks"
    )
    assert scan.seen_own > 0, "the scan never saw the developer's own pages"
    assert not scan.leaks, "\n".join(scan.leaks[:50])


@pytest.fixture
def embargoed(two_worlds):
    w = two_worlds
    until = timezone.now() + timedelta(days=30)
    projects = [w.project, w.rw.project]
    EvaluationProject.objects.filter(pk__in=[p.pk for p in projects]).update(embargo_until=until)
    Finding.objects.create(project=w.project, title=f"{EMBARGOED} finding", body="Under embargo.")
    add_samples(w.rw.run_a, {f"{EMBARGOED}-sample": 1.0}, input=f"{EMBARGOED} input")
    EvaluationRun.objects.filter(pk=w.rw.run_a.pk).update(inspect_task=f"{EMBARGOED}-task")
    return w, projects


def test_under_an_embargo_a_programme_manager_outside_gets_no_results(embargoed, client):
    w, projects = embargoed
    scan = Scan()
    scan_as(
        w,
        "pm",
        w.users["pm"],
        scan,
        markers=[EMBARGOED],
        own=["Pre-deployment evaluation of Frontier-1"],  # the project itself stays visible
        forbidden=embargoed_ids(projects),
        client=client,
    )
    participant = Scan()
    participant_referenced = scan_as(
        w,
        "viewer",
        w.users["viewer"],
        participant,
        markers=[],
        own=[EMBARGOED],
        forbidden={},
        client=client,
    )
    figure(
        f"embargo: {scan.requests} requests as a programme manager outside, "
        f"{len(scan.leaks)} embargoed fields or ids in answers "
        f"({participant.seen_own} answers showed them to a participating viewer)"
    )
    assert participant.seen_own > 0, "participants must still see embargoed results"
    # The job that produced an embargoed run names it to participants (the scan reads the
    # field it checks), and to nobody else.
    assert w.rw.job.run_id in participant_referenced
    assert not scan.leaks, "\n".join(scan.leaks[:50])


def test_partner_tokens_see_the_joint_project_but_act_only_for_their_institute(two_worlds):
    w = two_worlds
    api = bearer(w.dan)
    assert api.get(f"/api/v1/projects/{w.project.slug}/").status_code == 200
    response = api.post(
        "/api/v1/jobs/",
        {
            "project": w.project.slug,
            "task": w.rw.qa.slug,
            "system": w.target.pk,
            "institute": w.institute_a.code,
        },
        format="json",
    )
    assert response.status_code == 403


def test_a_revoked_token_is_refused_on_every_route(two_worlds):
    token, raw = token_create(user=two_worlds.users["lead"], name="gone", expires_in_days=1)
    token_revoke(token=token, by=None)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    statuses = {api.get(url, query).status_code for _n, url, query in api_requests(two_worlds)}
    assert statuses == {401}
