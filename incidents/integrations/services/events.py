"""Receiving a source's event: a trigger creates an incident through the intake service or
attaches to the open incident of its dedup key as a counted occurrence; acknowledge and
resolve are recorded on that incident. Every event is kept as received and audited with its
source, in one transaction that holds the dedup key's row locked, so concurrent triggers with
one key make exactly one incident."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.choices import IncidentStatus, RiskLevel, Severity, TimeSensitivity
from incidents.intake.services.intake import submit_detection
from incidents.integrations.choices import INCIDENT_SOURCE, EventAction, EventOutcome, WebhookEventType
from incidents.integrations.models import DedupThread, MappingRule, Source, SourceEvent
from incidents.integrations.services.webhooks import emit
from incidents.models import Incident
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User

RISK_OF_SEVERITY = {
    Severity.SEV1: RiskLevel.CRITICAL,
    Severity.SEV2: RiskLevel.HIGH,
    Severity.SEV3: RiskLevel.MEDIUM,
    Severity.SEV4: RiskLevel.LOW,
}
URGENCY_OF_SEVERITY = {
    Severity.SEV1: TimeSensitivity.IMMEDIATE,
    Severity.SEV2: TimeSensitivity.URGENT,
    Severity.SEV3: TimeSensitivity.PROMPT,
    Severity.SEV4: TimeSensitivity.ROUTINE,
}
DEFAULT_SEVERITY = Severity.SEV3


@dataclass(frozen=True)
class EventInput:
    """An event as the API validated it (`body`: the document as received)."""

    action: str
    dedup_key: str
    body: dict[str, Any]
    event_type: str = ""
    summary: str = ""
    severity: str = ""
    occurred_at: datetime | None = None
    location: str = ""
    source_reference: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IntakeResult:
    event: SourceEvent
    incident: Incident | None
    occurrences: int
    recurrence_of: Incident | None = None


def source_of_account(account: User) -> Source:
    """The active source an integration account sends for, or `access_denied`."""
    source = (
        Source.objects.select_related("organisation", "category", "unit")
        .filter(account=account, is_active=True)
        .first()
    )
    if source is None:
        raise PolicyError(
            "access_denied",
            "This token's account sends for no active source; a tenant admin registers sources.",
            tenant=account.organisation,
            object_type="iwms.user",
            object_id=str(account.pk),
        )
    return source


def matching_rule(source: Source, event: EventInput) -> MappingRule | None:
    """The first of the source's rules whose conditions all hold for `event`."""
    for rule in source.rules.all():
        if rule.match_event_type and rule.match_event_type != event.event_type:
            continue
        if rule.match_severity and rule.match_severity != event.severity:
            continue
        if rule.match_field and str(event.payload.get(rule.match_field, "")) != rule.match_value:
            continue
        return rule
    return None


def receive_event(*, source: Source, event: EventInput, actor: User) -> IntakeResult:
    """Keep, audit and act on one event of `source` sent by its account `actor`."""
    with transaction.atomic():
        now = timezone.now()
        if event.action == EventAction.TRIGGER:
            thread = _locked_thread(source, event.dedup_key, create=True)
            result = _trigger(source=source, thread=thread, event=event, actor=actor, now=now)
        else:
            thread = _locked_thread(source, event.dedup_key, create=False)
            result = _follow_up(source=source, thread=thread, event=event, actor=actor, now=now)
    return result


def _locked_thread(source: Source, key: str, *, create: bool) -> DedupThread | None:
    """The key's thread, locked for this event. A first event makes it: `get_or_create` finds the
    row a concurrent first event of the same key committed, and both then queue on its lock."""
    if create:
        DedupThread.objects.get_or_create(organisation_id=source.organisation_id, source=source, dedup_key=key)
    return DedupThread.objects.select_for_update().filter(source=source, dedup_key=key).first()


