from rest_framework import serializers

from realtime.models import KIND_DEFAULTS, Notification, kind_title
from realtime.presence import CHOOSABLE_STATUSES
from realtime.selectors import PRESENT_STATUSES


class NotificationSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "payload", "read", "read_at", "created_at"]
        read_only_fields = fields

    def get_title(self, obj: Notification) -> str:
        return str(obj.payload.get("title") or kind_title(obj.kind))

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationListQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReadAllResponseSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read")


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField(read_only=True)
    is_default = serializers.BooleanField(read_only=True, help_text="True while the user kept the defaults")
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    whatsapp = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not any(channel in attrs for channel in ("in_app", "email", "whatsapp")):
            raise serializers.ValidationError("Give at least one of in_app, email, whatsapp.")
        return attrs


class PreferencesSerializer(serializers.Serializer):
    preferences = PreferenceSerializer(many=True, required=False)
    whatsapp_opt_in = serializers.BooleanField(
        required=False,
        help_text="Consent to WhatsApp messages; without it no WhatsApp copy is sent, whatever the channels say",
    )

    def validate(self, attrs):
        if "preferences" not in attrs and "whatsapp_opt_in" not in attrs:
            raise serializers.ValidationError({"preferences": ["This field is required."]})
        return attrs

    def validate_preferences(self, items):
        if not items:
            raise serializers.ValidationError("Give at least one kind.")
        kinds = [item["kind"] for item in items]
        duplicates = sorted({k for k in kinds if kinds.count(k) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Each kind may appear once; repeated: {', '.join(duplicates)}.")
        user = self.context["user"]
        received = set(Notification.objects.filter(user=user, kind__in=kinds).values_list("kind", flat=True))
        unknown = [k for k in kinds if k not in KIND_DEFAULTS and k not in received]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown notification kind(s): {', '.join(unknown)}. Known: {', '.join(KIND_DEFAULTS)}."
            )
        return items


class PresenceUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CHOOSABLE_STATUSES)


class PresenceResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=CHOOSABLE_STATUSES, help_text="What others see (offline while no socket is connected)"
    )
    chosen = serializers.ChoiceField(choices=CHOOSABLE_STATUSES)
    connected = serializers.BooleanField(help_text="Whether the expert has a live socket")


class SpecializationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class PresentExpertSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    expert_profile_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=PRESENT_STATUSES)
    last_seen = serializers.DateTimeField(allow_null=True)
    specializations = SpecializationRefSerializer(many=True)


class PresentExpertsQuerySerializer(serializers.Serializer):
    specialization = serializers.CharField(required=False, help_text="Specialization slug or id")
    status = serializers.ChoiceField(choices=PRESENT_STATUSES, required=False)


class ChannelLayerHealthSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    backend = serializers.CharField(allow_null=True)
    latency_ms = serializers.FloatField(allow_null=True, help_text="Send/receive round trip on the layer")
    error = serializers.CharField(allow_null=True)


class RealtimeStatusSerializer(serializers.Serializer):
    channel_layer = ChannelLayerHealthSerializer()
    connected_users = serializers.IntegerField(help_text="Users with at least one live socket")
    presence_store = serializers.CharField()
    heartbeat_interval = serializers.IntegerField()
    presence_timeout = serializers.IntegerField()
