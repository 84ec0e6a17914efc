"""`POST /api/v1/events/`: a detection source's trigger, acknowledge or resolve."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from arc.choices import TokenScope
from incidents.api.serializers import EventAnswerSerializer, EventSerializer
from incidents.api.views.base import IDEMPOTENCY_PARAMETER, ServiceEndpoint
from incidents.integrations.services.events import EventInput, receive_event, source_of_account
from iwms.errors import PolicyError


class EventsView(ServiceEndpoint):
    write_scope = TokenScope.INCIDENTS_WRITE
    serializer_class = EventSerializer

    @extend_schema(
        request=EventSerializer,
        responses={202: EventAnswerSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Send a trigger, acknowledge or resolve event",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        limit = settings.IWMS_API_EVENT_MAX_BYTES
        if len(request.body) > limit:
            raise PolicyError(
                "validation.invalid",
                f"An event has at most {limit} bytes; send the rest by reference.",
                tenant=request.user.organisation,
                field="payload",
                size=len(request.body),
            )
        return super().post(request, *args, **kwargs)

    def perform(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        account = self.request.user
        source = source_of_account(account)
        dedup_key = data.get("dedup_key") or uuid.uuid4().hex
        result = receive_event(
            source=source,
            actor=account,
            event=EventInput(
                action=data["action"],
                dedup_key=dedup_key,
                body=self.request.data,
                event_type=data.get("event_type", ""),
                summary=data.get("summary", ""),
                severity=data.get("severity", ""),
                occurred_at=data.get("occurred_at"),
                location=data.get("location", ""),
                source_reference=data.get("source_reference", ""),
                payload=data.get("payload") or {},
            ),
        )
        return 202, {
            "status": "success",
            "event": result.event.pk,
            "dedup_key": dedup_key,
            "outcome": result.event.outcome,
            "incident": result.incident.reference if result.incident else None,
            "occurrences": result.occurrences,
            "recurrence_of": result.recurrence_of.reference if result.recurrence_of else None,
        }
