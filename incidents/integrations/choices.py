"""Vocabularies of automated intake: kinds of source, event actions and outcomes, webhook
event types and delivery states."""

from django.db import models

from incidents.choices import Source as IncidentSource


class SourceKind(models.TextChoices):
    """What a registered source is (seed 000 §16 integration points)."""

    RADAM = "radam", "RADAM"
    RTAC = "rtac", "RTAC"
    SURVEILLANCE_TIER_1 = "surveillance_t1", "Surveillance tier 1"
    SURVEILLANCE_TIER_2 = "surveillance_t2", "Surveillance tier 2"
    SURVEILLANCE_TIER_3 = "surveillance_t3", "Surveillance tier 3"
    AI_ANOMALY = "ai_anomaly", "AI anomaly detection"
    EXTERNAL_PROVIDER = "external_provider", "External provider"
    INTELLIGENCE_FEED = "intelligence_feed", "Intelligence feed"
    MONITORING_TOOL = "monitoring_tool", "Monitoring tool"
    HR_SYSTEM = "hr_system", "HR system"
    PIT = "pit", "PIT (project integration)"


# The incident's source anchor for each kind. The incident vocabulary has no value of its own
# for intelligence feeds, monitoring tools, HR systems and PIT yet: those incidents carry
# "external provider" and name the registered source in their source reference.
INCIDENT_SOURCE = {
    SourceKind.RADAM: IncidentSource.RADAM,
    SourceKind.RTAC: IncidentSource.RTAC,
    SourceKind.SURVEILLANCE_TIER_1: IncidentSource.SURVEILLANCE_TIER_1,
    SourceKind.SURVEILLANCE_TIER_2: IncidentSource.SURVEILLANCE_TIER_2,
    SourceKind.SURVEILLANCE_TIER_3: IncidentSource.SURVEILLANCE_TIER_3,
    SourceKind.AI_ANOMALY: IncidentSource.AI_ANOMALY,
    SourceKind.EXTERNAL_PROVIDER: IncidentSource.EXTERNAL_PROVIDER,
    SourceKind.INTELLIGENCE_FEED: IncidentSource.EXTERNAL_PROVIDER,
    SourceKind.MONITORING_TOOL: IncidentSource.EXTERNAL_PROVIDER,
    SourceKind.HR_SYSTEM: IncidentSource.EXTERNAL_PROVIDER,
    SourceKind.PIT: IncidentSource.EXTERNAL_PROVIDER,
}


class EventAction(models.TextChoices):
    TRIGGER = "trigger", "trigger"
    ACKNOWLEDGE = "acknowledge", "acknowledge"
    RESOLVE = "resolve", "resolve"


class EventOutcome(models.TextChoices):
    """What intake did with an event (every event is kept, whatever its outcome)."""

    CREATED = "created", "created an incident"
    ATTACHED = "attached", "attached to the open incident as an occurrence"
    HELD = "held", "held below the rule's threshold"
    SUPPRESSED = "suppressed", "suppressed by a rule or the source's pause"
    ACKNOWLEDGED = "acknowledged", "acknowledged by the source"
    RESOLVED = "resolved", "reported resolved by the source"
    IGNORED = "ignored", "nothing open under its dedup key"


class WebhookEventType(models.TextChoices):
    INCIDENT_CREATED = "incident.created", "incident created"
    INCIDENT_OCCURRENCE = "incident.occurrence", "occurrence attached"
    INCIDENT_STATUS_CHANGED = "incident.status_changed", "status changed"
    INCIDENT_ESCALATED = "incident.escalated", "escalated"
    INCIDENT_CLOSED = "incident.closed", "closed"
    STEP_ASSIGNED = "step.assigned", "step assigned"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    DELIVERED = "delivered", "delivered"
    FAILED = "failed", "failed (retrying)"
    GAVE_UP = "gave_up", "gave up"
