"""What the API accepts and answers, field by field (the schema at /api/v1/schema/ is built
from these)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from incidents.choices import Severity
from incidents.integrations.choices import EventAction, EventOutcome
from incidents.models import Incident
from iwms.models import AuditEvent
from workflows.models import Step

# PagerDuty's severities, and IWMS's own, both accepted.
SEVERITY_WORDS = {
    "critical": Severity.SEV1,
    "error": Severity.SEV2,
    "warning": Severity.SEV3,
    "info": Severity.SEV4,
    **{value: value for value in Severity.values},
    **{label.lower(): value for value, label in Severity.choices},
}
CLOCK_SKEW = timedelta(minutes=5)


# The severities a source may send (its own words, mapped by the source's rules).
EVENT_SEVERITIES = sorted(SEVERITY_WORDS)


class EventSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=EventAction.choices, default=EventAction.TRIGGER)
    dedup_key = serializers.CharField(
        max_length=255, required=False, help_text="Events with one key are one incident; generated when left out."
    )
    summary = serializers.CharField(max_length=200, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=EVENT_SEVERITIES, required=False)
    event_type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source_reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    payload = serializers.DictField(required=False, help_text="Anything else the source knows; kept as sent.")

    def validate_occurred_at(self, value: Any) -> Any:
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError("The event cannot have occurred in the future.")
        return value

    def validate_severity(self, value: str) -> str:
        return SEVERITY_WORDS[value]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        action = attrs.get("action", EventAction.TRIGGER)
        if action != EventAction.TRIGGER and not attrs.get("dedup_key"):
            raise serializers.ValidationError({"dedup_key": f"An {action} names the dedup_key of its trigger."})
        if action == EventAction.TRIGGER and not attrs.get("summary"):
            raise serializers.ValidationError({"summary": "A trigger says what happened."})
        return attrs


class EventAnswerSerializer(serializers.Serializer):
    status = serializers.CharField()
    event = serializers.IntegerField()
    dedup_key = serializers.CharField()
    outcome = serializers.ChoiceField(choices=EventOutcome.choices)
    incident = serializers.CharField(allow_null=True)
    occurrences = serializers.IntegerField()
    recurrence_of = serializers.CharField(allow_null=True)


class IncidentSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    owner = serializers.CharField(source="owner.username")
    responsible = serializers.CharField(source="responsible.username")
    unit = serializers.CharField(source="unit.name", allow_null=True, default=None)

    class Meta:
        model = Incident
        fields = [
            "reference",
            "title",
            "kind",
            "source",
            "source_reference",
            "status",
            "severity",
            "risk_level",
            "time_sensitivity",
            "category",
            "location",
            "unit",
            "owner",
            "responsible",
            "occurred_at",
            "reported_at",
            "ack_due_at",
            "resolve_due_at",
            "updated_at",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "narrative", "escalation_level"]
        read_only_fields = fields


class TimelineEntrySerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at")
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = AuditEvent
        fields = ["seq", "at", "action", "actor", "actor_kind", "object_type", "object_id", "message", "changes"]
        read_only_fields = fields


class StepSerializer(serializers.ModelSerializer):
    assignee = serializers.CharField(source="assignee.username", allow_null=True, default=None)

    class Meta:
        model = Step
        fields = [
            "position",
            "key",
            "name",
            "status",
            "mandatory",
            "required_evidence",
            "assignee",
            "due_at",
            "completed_at",
        ]
        read_only_fields = fields
