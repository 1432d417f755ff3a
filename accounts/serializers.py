from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import serializers

from accounts.models import User
from accounts.services import DUPLICATE_EMAIL_MESSAGE
from foodxchange.geo import validate_timezone


class UserSerializer(serializers.ModelSerializer):
    two_factor_enabled = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "role", "two_factor_enabled", "timezone"]
        read_only_fields = fields

    def get_two_factor_enabled(self, user: User) -> bool:
        return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    role = serializers.CharField()
    timezone = serializers.CharField(required=False, default="UTC", validators=[validate_timezone])

    SELF_SERVICE_ROLES = (User.Role.CLIENT, User.Role.EXPERT, User.Role.AGENT)

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError(DUPLICATE_EMAIL_MESSAGE)
        return value

    def validate_role(self, value: str) -> str:
        if value not in self.SELF_SERVICE_ROLES:
            allowed = ", ".join(self.SELF_SERVICE_ROLES)
            raise serializers.ValidationError(f"Role must be one of: {allowed}. Staff accounts are created by staff.")
        return value

    def validate(self, attrs: dict) -> dict:
        candidate = User(email=attrs["email"], first_name=attrs["first_name"], last_name=attrs["last_name"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginResponseSerializer(TokenPairSerializer):
    user = UserSerializer()


class ChallengeResponseSerializer(serializers.Serializer):
    challenge = serializers.CharField()

    def to_representation(self, instance):
        return {"2fa_required": True, "challenge": instance["challenge"]}


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class ForgotPasswordSerializer(serializers.Serializer):
    email = serializers.EmailField()


class ResetPasswordSerializer(serializers.Serializer):
    uid = serializers.CharField()
    token = serializers.CharField()
    new_password = serializers.CharField(trim_whitespace=False)


class TwoFactorSetupSerializer(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_url = serializers.CharField()
    qr_svg = serializers.CharField()


class TwoFactorVerifySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    challenge = serializers.CharField(required=False)


class BackupCodesSerializer(serializers.Serializer):
    codes = serializers.ListField(child=serializers.CharField())
