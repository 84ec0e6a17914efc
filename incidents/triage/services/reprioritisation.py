"""Changes of severity or priority after triage (seed 002 §3.2): every one needs a reason, and
one that touches the tenant's high-impact range (`TriageSettings.approval_from` or above, into
or out of it) needs a manager above the responsible person. A manager changes directly; anyone
else asks, and the manager approves (the change is then made) or rejects, with a note."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.choices import Severity
from incidents.core.clocks import MIN_REASON
from incidents.models import Incident
from incidents.sla.services import clock_changes
from incidents.triage.choices import ChangeKind, Priority, RequestStatus
from incidents.triage.matrix import rank
from incidents.triage.models import ReprioritisationRequest, TriageRecord
from incidents.triage.policy import is_manager_of, may_decide_reprioritisation, may_triage
from incidents.triage.selectors import settings_for
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals


def needs_approval(tenant_id: int, before: str, after: str) -> bool:
    """Whether a change from `before` to `after` (severity or priority values) touches the
    tenant's high-impact range."""
    threshold = rank(settings_for(tenant_id).approval_from)
    return min(rank(before), rank(after)) <= threshold


def _label(kind: str, value: str) -> str:
    return Severity(value).label if kind == ChangeKind.SEVERITY else Priority(value).label


def guard_severity_change(incident: Incident, actor: User, severity: str, approval: object) -> None:
    """Registered in `clock_changes.SEVERITY_CHANGE_GUARDS`: after triage, a change in the
    high-impact range by someone who is not a manager of the incident is refused with where to
    ask; an approved request for exactly this change passes."""
    if not TriageRecord.objects.filter(incident_id=incident.pk).exists():
        return  # before triage (or the triage itself): the triage step records the rationale
    if (
        isinstance(approval, ReprioritisationRequest)
        and approval.incident_id == incident.pk
        and approval.kind == ChangeKind.SEVERITY
        and approval.to_value == severity
        and approval.status == RequestStatus.APPROVED
    ):
        return
    if actor.is_superuser or is_manager_of(actor, incident):
        return
    if needs_approval(incident.organisation_id, incident.severity, severity):
        where = reverse("triage_incident", args=[incident.reference])
        threshold = settings_for(incident.organisation_id).get_approval_from_display()
        raise PolicyError.on(
            "validation.invalid",
            f"After triage, a change into or out of {threshold} "
            f"or above needs a manager's approval: ask for it on the triage page ({where}).",
            incident,
            field="severity",
        )


def change_priority(*, incident: Incident, actor: User, priority: str, reason: str) -> TriageRecord:
    """Change a triaged incident's priority with a reason; in the high-impact range only a
    manager does so directly."""
    with audited_refusals(actor=actor):
        may_triage(actor, incident).enforce(incident, state=incident.status)
        reason = _checked(incident, ChangeKind.PRIORITY, priority, reason)
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            record = _record_of(locked)
            if priority == record.priority:
                raise PolicyError.on(
                    "validation.invalid",
                    f"The priority already is {record.get_priority_display()}.",
                    locked,
                    field="priority",
                )
            if not (actor.is_superuser or is_manager_of(actor, locked)) and needs_approval(
                locked.organisation_id, record.priority, priority
            ):
                raise PolicyError.on(
                    "validation.invalid",
                    "This change of priority needs a manager's approval: ask for it below.",
                    locked,
                    field="priority",
                )
            return _set_priority(locked, record, actor, priority, reason)


def _set_priority(incident: Incident, record: TriageRecord, actor: User, priority: str, reason: str) -> TriageRecord:
    before = record.priority
    record.priority = priority
    record.save(update_fields=["priority", "updated_at"])
    record_event(
        tenant=incident.organisation_id,
        action=AuditAction.UPDATE,
        actor=actor,
        obj=incident,
        message=f"Priority {Priority(before).label} → {Priority(priority).label}: {reason}",
        changes={"priority": [before, priority]},
    )
    return record


