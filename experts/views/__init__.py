"""HTTP layer of the experts endpoints (validate, call a service or selector, shape the
response), one module per concern. Everything stays importable from ``experts.views``."""

from experts.views.availability import (
    AvailabilityView,
)
from experts.views.common import TAGS, own_profile, profile_payload, reload_profile
from experts.views.expert_services import (
    ServiceDetailView,
    ServiceListView,
)
from experts.views.profiles import (
    AnalyticsView,
    DashboardView,
    OwnProfileView,
    PhotoView,
    PublicProfileView,
)
from experts.views.verification import (
    DocumentView,
    VerificationDecideView,
    VerificationView,
)

__all__ = [
    "TAGS",
    "AnalyticsView",
    "AvailabilityView",
    "DashboardView",
    "DocumentView",
    "OwnProfileView",
    "PhotoView",
    "PublicProfileView",
    "ServiceDetailView",
    "ServiceListView",
    "VerificationDecideView",
    "VerificationView",
    "own_profile",
    "profile_payload",
    "reload_profile",
]