def _kept(source: Source, event: EventInput, outcome: str, now: datetime, **fields: Any) -> SourceEvent:
    kept = SourceEvent(
        organisation_id=source.organisation_id,
        source=source,
        action=event.action,
        dedup_key=event.dedup_key,
        event_type=event.event_type,
        summary=event.summary[:200],
        severity=event.severity,
        occurred_at=event.occurred_at,
        location=event.location,
        source_reference=event.source_reference,
        body=event.body,
        received_at=now,
        outcome=outcome,
        **fields,
    )
    kept.save()
    return kept


def _audit(source: Source, kept: SourceEvent, actor: User, message: str, obj: Any = None) -> None:
    record_event(
        tenant=source.organisation_id,
        action=AuditAction.IDENTIFY,
        actor=actor,
        obj=obj if obj is not None else kept,
        message=message,
        changes={
            "source": source.slug,
            "event": kept.pk,
            "action": kept.action,
            "dedup_key": kept.dedup_key,
            "outcome": kept.outcome,
            **({"occurrence": kept.occurrence} if kept.occurrence else {}),
        },
    )


def _trigger(*, source: Source, thread: DedupThread, event: EventInput, actor: User, now: datetime) -> IntakeResult:
    rule = matching_rule(source, event)
    incident = Incident.objects.filter(pk=thread.incident_id).first() if thread.incident_id else None
    if (rule is not None and rule.suppress) or (source.paused_until is not None and now < source.paused_until):
        kept = _kept(source, event, EventOutcome.SUPPRESSED, now, rule=rule)
        why = f"rule {rule.order}" if rule is not None and rule.suppress else "the source's pause"
        _audit(source, kept, actor, f"{source.name}: event {event.dedup_key} suppressed by {why}.")
        return IntakeResult(kept, None, 0)
    if incident is not None and incident.status != IncidentStatus.CLOSED:
        thread.occurrences += 1
        thread.save(update_fields=["occurrences", "updated_at"])
        kept = _kept(
            source, event, EventOutcome.ATTACHED, now, rule=rule, incident=incident, occurrence=thread.occurrences
        )
        _audit(
            source,
            kept,
            actor,
            f"Occurrence {thread.occurrences} from {source.name} (dedup key {event.dedup_key}): {event.summary}",
            obj=incident,
        )
        emit(
            tenant=source.organisation_id,
            event_type=WebhookEventType.INCIDENT_OCCURRENCE,
            data={"incident": incident.reference, "occurrences": thread.occurrences, "source": source.slug},
        )
        return IntakeResult(kept, incident, thread.occurrences)
    held = _held_in_window(source, event, rule, now)
    threshold = rule.threshold_count if rule is not None else 1
    if len(held) + 1 < threshold:
        kept = _kept(source, event, EventOutcome.HELD, now, rule=rule)
        _audit(
            source,
            kept,
            actor,
            f"{source.name}: event {event.dedup_key} held ({len(held) + 1} of {threshold} within "
            f"{rule.threshold_window_seconds if rule else 0} s).",
        )
        return IntakeResult(kept, None, 0)
    created = _create(source=source, event=event, rule=rule, actor=actor, now=now)
    for number, earlier in enumerate(held, start=1):
        earlier.incident, earlier.occurrence = created, number
        earlier.save(update_fields=["incident", "occurrence"])
    thread.incident, thread.occurrences = created, len(held) + 1
    thread.acknowledged_at = thread.resolved_at = None
    thread.save(update_fields=["incident", "occurrences", "acknowledged_at", "resolved_at", "updated_at"])
    kept = _kept(source, event, EventOutcome.CREATED, now, rule=rule, incident=created, occurrence=thread.occurrences)
    _audit(source, kept, actor, f"Created from {source.name} event {event.dedup_key}: {event.summary}", obj=created)
    if incident is not None:
        _link_recurrence(closed=incident, created=created, actor=actor, key=event.dedup_key)
    emit(
        tenant=source.organisation_id,
        event_type=WebhookEventType.INCIDENT_CREATED,
        data={
            "incident": created.reference,
            "source": source.slug,
            "dedup_key": event.dedup_key,
            "severity": created.severity,
            "recurrence_of": incident.reference if incident is not None else None,
        },
    )
    return IntakeResult(kept, created, thread.occurrences, recurrence_of=incident)


