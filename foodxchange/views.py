from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from foodxchange import selectors, services
from foodxchange.api.permissions import IsOperationsStaff, IsSupportOrOperationsStaff
from foodxchange.api.schema import error_responses
from foodxchange.filters import AuditLogFilter
from foodxchange.models import AuditLog
from foodxchange.serializers import AuditLogSerializer, MaintenanceSerializer


def health(request):
    """Liveness: 200 while the process can answer."""
    return JsonResponse({"status": "ok"})


def ready(request):
    """Readiness: 200 only when every dependency answers; 503 names what failed."""
    checks = selectors.readiness()
    failed = {name: reason for name, reason in checks.items() if reason}
    body = {
        "status": "ready" if not failed else "unavailable",
        "checks": {name: ("ok" if not reason else "failed") for name, reason in checks.items()},
    }
    if failed:
        body["error"] = {
            "code": "not_ready",
            "message": "Not ready: " + ", ".join(sorted(failed)) + " unavailable.",
            "details": failed,
        }
        return JsonResponse(body, status=503)
    return JsonResponse(body)


# Staff areas: status, config and maintenance are operations'; the audit log is read by
# support (who changed this lead?) and operations (who restored, who switched maintenance).
class SystemStatusView(APIView):
    permission_classes = [IsOperationsStaff]

    @extend_schema(
        summary="Versions, uptime, queue depth, last backup, error rate",
        responses={200: OpenApiResponse(description="System status"), **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(selectors.system_status())


class SystemConfigView(APIView):
    permission_classes = [IsOperationsStaff]

    @extend_schema(
        summary="Effective settings, secrets redacted",
        responses={200: OpenApiResponse(description="Settings by name"), **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(selectors.effective_config())


class MaintenanceView(APIView):
    permission_classes = [IsOperationsStaff]

    @extend_schema(summary="Current maintenance mode", responses={200: MaintenanceSerializer})
    def get(self, request):
        return Response(services.get_maintenance())

    @extend_schema(
        summary="Switch maintenance mode; while on, non-staff writes get 503",
        request=MaintenanceSerializer,
        responses={200: MaintenanceSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = MaintenanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.set_maintenance(actor=request.user, request=request, **serializer.validated_data)
        return Response({"enabled": row.enabled, "message": row.message}, status=status.HTTP_200_OK)


class AuditLogListView(generics.ListAPIView):
    """The audit log, newest first; filter by actor, action, target and time."""

    permission_classes = [IsSupportOrOperationsStaff]
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilter
    queryset = AuditLog.objects.all()

    @extend_schema(
        summary="Audit log", responses={200: AuditLogSerializer(many=True), **error_responses(400, 401, 403)}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
