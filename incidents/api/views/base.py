"""The base of every API view: scope per method, the per-token rate limit, ETags on reads,
and `create_through` — the one way an endpoint calls a write service (idempotent, in the
project's error shape).

Adding an endpoint that calls a service: subclass `ServiceEndpoint`, name its `write_scope`
and `serializer_class`, and implement `perform(data)` to call the one public service and
return `(status, body)`. Everything else (token, scope, rate limit, Idempotency-Key, refusal
codes, schema) comes from here.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.guards import IDEMPOTENCY_HEADER, check_rate, idempotent, with_etag

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Same key and body: the first answer again. Same key, other body: 409.",
)


class GuardedMixin:
    """Rate limit after authentication; ETag on successful reads."""

    read_scope: str | None = None
    write_scope: str | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        check_rate(request.auth)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = with_etag(request, response)
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class ApiView(GuardedMixin, APIView):
    pass


class ListApiView(GuardedMixin, generics.ListAPIView):
    pass


class RetrieveApiView(GuardedMixin, generics.RetrieveAPIView):
    pass


class ServiceEndpoint(ApiView, metaclass=ABCMeta):
    """A POST that validates its body with `serializer_class` and calls one service through
    `perform`, idempotently."""

    serializer_class: Any = None

    @abstractmethod
    def perform(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Call the one service with the validated body; the answer's status and body."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def create() -> Response:
            serializer = self.serializer_class(data=request.data, context={"request": request})
            serializer.is_valid(raise_exception=True)
            status, body = self.perform(serializer.validated_data)
            return Response(body, status=status)

        return idempotent(request, request.auth, create)
