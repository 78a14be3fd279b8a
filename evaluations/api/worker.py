"""`/api/v1/worker/`: the API that `concord worker` speaks for an institute's worker pool.

Authenticated by the pool's credential only (`evaluations.api.worker_auth`); a job of another
pool is a 404. Every request names its worker in `X-Concord-Worker: <host>:<pid>`, recorded on
the job.

- `POST claim/` `{"wait": 20}`: 200 with a job (long poll up to the wait, capped at
  CONCORD_WORKER_LONG_POLL_SECONDS) or 204 when none came.
- `POST jobs/<id>/heartbeat/` `{"attempt", "progress_done", "progress_total"}`: 200
  `{"cancel": bool}`; 409 when the attempt is not held any more.
- `PUT jobs/<id>/log/?attempt=<n>` (the `.eval` as the raw body, `X-Concord-Eval-Id`): 201 stored,
  200 stored before (idempotent); 409 not held; 413 past CONCORD_MAX_UPLOAD_BYTES.
- `POST jobs/<id>/finish/` `{"attempt", "status", "error", "eval_id", "exit"}`: 202; the log is
  ingested on the `ingest` queue. A repeated finish is a 202 that changes nothing.

The rules live in `evaluations.services.pool_jobs`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.schema import ErrorSerializer
from evaluations.api.worker_auth import IsWorkerPool, PerPoolRateThrottle, WorkerPoolAuthentication
from evaluations.services import pool_jobs

INT_MAX = 2**31 - 1


class NotHeldError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_held"
    default_detail = "This job's attempt is not held by this pool any more: abandon it."


class LogTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class RawLogParser(BaseParser):
    """The `.eval` file as the raw body: read as a stream by the service, never parsed here."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover
        return {}


CONFLICT = OpenApiResponse(ErrorSerializer, description="The attempt is not held any more.")


class ClaimInput(serializers.Serializer):
    wait = serializers.FloatField(
        required=False,
        default=0.0,
        min_value=0.0,
        max_value=3600.0,
        help_text="Seconds to wait for a job (capped at CONCORD_WORKER_LONG_POLL_SECONDS).",
    )


class JobSpecSerializer(serializers.Serializer):
    ref = serializers.CharField()
    task_args = serializers.DictField()
    eval_kwargs = serializers.DictField()
    api_key_env = serializers.CharField(
        allow_blank=True,
        help_text="The environment variable holding the model's key on the worker's machine.",
    )


class ClaimedJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    attempt = serializers.IntegerField()
    heartbeat_seconds = serializers.FloatField()
    time_limit_seconds = serializers.FloatField()
    cancel_grace_seconds = serializers.FloatField()
    spec = JobSpecSerializer()


class ClaimSerializer(serializers.Serializer):
    job = ClaimedJobSerializer()


class HeartbeatInput(serializers.Serializer):
    attempt = serializers.IntegerField(min_value=1, max_value=INT_MAX)
    progress_done = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=INT_MAX
    )
    progress_total = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=INT_MAX
    )


class HeartbeatSerializer(serializers.Serializer):
    cancel = serializers.BooleanField(help_text="Someone cancelled the job: stop and report it.")


class FinishInput(serializers.Serializer):
    attempt = serializers.IntegerField(min_value=1, max_value=INT_MAX)
    status = serializers.ChoiceField(choices=pool_jobs.FINISH_STATUSES)
    error = serializers.CharField(required=False, default="", allow_blank=True, max_length=20000)
    eval_id = serializers.CharField(
        required=False, default=None, allow_null=True, allow_blank=True, max_length=100
    )
    exit = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)


class LogStoredSerializer(serializers.Serializer):
    stored = serializers.BooleanField(help_text="True the first time; false when stored before.")
    name = serializers.CharField()


class FinishSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()


def _worker(request) -> str:
    return (request.headers.get("X-Concord-Worker") or "")[:200]


class _WorkerAPI(viewsets.ViewSet):
    authentication_classes = [WorkerPoolAuthentication]
    permission_classes = [IsWorkerPool]
    throttle_classes = [PerPoolRateThrottle]
    parser_classes = [JSONParser]

    def _call(self, function, **kwargs):
        try:
            return function(pool=self.request.auth, **kwargs)
        except pool_jobs.NotHeld as exc:
            raise NotHeldError(str(exc)) from exc
        except pool_jobs.UploadTooLarge as exc:
            raise LogTooLarge(str(exc)) from exc


class WorkerClaimViewSet(_WorkerAPI):
    @extend_schema(
        operation_id="worker_claim",
        request=ClaimInput,
        responses={
            200: ClaimSerializer,
            204: OpenApiResponse(description="No job of this pool came within the wait."),
        },
    )
    @action(detail=False, methods=["post"])
    def claim(self, request):
        """Take the pool's oldest queued job, waiting for one up to `wait` seconds."""
        data = validated_input(ClaimInput, request)
        job = self._call(pool_jobs.pool_claim, worker=_worker(request), wait=data["wait"])
        if job is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response({"job": pool_jobs.job_spec(job)})


class WorkerJobViewSet(_WorkerAPI):
    lookup_value_regex = r"\d+"

    @extend_schema(
        operation_id="worker_job_heartbeat",
        request=HeartbeatInput,
        responses={200: HeartbeatSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def heartbeat(self, request, pk=None):
        """The worker still runs this attempt; its progress. Answers whether to cancel."""
        data = validated_input(HeartbeatInput, request)
        cancel = self._call(
            pool_jobs.pool_job_heartbeat, job_id=int(pk), worker=_worker(request), **data
        )
        return Response({"cancel": cancel})

    @extend_schema(
        operation_id="worker_job_log",
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("attempt", int, required=True, description="The attempt held."),
            OpenApiParameter(
                "X-Concord-Eval-Id",
                str,
                location=OpenApiParameter.HEADER,
                required=True,
                description="The log's eval id.",
            ),
        ],
        responses={
            200: LogStoredSerializer,
            201: LogStoredSerializer,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["put"], parser_classes=[RawLogParser])
    def log(self, request, pk=None):
        """Upload the attempt's Inspect log (`.eval`) as the raw body. Idempotent by eval id."""
        try:
            attempt = int(request.query_params.get("attempt", ""))
        except ValueError as exc:
            raise ValidationError({"attempt": "Give the attempt as ?attempt=<n>."}) from exc
        if not 1 <= attempt <= INT_MAX:
            raise ValidationError({"attempt": "Give the attempt as ?attempt=<n>."})
        length = request.headers.get("Content-Length")
        eval_id = request.headers.get("X-Concord-Eval-Id", "")
        created = self._call(
            pool_jobs.pool_job_store_log,
            job_id=int(pk),
            attempt=attempt,
            eval_id=eval_id,
            stream=request._request,
            length=int(length) if length and length.isdigit() else None,
        )
        return Response(
            {"stored": created, "name": f"jobs/{pk}/attempt-{attempt}/{eval_id}.eval"},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        operation_id="worker_job_finish",
        request=FinishInput,
        responses={202: FinishSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """The attempt ended: Concord ingests its log (queue `ingest`) and sets the job's status."""
        data = validated_input(FinishInput, request)
        self._call(pool_jobs.pool_job_finish, job_id=int(pk), **data)
        return Response({"accepted": True}, status=status.HTTP_202_ACCEPTED)
