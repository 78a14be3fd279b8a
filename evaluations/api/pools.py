"""REST API for institutes' worker pools (routed in `config/api_urls.py`); what the pools' own
workers call is `evaluations.api.worker`.

/api/v1/worker-pools/                     GET the pools of the institutes you lead; POST create one
                                          (the answer holds its credential, once)
/api/v1/worker-pools/<id>/                GET
/api/v1/worker-pools/<id>/revoke/         POST: the credential stops working at once
/api/v1/worker-pools/<id>/make-default/   POST: the pool runs the institute's jobs by default
and, for the projects API's `worker-pools` action (/api/v1/projects/<slug>/worker-pools/), which
pool runs each participating institute's jobs: GET, and POST to choose one (`pool` null: the
institute's default, else Concord's own workers).

Pools exist only for their institute's leads and programme managers (anyone else: 404); the
services decide who may do what (403) and what is valid (400).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.inputs import SlugRelatedField, validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from evaluations.models import Participation, WorkerPool
from evaluations.selectors.pools import participations_with_pools, pools_managed_by
from evaluations.services import pools as pool_services
from institutes import access
from institutes.models import Institute, User


class WorkerPoolSerializer(serializers.ModelSerializer):
    institute: serializers.SlugRelatedField[Institute] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = WorkerPool
        fields = [
            "id",
            "institute",
            "name",
            "description",
            "is_default",
            "is_active",
            "credential_prefix",
            "created_by",
            "created_at",
            "last_seen_at",
            "revoked_at",
        ]
        read_only_fields = fields


class WorkerPoolWithCredentialSerializer(WorkerPoolSerializer):
    credential = serializers.SerializerMethodField(
        help_text="The pool's credential for `concord worker` (CONCORD_WORKER_TOKEN). Shown in "
        "this answer only: Concord keeps its hash."
    )

    class Meta(WorkerPoolSerializer.Meta):
        fields = [*WorkerPoolSerializer.Meta.fields, "credential"]
        read_only_fields = fields

    def get_credential(self, obj) -> str:
        return self.context["credential"]


class WorkerPoolCreateSerializer(serializers.Serializer):
    institute = SlugRelatedField(
        slug_field="code",
        queryset=Institute.objects.all(),
        scope=lambda user, queryset: queryset.filter(pk__in=access.manageable_institutes(user)),
        required=False,
        help_text="Code of the institute (one you lead); by default the one institute you lead.",
    )
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    is_default = serializers.BooleanField(required=False, default=False)


class ParticipationPoolSerializer(serializers.ModelSerializer):
    institute: serializers.SlugRelatedField[Institute] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    pool = serializers.SerializerMethodField(help_text="The pool the project chose, or null.")
    runs_on = serializers.SerializerMethodField(
        help_text="Where the institute's new jobs run: the pool's name, or `concord` (Concord's "
        "own workers)."
    )

    class Meta:
        model = Participation
        fields = ["institute", "pool", "runs_on"]
        read_only_fields = fields

    def get_pool(self, obj) -> int | None:
        return obj.worker_pool_id

    def get_runs_on(self, obj) -> str:
        pool = self.context["runs_on"].get(obj.institute_id)
        return pool.name if pool is not None else "concord"


class ParticipationPoolInputSerializer(serializers.Serializer):
    institute = SlugRelatedField(
        slug_field="code", queryset=Institute.objects.all(), help_text="A participant's code."
    )
    pool = serializers.IntegerField(
        allow_null=True, help_text="Id of an active pool of that institute; null: its default."
    )


def _default_institute(user) -> Institute:
    led = list(access.manageable_institutes(user)[:2])
    if len(led) == 1 and not access.is_programme_manager(user):
        return led[0]
    access.require(bool(led), "Only an institute's leads and programme managers make its pools.")
    raise ValidationError({"institute": "Name the institute (its code) the pool is for."})


@extend_schema_view(
    list=extend_schema(summary="Worker pools of the institutes you lead"),
    retrieve=extend_schema(summary="A worker pool (never its credential)"),
)
@extend_schema(tags=["worker pools"])
class WorkerPoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """An institute's worker pools: its machines, running its jobs with `concord worker`."""

    permission_classes = SIGNED_IN
    serializer_class = WorkerPoolSerializer
    parser_classes = [JSONParser]
    ordering_fields = ["created_at", "name"]
    ordering = ["institute__code", "name"]

    def get_queryset(self):
        return pools_managed_by(self.request.user)

    @extend_schema(
        summary="Create a worker pool (its credential is in this answer only)",
        request=WorkerPoolCreateSerializer,
        responses={201: WorkerPoolWithCredentialSerializer},
    )
    def create(self, request, *args, **kwargs):
        access.require(
            access.manageable_institutes(request.user).exists(),
            "Only an institute's leads and programme managers make its pools.",
        )
        data = validated_input(WorkerPoolCreateSerializer, request)
        institute = data.pop("institute", None) or _default_institute(request.user)
        pool, credential = pool_services.pool_create(institute=institute, by=request.user, **data)
        body = WorkerPoolWithCredentialSerializer(pool, context={"credential": credential}).data
        return Response(body, status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke a pool: its credential stops working at once", request=None)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        pool = pool_services.pool_revoke(pool=self.get_object(), by=request.user)
        return Response(self.get_serializer(pool).data)

    @extend_schema(summary="Make a pool its institute's default", request=None)
    @action(detail=True, methods=["post"], url_path="make-default", url_name="make-default")
    def make_default(self, request, pk=None):
        pool = pool_services.pool_set_default(pool=self.get_object(), by=request.user)
        return Response(self.get_serializer(pool).data)


def project_pools(project) -> Any:
    """Where each participating institute's jobs run in the project (serialized rows)."""
    participations = list(participations_with_pools(project))
    runs_on = pool_services.pools_for(
        project=project, institutes=[p.institute_id for p in participations]
    )
    return ParticipationPoolSerializer(participations, many=True, context={"runs_on": runs_on}).data


def project_pool_choose(request, project) -> None:
    """A project lead chooses the pool that runs an institute's jobs (the projects API's
    `worker-pools` action)."""
    access.require(
        access.can_manage(request.user, project),
        f"Only the leads of '{project.slug}' choose where its jobs run.",
    )
    data = validated_input(ParticipationPoolInputSerializer, request)
    pool = None
    if data["pool"] is not None:
        pool = WorkerPool.objects.filter(pk=data["pool"]).first()
        if pool is None:
            raise ValidationError({"pool": f"No worker pool has the id {data['pool']}."})
    pool_services.participation_set_pool(
        user=request.user, project=project, institute=data["institute"], pool=pool
    )
