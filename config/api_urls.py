"""The REST API: every /api/v1/ resource, listed here, plus the OpenAPI 3 schema and the locally
served Swagger UI."""

from django.urls import include, path, re_path
from rest_framework.routers import APIRootView, DefaultRouter

from config.api.permissions import SIGNED_IN
from config.api.views import RouteNotFoundView, SchemaView, SwaggerUIView
from evaluations.api.agreement import QueueAgreementViewSet
from evaluations.api.corrected import ProjectCorrectedResultsViewSet
from evaluations.api.developer_contacts import ProjectDeveloperContactViewSet
from evaluations.api.external_runs import ExternalRunViewSet
from evaluations.api.findings import FindingViewSet
from evaluations.api.guidelines import GuidelineViewSet
from evaluations.api.imports import RunImportViewSet
from evaluations.api.jobs import JobViewSet, TaskViewSet
from evaluations.api.pools import WorkerPoolViewSet
from evaluations.api.projects import ProjectViewSet, SystemViewSet
from evaluations.api.reports import ReportViewSet
from evaluations.api.results import ProjectResultsViewSet
from evaluations.api.review_queues import ReviewQueueViewSet
from evaluations.api.runs import RunSampleViewSet, RunViewSet
from evaluations.api.worker import WorkerClaimViewSet, WorkerJobViewSet
from exchanges.api import ExchangeViewSet
from institutes.api import InstituteViewSet
from webhooks.api import WebhookViewSet


class SignedInAPIRootView(APIRootView):
    """The index of the API's resources: for signed-in users, like every data endpoint."""

    permission_classes = SIGNED_IN


class Router(DefaultRouter):
    APIRootView = SignedInAPIRootView
    # The API answers JSON only, so `.json` suffixes add nothing, and nested @action routes
    # (e.g. projects/<slug>/access-windows/<id>.json) passed `format` to views that do not take
    # it: a 500 for any signed-in user.
    include_format_suffixes = False


router = Router()
router.register("institutes", InstituteViewSet, basename="institute")
router.register("projects", ProjectViewSet, basename="project")
# A project's results corrected by reviews (list only); before "results", which it extends.
router.register(
    r"projects/(?P<slug>[^/.]+)/results/corrected",
    ProjectCorrectedResultsViewSet,
    basename="project-results-corrected",
)
# A project's results matrix, sliced by sample metadata with ?by= (list only).
router.register(
    r"projects/(?P<slug>[^/.]+)/results", ProjectResultsViewSet, basename="project-results"
)
# How a review queue's LLM judges agree with its reviewers (list only); before "review-queues".
router.register(
    r"review-queues/(?P<queue_id>\d+)/agreement",
    QueueAgreementViewSet,
    basename="review-queue-agreement",
)
# A project's developer contacts: people of the AI developer who see what it shares with them.
router.register(
    r"projects/(?P<slug>[^/.]+)/developer-contacts",
    ProjectDeveloperContactViewSet,
    basename="project-developer-contact",
)
# A project's joint report versions, by number.
router.register(r"projects/(?P<slug>[^/.]+)/reports", ReportViewSet, basename="project-report")
router.register("systems", SystemViewSet, basename="system")
router.register("guidelines", GuidelineViewSet, basename="guideline")
router.register("findings", FindingViewSet, basename="finding")
router.register("tasks", TaskViewSet, basename="task")
router.register("jobs", JobViewSet, basename="job")
# Before "runs": a URL is matched in this order, and the runs detail route would read "import"
# as a run id.
router.register("runs/import", RunImportViewSet, basename="run-import")
router.register("runs", RunViewSet, basename="run")
router.register(r"runs/(?P<run_id>\d+)/samples", RunSampleViewSet, basename="run-sample")
router.register("external-runs", ExternalRunViewSet, basename="external-run")
# Review queues (a queue's agreement routes, "review-queues/<id>/agreement", go before this).
router.register("review-queues", ReviewQueueViewSet, basename="review-queue")
router.register("exchanges", ExchangeViewSet, basename="exchange")
router.register("webhooks", WebhookViewSet, basename="webhook")
# Institutes' worker pools (`concord worker`): pool credentials only.
router.register("worker-pools", WorkerPoolViewSet, basename="worker-pool")
router.register("worker/jobs", WorkerJobViewSet, basename="worker-job")
router.register("worker", WorkerClaimViewSet, basename="worker")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", SwaggerUIView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: any other /api/ address answers in the API's error shape.
    re_path(r"^[\s\S]*$", RouteNotFoundView.as_view(), name="api-not-found"),
]
