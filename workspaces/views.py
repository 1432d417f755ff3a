"""HTTP for workspaces: validate, call a service or selector, shape the answer."""

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from foodxchange.api.fields import MAX_OBJECT_ID
from foodxchange.api.pagination import StandardPagination
from foodxchange.api.schema import error_responses
from foodxchange.errors import InvalidInput, NotFound
from workspaces import selectors, services
from workspaces.models import Workspace
from workspaces.serializers import (
    DocumentSerializer,
    MessageInputSerializer,
    MessageQuerySerializer,
    MessageSerializer,
    ReadSerializer,
    WorkspaceSerializer,
)

TAGS = ["workspaces"]


def _workspace(request, pk: int) -> Workspace:
    workspace = selectors.workspace_for(user=request.user, workspace_id=pk) if pk <= MAX_OBJECT_ID else None
    if workspace is None:
        raise NotFound("No such workspace.")
    return workspace


def _invalid(errors: dict[str, Any]) -> InvalidInput:
    return InvalidInput("Invalid input.", details=errors)


class WorkspaceListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Your workspaces (support staff: all), with unread counts; latest activity first",
        responses={200: WorkspaceSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        paginator = StandardPagination()
        page = paginator.paginate_queryset(selectors.visible_workspaces(user=request.user), request, view=self)
        return paginator.get_paginated_response(WorkspaceSerializer(page, many=True, context={"request": request}).data)


class WorkspaceDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses={200: WorkspaceSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int):
        _workspace(request, pk)
        workspace = selectors.visible_workspaces(user=request.user).filter(pk=pk).first()
        if workspace is None:  # support staff see every workspace; others their own
            raise NotFound("No such workspace.")
        return Response(WorkspaceSerializer(workspace, context={"request": request}).data)


class MessagesView(APIView):
    permission_classes = [IsAuthenticated]

    def initial(self, request, *args, **kwargs):
        # Uploads count against the tighter upload rate; judged by the header, so the
        # body is not parsed before the caller is authenticated.
        uploading = request.method == "POST" and request.content_type.startswith("multipart/")
        self.throttle_scope = "upload" if uploading else None  # None: "write" for posts, free reads
        super().initial(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Messages, oldest first; ?after=<id> for everything newer (sync)",
        parameters=[OpenApiParameter("after", int), OpenApiParameter("before", int)],
        responses={200: MessageSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request, pk: int):
        workspace = _workspace(request, pk)
        query = MessageQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise _invalid(query.errors)
        messages = selectors.messages_of(workspace=workspace, **query.validated_data)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(messages, request, view=self)
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Post a message (JSON {body}, or multipart body + files)",
        request={"multipart/form-data": MessageInputSerializer, "application/json": MessageInputSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={201: MessageSerializer, **error_responses(400, 401, 403, 404, 413)},
    )
    def post(self, request, pk: int):
        workspace = _workspace(request, pk)
        data = MessageInputSerializer(data=request.data)
        if hasattr(request.data, "getlist"):
            data = MessageInputSerializer(
                data={"body": request.data.get("body", ""), "files": request.FILES.getlist("files")}
            )
        if not data.is_valid():
            raise _invalid(data.errors)
        message = services.post_message(
            workspace=workspace,
            sender=request.user,
            body=data.validated_data["body"],
            files=data.validated_data["files"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        body = MessageSerializer(message).data
        if message.contact_warning:
            body["warning"] = {
                "code": "contact_details",
                "message": services.contact_warning_text(message.contact_kinds),
            }
        return Response(body, status=status.HTTP_201_CREATED)


class FilesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Every file of the workspace by name, with its versions",
        responses={200: DocumentSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, pk: int):
        workspace = _workspace(request, pk)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(selectors.documents_of(workspace=workspace), request, view=self)
        return paginator.get_paginated_response(DocumentSerializer(page, many=True).data)


class FileDownloadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS, summary="Download one version of a file", responses={200: bytes, **error_responses(401, 404)}
    )
    def get(self, request, pk: int, attachment_id: int):
        workspace = _workspace(request, pk)
        attachment = (
            selectors.attachment_for(workspace=workspace, attachment_id=attachment_id)
            if attachment_id <= MAX_OBJECT_ID
            else None
        )
        if attachment is None:
            raise NotFound("No such file.")
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Mark the workspace read up to a message",
        request=ReadSerializer,
        responses={
            200: inline_serializer(
                "WorkspaceRead",
                {
                    "workspace": drf_serializers.IntegerField(),
                    "last_read_id": drf_serializers.IntegerField(),
                    "unread": drf_serializers.IntegerField(),
                },
            ),
            **error_responses(400, 401, 404),
        },
    )
    def post(self, request, pk: int):
        workspace = _workspace(request, pk)
        data = ReadSerializer(data=request.data)
        if not data.is_valid():
            raise _invalid(data.errors)
        marker = services.mark_read(
            workspace=workspace, user=request.user, message_id=data.validated_data["message_id"]
        )
        return Response(
            {
                "workspace": workspace.pk,
                "last_read_id": marker.last_read_id,
                "unread": selectors.unread_count(workspace=workspace, user=request.user),
            }
        )
