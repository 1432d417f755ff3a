"""The ``/api/v1/backup/*`` endpoints: admins only. Anything that does work is queued
as a Celery task and answered with 202 and the id to poll at ``/backup/status?id=``."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
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
from foodxchange.api.errors import Conflict
from foodxchange.api.permissions import IsAdmin
from foodxchange.api.schema import error_responses


def _queue_job(request, *, kind: str, backup: Backup | None = None) -> Response:
    try:
        job = services.request_job(kind=kind, user=request.user, backup=backup, request=request)
    except services.OperationInProgress as exc:
        raise Conflict(str(exc))
    return Response(BackupJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class BackupCreateView(APIView):
    permission_classes = [IsAdmin]

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
    permission_classes = [IsAdmin]
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
    permission_classes = [IsAdmin]

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
    permission_classes = [IsAdmin]
    throttle_scope = "write"  # a GET by contract, but it queues real work

    @extend_schema(
        summary="Verify a backup by restoring it into a scratch database",
        description=(
            "Queues the verification (decrypt, checksum, scratch restore, row counts vs manifest); 202 with the job."
        ),
        responses={202: BackupJobSerializer, **error_responses(401, 403, 404, 409)},
    )
    def get(self, request, pk):
        backup = get_object_or_404(Backup, pk=pk)
        if not backup.storage_name or backup.status not in (*Backup.RESTORABLE, Backup.Status.VERIFICATION_FAILED):
            raise Conflict(f"Backup {backup.id} is {backup.status}; only a completed backup can be verified.")
        return _queue_job(request, kind=BackupJob.Kind.VERIFY, backup=backup)


class BackupRestoreView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Restore a backup over the live database and media",
        description=(
            "`confirm` must be the backup id. A safety backup is taken first and put back if the restore fails."
        ),
        request=RestoreRequestSerializer,
        responses={202: BackupJobSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk):
        backup = get_object_or_404(Backup, pk=pk)
        RestoreRequestSerializer(data=request.data, context={"backup": backup}).is_valid(raise_exception=True)
        if not backup.is_restorable:
            raise Conflict(
                f"Backup {backup.id} is {backup.status}; only a succeeded or verified backup can be restored."
            )
        return _queue_job(request, kind=BackupJob.Kind.RESTORE, backup=backup)


class DisasterRecoveryView(APIView):
    permission_classes = [IsAdmin]

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
    permission_classes = [IsAdmin]

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
