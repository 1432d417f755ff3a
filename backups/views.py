"""The ``/api/v1/backup/*`` endpoints: staff with the ``operations`` area only. Anything
that does work is queued as a Celery task and answered with 202 and the id to poll at
``/backup/status?id=``."""

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backups import selectors, services
from backups.models import Backup, BackupJob
from backups.serializers import (
    BackupJobSerializer,
    BackupOverviewSerializer,
    BackupSerializer,
    DisasterRecoveryRequestSerializer,
    RestoreRequestSerializer,
    StatusQuerySerializer,
)
from foodxchange.api.permissions import IsOperationsStaff
from foodxchange.api.schema import error_responses
from foodxchange.errors import Conflict, NotFound


def _queue_job(request, *, kind: str, backup: Backup | None = None) -> Response:
    job = services.request_job(kind=kind, user=request.user, backup=backup, request=request)
    return Response(BackupJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class VerifyQuerySerializer(serializers.Serializer):
    fresh = serializers.BooleanField(
        default=False, help_text="Queue a new verification even when a recent verdict exists."
    )


class BackupCreateView(APIView):
    permission_classes = [IsOperationsStaff]

    @extend_schema(
        summary="Start a full backup (database and media)",
        description="Queues the backup; answers 202 with the pending backup. Poll `status_url`.",
        request=None,
        responses={202: BackupSerializer, **error_responses(401, 403, 429)},
    )
    def post(self, request):
        backup = services.request_backup(kind=Backup.Kind.MANUAL, user=request.user, request=request)
        return Response(BackupSerializer(backup).data, status=status.HTTP_202_ACCEPTED)


class BackupListView(generics.ListAPIView):
    permission_classes = [IsOperationsStaff]
    serializer_class = BackupSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        return Backup.objects.select_related("created_by").order_by("-created_at")

    @extend_schema(
        summary="Backups, newest first", responses={200: BackupSerializer(many=True), **error_responses(400, 401, 403)}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BackupStatusView(APIView):
    permission_classes = [IsOperationsStaff]

    @extend_schema(
        summary="Backup status: overview, or one backup or job by id",
        parameters=[OpenApiParameter("id", str, description="A backup id or a job id (UUID).")],
        responses={
            200: PolymorphicProxySerializer(
                component_name="BackupStatus",
                serializers=[BackupOverviewSerializer, BackupSerializer, BackupJobSerializer],
                resource_type_field_name=None,
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request):
        query = StatusQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ident = query.validated_data.get("id")
        if ident is None:
            return Response(selectors.backup_overview())
        job = BackupJob.objects.select_related("requested_by").filter(pk=ident).first()
        if job is not None:
            return Response(BackupJobSerializer(job).data)
        backup = Backup.objects.select_related("created_by").filter(pk=ident).first()
        if backup is None:
            raise NotFound(f"No backup or backup job with id {ident}.")
        return Response(BackupSerializer(backup).data)


class BackupVerifyView(APIView):
    permission_classes = [IsOperationsStaff]
    throttle_scope = "write"  # a GET by contract, but it may queue real work

    @extend_schema(
        summary="Verify a backup by restoring it into a scratch database",
        description=(
            "Safe to poll. While a verification of this backup is queued or running, answers that same job (202). "
            "A verdict younger than `BACKUP_VERIFY_REUSE_MINUTES` is answered as the backup record (200); "
            "`?fresh=1` queues a new verification anyway. Otherwise queues one (decrypt, checksum, scratch restore, "
            "row counts vs manifest) and answers 202 with the job."
        ),
        parameters=[VerifyQuerySerializer],
        responses={
            200: BackupSerializer,
            202: BackupJobSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def get(self, request, pk):
        query = VerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        backup = Backup.objects.filter(pk=pk).first()
        if backup is None:
            raise NotFound(f"No backup with id {pk}.")
        answer = services.request_verification(
            backup=backup, user=request.user, fresh=query.validated_data["fresh"], request=request
        )
        if answer.job is None:
            return Response(BackupSerializer(answer.backup).data, status=status.HTTP_200_OK)
        return Response(BackupJobSerializer(answer.job).data, status=status.HTTP_202_ACCEPTED)


class BackupRestoreView(APIView):
    permission_classes = [IsOperationsStaff]

    @extend_schema(
        summary="Restore a backup over the live database and media",
        description=(
            "`confirm` must be the backup id. A safety backup is taken first and put back if the restore fails."
        ),
        request=RestoreRequestSerializer,
        responses={202: BackupJobSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk):
        backup = Backup.objects.filter(pk=pk).first()
        if backup is None:
            raise NotFound(f"No backup with id {pk}.")
        RestoreRequestSerializer(data=request.data, context={"backup": backup}).is_valid(raise_exception=True)
        if not backup.is_restorable:
            raise Conflict(
                f"Backup {backup.id} is {backup.status}; only a succeeded or verified backup can be restored."
            )
        return _queue_job(request, kind=BackupJob.Kind.RESTORE, backup=backup)


class DisasterRecoveryView(APIView):
    permission_classes = [IsOperationsStaff]

    @extend_schema(
        summary="Restore the newest verified backup; the job reports RPO and RTO",
        request=DisasterRecoveryRequestSerializer,
        responses={202: BackupJobSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        DisasterRecoveryRequestSerializer(data=request.data).is_valid(raise_exception=True)
        if selectors.newest_verified_backup() is None:
            raise Conflict("There is no verified backup to recover from.")
        return _queue_job(request, kind=BackupJob.Kind.DISASTER_RECOVERY)


class BackupCleanupView(APIView):
    permission_classes = [IsOperationsStaff]

    @extend_schema(
        summary="Apply the retention policy",
        description=(
            "Keeps the newest backup of each of the last N days, M weeks and K months, and the newest verified one."
        ),
        request=None,
        responses={202: BackupJobSerializer, **error_responses(401, 403)},
    )
    def post(self, request):
        return _queue_job(request, kind=BackupJob.Kind.CLEANUP)
