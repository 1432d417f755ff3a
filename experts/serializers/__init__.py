"""HTTP shapes of the experts endpoints, one module per concern. Everything stays
importable from ``experts.serializers``."""

from experts.serializers.availability import (
    AvailabilityExceptionSerializer,
    AvailabilityQuerySerializer,
    AvailabilityRuleSerializer,
    AvailabilitySerializer,
    AvailabilityWriteSerializer,
    SlotSerializer,
)
from experts.serializers.dashboard import (
    CompletenessSerializer,
    ExpertAnalyticsMonthSerializer,
    ExpertAnalyticsQuerySerializer,
    ExpertAnalyticsSerializer,
    ExpertAnalyticsTotalsSerializer,
    ExpertDashboardSerializer,
)
from experts.serializers.expert_services import (
    ServiceSerializer,
)
from experts.serializers.profiles import (
    MONEY,
    CertificationSerializer,
    ExpertListSerializer,
    ExpertProfileSerializer,
    PhotoResponseSerializer,
    PhotoUploadSerializer,
    ProfileUpdateSerializer,
    SpecializationSerializer,
    photo_url,
    photo_url_of,
)
from experts.serializers.verification import (
    DocumentSerializer,
    DocumentUploadSerializer,
    VerificationCreateSerializer,
    VerificationDecisionSerializer,
    VerificationSerializer,
)

__all__ = [
    "MONEY",
    "AvailabilityExceptionSerializer",
    "AvailabilityQuerySerializer",
    "AvailabilityRuleSerializer",
    "AvailabilitySerializer",
    "AvailabilityWriteSerializer",
    "CertificationSerializer",
    "CompletenessSerializer",
    "DocumentSerializer",
    "DocumentUploadSerializer",
    "ExpertAnalyticsMonthSerializer",
    "ExpertAnalyticsQuerySerializer",
    "ExpertAnalyticsSerializer",
    "ExpertAnalyticsTotalsSerializer",
    "ExpertDashboardSerializer",
    "ExpertListSerializer",
    "ExpertProfileSerializer",
    "PhotoResponseSerializer",
    "PhotoUploadSerializer",
    "ProfileUpdateSerializer",
    "ServiceSerializer",
    "SlotSerializer",
    "SpecializationSerializer",
    "VerificationCreateSerializer",
    "VerificationDecisionSerializer",
    "VerificationSerializer",
    "photo_url",
    "photo_url_of",
]
