"""OpenAPI pieces shared by every app's views."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Invalid input; `details` maps each field to its messages.",
        401: "Missing, invalid or expired access token.",
        403: "Your role may not use this endpoint.",
        404: "Not found, or not yours.",
        409: "Conflicts with the current state.",
        429: "Too many requests or attempts; `details.retry_after_seconds` says when to retry.",
        503: "Maintenance mode or a dependency is down.",
    }
    return {s: OpenApiResponse(ErrorSerializer, description=descriptions.get(s, "")) for s in statuses}