def _record_of(incident: Incident) -> TriageRecord:
    record = TriageRecord.objects.select_for_update().filter(incident=incident).first()
    if record is None:
        raise PolicyError.on("transition.not_allowed", "Triage the incident first.", incident)
    return record


def _checked(incident: Incident, kind: str, value: str, reason: str) -> str:
    values = Severity.values if kind == ChangeKind.SEVERITY else Priority.values
    if value not in values:
        raise PolicyError.on("validation.invalid", f"Choose a {kind} from the list.", incident, field="to_value")
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise PolicyError.on(
            "validation.invalid",
            f"Say why the {kind} changes (at least {MIN_REASON} characters).",
            incident,
            field="reason",
        )
    return reason


def request_change(
    *, incident: Incident, actor: User, kind: str, to_value: str, reason: str
) -> ReprioritisationRequest:
    """Ask a manager for a change of severity or priority after triage; one pending request of
    each kind per incident."""
    with audited_refusals(actor=actor):
        may_triage(actor, incident).enforce(incident, state=incident.status)
        if kind not in ChangeKind.values:
            raise PolicyError.on("validation.invalid", "Choose severity or priority.", incident, field="kind")
        reason = _checked(incident, kind, to_value, reason)
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            record = _record_of(locked)
            current = locked.severity if kind == ChangeKind.SEVERITY else record.priority
            if current == to_value:
                raise PolicyError.on(
                    "validation.invalid", f"The {kind} already is {_label(kind, current)}.", locked, field="to_value"
                )
            try:
                with transaction.atomic():
                    request = ReprioritisationRequest.objects.create(
                        organisation_id=locked.organisation_id,
                        incident=locked,
                        kind=kind,
                        from_value=current,
                        to_value=to_value,
                        reason=reason,
                        requested_by=actor,
                    )
            except IntegrityError:
                raise PolicyError.on(
                    "transition.not_allowed", f"A change of {kind} already waits for a manager's decision.", locked
                ) from None
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                message=f"Asked a manager to change the {kind} {_label(kind, current)} → {_label(kind, to_value)}: "
                f"{reason}",
                changes={"reprioritisation_request": request.pk, kind: [current, to_value]},
            )
    return request


def decide_request(
    *, request: ReprioritisationRequest, actor: User, approve: bool, note: str
) -> ReprioritisationRequest:
    """A manager approves (the change is made now, through the one severity path for a severity)
    or rejects (with a note) a pending re-prioritisation."""
    with audited_refusals(actor=actor):
        incident = request.incident
        may_decide_reprioritisation(actor, incident, request.requested_by_id).enforce(incident, state=incident.status)
        note = " ".join(note.split())
        if not approve and len(note) < MIN_REASON:
            raise PolicyError.on(
                "validation.invalid",
                f"Say why it is rejected (at least {MIN_REASON} characters).",
                incident,
                field="note",
            )
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            held = ReprioritisationRequest.objects.select_for_update().get(pk=request.pk)
            if held.status != RequestStatus.PENDING:
                raise PolicyError.on("transition.not_allowed", f"Already {held.get_status_display()}.", locked)
            held.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
            held.decided_by = actor
            held.decided_at = timezone.now()
            held.decision_note = note
            held.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
            change = f"{_label(held.kind, held.from_value)} → {_label(held.kind, held.to_value)}"
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.REVIEW,
                actor=actor,
                obj=locked,
                message=f"{'Approved' if approve else 'Rejected'} the change of {held.kind} {change} asked by "
                f"{held.requested_by}" + (f": {note}" if note else "."),
                changes={"reprioritisation_request": held.pk, "status": [RequestStatus.PENDING, held.status]},
            )
            if approve and held.kind == ChangeKind.SEVERITY and locked.severity != held.to_value:
                clock_changes.change_severity(
                    incident=locked,
                    actor=actor,
                    severity=held.to_value,
                    reason=f"{held.reason} (asked by {held.requested_by}, approved by {actor})",
                    approval=held,
                )
            elif approve and held.kind == ChangeKind.PRIORITY:
                _set_priority(locked, _record_of(locked), actor, held.to_value, f"{held.reason} (approved by {actor})")
    return held