def _held_in_window(source: Source, event: EventInput, rule: MappingRule | None, now: datetime) -> list[SourceEvent]:
    if rule is None or rule.threshold_count <= 1:
        return []
    return list(
        SourceEvent.objects.filter(
            source=source,
            dedup_key=event.dedup_key,
            outcome=EventOutcome.HELD,
            received_at__gte=now - timedelta(seconds=rule.threshold_window_seconds),
        ).order_by("received_at", "pk")
    )


def _create(*, source: Source, event: EventInput, rule: MappingRule | None, actor: User, now: datetime) -> Incident:
    severity = (rule.severity if rule is not None else "") or event.severity or DEFAULT_SEVERITY
    occurred_at = min(event.occurred_at or now, now)
    summary = event.summary or f"{source.get_kind_display()} event {event.event_type or event.dedup_key}"
    narrative = (
        f"{summary}\n\nReported by {source.name} ({source.get_kind_display()}), dedup key {event.dedup_key}"
        + (f", event type {event.event_type}" if event.event_type else "")
        + (f", at {event.location}" if event.location else "")
        + "."
    )
    reference = f"{source.slug}:{event.source_reference or event.dedup_key}"[:200]
    return submit_detection(
        account=actor,
        source=INCIDENT_SOURCE[source.kind],
        source_reference=reference,
        category=(rule.category if rule is not None and rule.category_id else None) or source.category,
        kind=(rule.incident_kind if rule is not None else "") or source.incident_kind,
        title=summary[:200],
        narrative=narrative,
        location=(event.location or source.name)[:200],
        severity=severity,
        risk_level=RISK_OF_SEVERITY[severity],
        time_sensitivity=URGENCY_OF_SEVERITY[severity],
        occurred_at=occurred_at,
        unit=(rule.unit if rule is not None and rule.unit_id else None) or source.unit,
    )


def _link_recurrence(*, closed: Incident, created: Incident, actor: User, key: str) -> None:
    """The same dedup key after closure: the new incident and the closed one name each other."""
    for obj, other, relation in ((created, closed, "recurrence_of"), (closed, created, "recurred_as")):
        record_event(
            tenant=obj.organisation_id,
            action=AuditAction.LINK,
            actor=actor,
            obj=obj,
            message=f"{'Recurrence of' if relation == 'recurrence_of' else 'Recurred as'} {other.reference} "
            f"(dedup key {key}).",
            changes={relation: other.reference, "dedup_key": key},
        )


def _follow_up(
    *, source: Source, thread: DedupThread | None, event: EventInput, actor: User, now: datetime
) -> IntakeResult:
    incident = Incident.objects.filter(pk=thread.incident_id).first() if thread and thread.incident_id else None
    if thread is None or incident is None or incident.status == IncidentStatus.CLOSED:
        kept = _kept(source, event, EventOutcome.IGNORED, now)
        _audit(source, kept, actor, f"{source.name}: {event.action} of {event.dedup_key} found nothing open.")
        return IntakeResult(kept, None, 0)
    acknowledged = event.action == EventAction.ACKNOWLEDGE
    outcome = EventOutcome.ACKNOWLEDGED if acknowledged else EventOutcome.RESOLVED
    if acknowledged:
        thread.acknowledged_at = now
    else:
        thread.resolved_at = now
    thread.save(update_fields=["acknowledged_at", "resolved_at", "updated_at"])
    kept = _kept(source, event, outcome, now, incident=incident)
    verb = "acknowledged" if acknowledged else "reports resolved"
    # The source's word is recorded, not obeyed: the incident's own lifecycle (responsible
    # person, automated review, supervisor's decision) still decides its state.
    _audit(source, kept, actor, f"{source.name} {verb} {event.dedup_key}: {event.summary}".rstrip(": "), obj=incident)
    return IntakeResult(kept, incident, thread.occurrences)
