from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import (
    BackupCodesSerializer,
    ChallengeResponseSerializer,
    ForgotPasswordSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    RefreshSerializer,
    RegisterSerializer,
    ResetPasswordSerializer,
    TokenPairSerializer,
    TwoFactorSetupSerializer,
    TwoFactorVerifySerializer,
    UserSerializer,
)
from foodxchange.api.schema import error_responses
from foodxchange.errors import NotAuthenticated


def _tokens_with_user(result: dict) -> dict:
    return {"access": result["access"], "refresh": result["refresh"], "user": UserSerializer(result["user"]).data}


class AuthView(APIView):
    throttle_scope = "auth"
    permission_classes = [AllowAny]


class RegisterView(AuthView):
    @extend_schema(
        tags=["auth"],
        summary="Create an account (client, expert or agent)",
        request=RegisterSerializer,
        responses={201: LoginResponseSerializer, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.register_user(
            email=data["email"],
            password=data["password"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=data["role"],
            timezone_name=data["timezone"],
            request=request,
        )
        return Response(_tokens_with_user({**services.issue_tokens(user), "user": user}), status=201)


class LoginView(AuthView):
    @extend_schema(
        tags=["auth"],
        summary="Log in with email and password",
        description="Returns tokens, or `{2fa_required: true, challenge}` when the account has 2FA; "
        "complete it with `/auth/2fa/verify`. Repeated failures lock the account for a while (429).",
        request=LoginSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LoginResult",
                serializers=[LoginResponseSerializer, ChallengeResponseSerializer],
                resource_type_field_name=None,
            ),
            **error_responses(400, 401, 429),
        },
        auth=[],
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.login(request=request, **serializer.validated_data)
        if result.get("2fa_required"):
            return Response(ChallengeResponseSerializer(result).data)
        return Response(_tokens_with_user(result))


class RefreshView(AuthView):
    @extend_schema(
        tags=["auth"],
        summary="Exchange a refresh token for a new pair (the old refresh stops working)",
        request=RefreshSerializer,
        responses={200: TokenPairSerializer, **error_responses(400, 401, 429)},
        auth=[],
    )
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.rotate_refresh(raw_refresh=serializer.validated_data["refresh"]))


class LogoutView(APIView):
    throttle_scope = "auth"
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Blacklist a refresh token",
        request=RefreshSerializer,
        responses={204: OpenApiResponse(description="Logged out"), **error_responses(400, 401)},
    )
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.blacklist_refresh(user=request.user, raw_refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ForgotPasswordView(AuthView):
    @extend_schema(
        tags=["auth"],
        summary="Email a password reset link (always 202)",
        request=ForgotPasswordSerializer,
        responses={202: OpenApiResponse(description="Accepted"), **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request):
        serializer = ForgotPasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_password_reset(email=serializer.validated_data["email"])
        return Response(
            {"detail": "If an account exists for this email, a reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class ResetPasswordView(AuthView):
    @extend_schema(
        tags=["auth"],
        summary="Set a new password with the emailed uid and token",
        request=ResetPasswordSerializer,
        responses={204: OpenApiResponse(description="Password changed"), **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request):
        serializer = ResetPasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.reset_password(request=request, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TwoFactorSetupView(APIView):
    throttle_scope = "auth"
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Start TOTP setup: secret, otpauth URL and QR code (SVG)",
        request=None,
        responses={200: TwoFactorSetupSerializer, **error_responses(401)},
    )
    def post(self, request):
        return Response(services.setup_totp(user=request.user))


class TwoFactorVerifyView(AuthView):
    @extend_schema(
        tags=["auth"],
        summary="Confirm the authenticator (authenticated), or finish a 2FA login (`challenge`)",
        description="With a `challenge` from `/auth/login`, `code` may be a TOTP code or an unused backup code.",
        request=TwoFactorVerifySerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="TwoFactorResult",
                serializers=[LoginResponseSerializer, UserSerializer],
                resource_type_field_name=None,
            ),
            **error_responses(400, 401, 429),
        },
    )
    def post(self, request):
        serializer = TwoFactorVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("challenge"):
            result = services.complete_challenge(challenge=data["challenge"], code=data["code"], request=request)
            return Response(_tokens_with_user(result))
        if not request.user.is_authenticated:
            raise NotAuthenticated("Send the login challenge, or authenticate to confirm your authenticator.")
        services.confirm_totp(user=request.user, code=data["code"], request=request)
        return Response(UserSerializer(request.user).data)


class BackupCodesView(APIView):
    throttle_scope = "auth"
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Generate 10 single-use backup codes (replaces earlier ones)",
        request=None,
        responses={200: BackupCodesSerializer, **error_responses(401)},
    )
    def post(self, request):
        return Response({"codes": services.regenerate_backup_codes(user=request.user, request=request)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["auth"], summary="The current user", responses={200: UserSerializer, **error_responses(401)})
    def get(self, request):
        return Response(UserSerializer(request.user).data)
