"""HTTP layer of the assistant: validate, call the service or selector, shape."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import selectors, services
from assistant.serializers import (
    AnswerSerializer,
    ArticleListSerializer,
    ArticleSerializer,
    AskSerializer,
    ConversationSerializer,
)
from foodxchange.api.fields import parse_object_id
from foodxchange.api.schema import error_responses

TAGS = ["assistant"]


class ArticleListView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = ArticleListSerializer
    throttle_scope = "search"

    @extend_schema(
        tags=TAGS,
        summary="The knowledge base (best matches first with ?q=)",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR),
            OpenApiParameter("language", OpenApiTypes.STR),
            OpenApiParameter("jurisdiction", OpenApiTypes.STR),
            OpenApiParameter("tag", OpenApiTypes.STR),
        ],
    )
    def get(self, request):
        params = request.query_params
        articles = selectors.article_list(
            q=params.get("q", "")[:500],
            language=params.get("language", "")[:16],
            jurisdiction=params.get("jurisdiction", "")[:40],
            tag=params.get("tag", "")[:60],
        )
        page = self.paginate_queryset(articles)
        return self.get_paginated_response(ArticleListSerializer(page, many=True).data)


class ArticleDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=TAGS, summary="One article", responses={200: ArticleSerializer, **error_responses(404)})
    def get(self, request, article_id: str):
        pk = parse_object_id(article_id)
        article = selectors.article_detail(pk) if pk else None
        if article is None:
            raise NotFound("No such article.")
        return Response(ArticleSerializer(article).data)


class AskView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "assistant"

    @extend_schema(
        tags=TAGS,
        summary="Ask the food-safety assistant (answers only from the knowledge base, with sources)",
        request=AskSerializer,
        responses={200: AnswerSerializer, **error_responses(400, 401, 404, 429)},
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        result = services.ask(
            user=request.user,
            question=data.get("question"),
            language=data.get("language"),
            conversation_id=data.get("conversation"),
        )
        return Response(AnswerSerializer(result).data)


class ConversationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One of your conversations",
        responses={200: ConversationSerializer, **error_responses(401, 404)},
    )
    def get(self, request, conversation_id: str):
        try:
            key = uuid.UUID(conversation_id)
        except ValueError:
            raise NotFound("No such conversation.") from None
        conversation = selectors.conversation_for(user=request.user, conversation_id=key)
        if conversation is None:
            raise NotFound("No such conversation.")
        return Response(ConversationSerializer(conversation).data)
