"""`POST /api/v1/hr-events/`: a hire, transfer, promotion or termination from the HR system
(scope `organogram:write`), handed to the governance slice's one service, which validates the
payload itself and keeps an event it cannot apply as a mismatch."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from arc.choices import TokenScope
from incidents.api.views.base import IDEMPOTENCY_PARAMETER, ServiceEndpoint
from incidents.governance.choices import HrEventKind
from incidents.governance.services.hr_events import receive_hr_event


class HrEventSerializer(serializers.Serializer):
    """The shape for the schema; `receive_hr_event` checks the values and names bad keys."""

    kind = serializers.ChoiceField(choices=HrEventKind.choices)
    person = serializers.CharField(max_length=150, help_text="The person's username.")
    position = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="A position code; not for a termination."
    )
    effective_at = serializers.CharField(required=False, allow_blank=True, help_text="ISO 8601; default now.")
    event_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="The HR system's id: applied once."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class HrEventAnswerSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    status = serializers.CharField()
    mismatch = serializers.CharField(allow_null=True)
    outcome = serializers.DictField()


class HrEventsView(ServiceEndpoint):
    write_scope = TokenScope.ORGANOGRAM_WRITE
    serializer_class = HrEventSerializer

    @extend_schema(
        request=HrEventSerializer,
        responses={202: HrEventAnswerSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Send an HR change (hire, transfer, promotion, termination)",
    )
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().post(request, *args, **kwargs)

    def perform(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        account = self.request.user
        payload = {key: value for key, value in self.request.data.items() if key in HrEventSerializer().fields}
        event = receive_hr_event(tenant=account.organisation, payload=payload, received_via="api", actor=account)
        return 202, {
            "event": event.pk,
            "status": event.status,
            "mismatch": event.mismatch_reference or None,
            "outcome": event.outcome,
        }
