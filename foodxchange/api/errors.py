"""One error shape for every API failure:
``{"error": {"code": "...", "message": "...", "details": {...}}}``."""

import logging
import math

from django.http import JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from foodxchange import errors as domain

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable."
    default_code = "service_unavailable"


class TooManyAttempts(exceptions.Throttled):
    """429 with our own message (no DRF "Expected available in…" suffix)."""

    default_code = "locked_out"

    def __init__(self, detail: str | None = None, wait: float | None = None):
        exceptions.APIException.__init__(self, detail or "Too many attempts.", self.default_code)
        self.wait = None if wait is None else math.ceil(wait)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def json_error(status_code: int, code: str, message: str, details: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status_code)


def _first_message(detail) -> str:
    """The first human-readable message inside a nested DRF error detail."""
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
        return ""
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def domain_error_response(exc: domain.DomainError) -> Response:
    """The envelope for a domain error raised by a service or selector."""
    details = dict(exc.details)
    if isinstance(exc, domain.InvalidInput):
        details = exc.field_errors
        first = _first_message(details)
        message = exc.message
        if exc.message == exc.default_message and first:
            message = f"Invalid input: {first}"
    else:
        message = exc.message
    response = Response(error_body(exc.code, message, details), status=exc.http_status)
    if isinstance(exc, domain.TooManyAttempts) and exc.retry_after_seconds is not None:
        response["Retry-After"] = str(int(exc.retry_after_seconds))
    return response


def exception_handler(exc, context):
    if isinstance(exc, domain.DomainError):
        return domain_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: Django's handler500 answers with the same envelope

    detail = getattr(exc, "detail", response.data)
    if isinstance(exc, exceptions.ValidationError):
        details = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        first = _first_message(details)
        message = f"Invalid input: {first}" if first else "Invalid input."
        body = error_body("validation_error", message, details)
    else:
        code = getattr(exc, "default_code", "error")
        if isinstance(detail, dict):
            # simplejwt's InvalidToken carries {"detail", "code", "messages"}
            message = str(detail.get("detail", _first_message(detail)))
            code = str(detail.get("code", code))
            details = {k: v for k, v in detail.items() if k not in ("detail", "code")}
        else:
            message = str(detail)
            details = {}
            if hasattr(detail, "code") and detail.code:
                code = detail.code
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details["retry_after_seconds"] = int(exc.wait)
        body = error_body(code, message, details)
    response.data = body
    return response


def _wants_json(request) -> bool:
    return not request.path.startswith("/admin/")


def handler400(request, exception=None):
    if not _wants_json(request):
        return defaults.bad_request(request, exception)
    return json_error(400, "bad_request", "The request could not be understood.")


def handler403(request, exception=None):
    if not _wants_json(request):
        return defaults.permission_denied(request, exception)
    return json_error(403, "permission_denied", "You do not have permission to perform this action.")


def handler404(request, exception=None):
    if not _wants_json(request):
        return defaults.page_not_found(request, exception)
    return json_error(404, "not_found", f"No resource at {request.path}.")


def handler500(request):
    if not _wants_json(request):
        return defaults.server_error(request)
    return json_error(500, "server_error", "An unexpected error occurred; it has been logged.")


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """The catch-all under ``/api/``: JSON 404 for every method. CSRF-exempt, or Django's
    CSRF check would answer a POST to an unknown path with its HTML 403 page."""
    return json_error(404, "not_found", f"No resource at {request.path}.")


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: the admin keeps Django's page, everything else gets JSON."""
    if not _wants_json(request):
        return csrf.csrf_failure(request, reason=reason)
    return json_error(403, "csrf_failed", f"CSRF verification failed: {reason or 'no token'}.")
