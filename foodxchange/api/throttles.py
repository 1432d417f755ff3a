from rest_framework.throttling import ScopedRateThrottle

from foodxchange.edge import client_ip


class ScopedThrottle(ScopedRateThrottle):
    """Throttles by the view's ``throttle_scope`` (auth, search, write, upload,
    webhook); views without one are throttled as ``write`` for unsafe methods.
    Anonymous callers are told apart by ``client_ip`` (TRUSTED_PROXY_COUNT), never by a
    header a client can rotate."""

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def allow_request(self, request, view):
        if not getattr(view, "throttle_scope", None) and request.method not in ("GET", "HEAD", "OPTIONS"):
            self.scope = "write"
            self.rate = self.get_rate()
            self.num_requests, self.duration = self.parse_rate(self.rate)
            return super(ScopedRateThrottle, self).allow_request(request, view)
        return super().allow_request(request, view)
