"""HTTP for typed credentials: the catalogue, an expert's own credentials, staff decisions."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from experts import credentials
from experts.credential_models import CredentialType, ExpertCredential
from experts.services import get_or_create_profile
from foodxchange.api.fields import parse_object_id
from foodxchange.api.permissions import IsExpert, IsSupportStaff
from foodxchange.api.schema import error_responses
from foodxchange.errors import NotFound

TAGS = ["experts"]


class CredentialTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CredentialType
        fields = ["slug", "name", "category", "issuers", "description"]


class CredentialSerializer(serializers.ModelSerializer):
    credential_type = serializers.SlugRelatedField(
        slug_field="slug", queryset=CredentialType.objects.filter(is_active=True)
    )
    credential_type_name = serializers.CharField(source="credential_type.name", read_only=True)
    document = serializers.IntegerField(source="document_id", required=False, allow_null=True, min_value=1)
    file = serializers.FileField(required=False, write_only=True, help_text="PDF/JPEG/PNG, checked by content")
    status = serializers.SerializerMethodField(help_text="pending, valid, expired, rejected or revoked")

    class Meta:
        model = ExpertCredential
        fields = [
            "id",
            "credential_type",
            "credential_type_name",
            "issuer",
            "number",
            "scope",
            "valid_from",
            "expires_at",
            "document",
            "file",
            "status",
            "reviewer_note",
            "reviewed_at",
            "created_at",
        ]
        read_only_fields = ["id", "reviewer_note", "reviewed_at", "created_at"]

    def get_status(self, obj: ExpertCredential) -> str:
        return obj.display_status()

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "document_id" in values:
            values["document"] = values.pop("document_id")
        return values


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=list(credentials.DECISIONS))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CredentialTypeListView(ListAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = CredentialTypeSerializer
    pagination_class = None
    filter_backends: list = []
    queryset = CredentialType.objects.filter(is_active=True).order_by("name")

    @extend_schema(tags=TAGS, summary="The credential catalogue (SQF, PCQI, HACCP, BRCGS…)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _split(validated: dict) -> tuple[dict, object]:
    data = dict(validated)
    return data, data.pop("file", None)


class CredentialListView(ListAPIView):
    permission_classes = [IsExpert]
    serializer_class = CredentialSerializer
    filter_backends: list = []
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        profile = get_or_create_profile(user=self.request.user)
        return ExpertCredential.objects.filter(expert=profile).select_related("credential_type").order_by("id")

    @extend_schema(
        tags=TAGS,
        summary="Your credentials",
        responses={200: CredentialSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Add a credential (JSON with a `document` id, or multipart with a `file`); staff then verify it",
        request=CredentialSerializer,
        responses={201: CredentialSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        body = CredentialSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data, upload = _split(body.validated_data)
        credential = credentials.add_credential(
            profile=get_or_create_profile(user=request.user), data=data, upload=upload, request=request
        )
        return Response(CredentialSerializer(credential).data, status=201)


class CredentialDetailView(APIView):
    permission_classes = [IsExpert]
    parser_classes = [JSONParser, MultiPartParser]

    def _own(self, request, pk) -> ExpertCredential:
        credential_id = parse_object_id(str(pk))
        credential = (
            ExpertCredential.objects.select_related("credential_type", "expert__user")
            .filter(pk=credential_id, expert__user=request.user)
            .first()
            if credential_id
            else None
        )
        if credential is None:
            raise NotFound("No such credential.")
        return credential

    @extend_schema(
        tags=TAGS,
        summary="Change one of your credentials (a verified one goes back to review)",
        request=CredentialSerializer,
        responses={200: CredentialSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def put(self, request, pk):
        credential = self._own(request, pk)
        body = CredentialSerializer(credential, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data, upload = _split(body.validated_data)
        updated = credentials.update_credential(credential=credential, data=data, upload=upload, request=request)
        return Response(CredentialSerializer(updated).data)

    patch = put

    @extend_schema(tags=TAGS, summary="Remove one of your credentials", responses={204: None})
    def delete(self, request, pk):
        credentials.delete_credential(credential=self._own(request, pk), request=request)
        return Response(status=204)


class CredentialDecideView(APIView):
    permission_classes = [IsSupportStaff]

    @extend_schema(
        tags=TAGS,
        summary="Staff: verify or reject a pending credential, or revoke a verified one",
        request=DecisionSerializer,
        responses={200: CredentialSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk):
        credential_id = parse_object_id(str(pk))
        if credential_id is None:
            raise NotFound("No such credential.")
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        credential = credentials.decide_credential(
            credential_id=credential_id,
            reviewer=request.user,
            decision=body.validated_data["decision"],
            note=body.validated_data.get("note", ""),
            request=request,
        )
        return Response(CredentialSerializer(credential).data)
