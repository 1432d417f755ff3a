from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from foodxchange.api.errors import json_error
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
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.is_staff
    try:
        result = JWTAuthentication().authenticate(request)
    except (InvalidToken, TokenError):
        return False
    return bool(result and (result[0].is_staff or result[0].role == "admin"))


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
