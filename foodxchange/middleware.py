from typing import Any

from django.http import HttpResponseBadRequest
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from foodxchange.api.errors import json_error
from foodxchange.edge import NUL_MESSAGE, find_nul, is_valid_request_id
from foodxchange.services import get_maintenance

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Staff must still be able to sign in and switch maintenance off.
MAINTENANCE_EXEMPT_PREFIXES = (
    "/admin/",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/2fa/verify",
    "/api/v1/system/maintenance",
)


def _is_staff(request) -> bool:
    user: Any = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return bool(user.is_staff)
    try:
        result = JWTAuthentication().authenticate(request)
    except (InvalidToken, TokenError):
        return False
    found: Any = result[0] if result else None
    return bool(found and (found.is_staff or found.role == "admin"))


class MaintenanceModeMiddleware:
    """While maintenance is on, writes by anyone but staff answer 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS and not request.path.startswith(MAINTENANCE_EXEMPT_PREFIXES):
            state = get_maintenance()
            if state["enabled"] and not _is_staff(request):
                response = json_error(
                    503,
                    "maintenance",
                    state["message"] or "The marketplace is under maintenance; please try again shortly.",
                )
                response["Retry-After"] = "300"
                return response
        return self.get_response(request)


REQUEST_ID_META = "HTTP_X_REQUEST_ID"


def _header_name(meta_key: str) -> str:
    return "-".join(part.capitalize() for part in meta_key.removeprefix("HTTP_").split("_"))


def _nul_field(request) -> str | None:
    """Where a NUL byte sits in the path, the query string or a header (the body is the
    API parsers' part: ``foodxchange.api.parsers``)."""
    if "\x00" in request.path_info:
        return "path"
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        found = find_nul(request.GET)
        if found:
            return found
    for key, value in request.META.items():
        if (key.startswith("HTTP_") or key == "CONTENT_TYPE") and isinstance(value, str) and "\x00" in value:
            return _header_name(key)
    return None


class EdgeMiddleware:
    """First in the chain: a bad ``X-Request-ID`` is dropped (a fresh id is made by the
    request-id middleware after this one) and any NUL byte in the path, the query
    string or a header is refused with a 400 before it can reach the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get(REQUEST_ID_META)
        if request_id is not None and not is_valid_request_id(request_id):
            del request.META[REQUEST_ID_META]
        field = _nul_field(request)
        if field is not None:
            if request.path.startswith("/admin/"):
                return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain")
            return json_error(400, "validation_error", f"Invalid input: {NUL_MESSAGE}", {field: [NUL_MESSAGE]})
        return self.get_response(request)
