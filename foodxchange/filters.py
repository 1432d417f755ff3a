import django_filters

from foodxchange.api.fields import MAX_OBJECT_ID
from foodxchange.api.filters import DateTimeFilter
from foodxchange.models import AuditLog


class AuditLogFilter(django_filters.FilterSet):
    actor = django_filters.NumberFilter(field_name="actor_id", min_value=1, max_value=MAX_OBJECT_ID)
    actor_email = django_filters.CharFilter(field_name="actor_repr", lookup_expr="iexact")
    action = django_filters.CharFilter(field_name="action", lookup_expr="istartswith")
    target_type = django_filters.CharFilter(field_name="target_type")
    target_id = django_filters.CharFilter(field_name="target_id")
    since = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditLog
        fields = ["actor", "actor_email", "action", "target_type", "target_id", "since", "until"]
