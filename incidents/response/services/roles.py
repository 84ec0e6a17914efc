"""Response roles: designating a holder, handing a role over, and the new holder's answer.
Every change is a ledger event on the incident, so it is on the incident's timeline."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from incidents.response.choices import AssignmentStatus, RoleKind
from incidents.response.models import RoleAssignment, TenantRole
from incidents.response.policy import may_assign_role, may_decide_handover
from incidents.response.services import comms
from iwms import notifications
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User


def role_label(tenant_id: int, role: str) -> str:
    if role in RoleKind.values:
        return RoleKind(role).label
    return (
        TenantRole.objects.filter(organisation_id=tenant_id, code=role).values_list("name", flat=True).first() or role
    )


def role_choices(tenant_id: int) -> list[tuple[str, str]]:
    extra = TenantRole.objects.filter(organisation_id=tenant_id).values_list("code", "name")
    return [*RoleKind.choices, *extra]


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _notify_holder(assignment: RoleAssignment, label: str, *, proposed: bool) -> None:
    incident = assignment.incident
    ask = " Accept or decline it under 'My response roles'." if proposed else ""
    notifications.notify(
        recipient=assignment.holder,
        event="response.role_proposed" if proposed else "response.role_assigned",
        obj=assignment,
        subject=f"{incident.reference}: you are {'asked to be ' if proposed else ''}{label}",
        body=f"{assignment.assigned_by} {'hands you' if proposed else 'designated you as'} {label} of "
        f"{incident.reference} '{incident.title}' ({incident.get_severity_display()}).{ask}"
        + (f" Note: {assignment.note}" if assignment.note else ""),
        url=reverse("response_my_roles") if proposed else reverse("response_incident", args=[incident.reference]),
    )


def assign_role(*, incident: Incident, role: str, holder: User, actor: User, note: str = "") -> RoleAssignment:
    """Designate `holder` when nobody holds `role`, else propose a hand-over to them that they
    accept (`accept_handover`). A pending hand-over of the role is replaced by the new one."""
    may_assign_role(actor, incident, role).enforce(incident)
    if role not in dict(role_choices(incident.organisation_id)):
        raise PolicyError.on("validation.invalid", f"{role!r} is no response role here.", incident, field="role")
    if holder.organisation_id != incident.organisation_id or not holder.is_active:
        raise PolicyError.on(
            "validation.invalid", "Choose an active person of the organisation.", incident, field="holder"
        )
    label = role_label(incident.organisation_id, role)
    with transaction.atomic():
        incident = _lock(incident)
        current = RoleAssignment.objects.filter(incident=incident, role=role, status=AssignmentStatus.ACTIVE).first()
        if current is not None and current.holder_id == holder.pk:
            raise PolicyError.on("validation.invalid", f"{holder} already is the {label}.", incident, field="holder")
        now = timezone.now()
        for pending in RoleAssignment.objects.filter(incident=incident, role=role, status=AssignmentStatus.PROPOSED):
            pending.status, pending.ended_at = AssignmentStatus.WITHDRAWN, now
            pending.save(update_fields=["status", "ended_at", "updated_at"])
        assignment = RoleAssignment.objects.create(
            organisation_id=incident.organisation_id,
            incident=incident,
            role=role,
            holder=holder,
            assigned_by=actor,
            note=note[:300],
            status=AssignmentStatus.PROPOSED if current else AssignmentStatus.ACTIVE,
            started_at=None if current else now,
        )
        proposed = current is not None
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.DELEGATE if proposed else AuditAction.ASSIGN,
            actor=actor,
            obj=incident,
            message=(
                f"{label.capitalize()} handed over from {current.holder} to {holder}, awaiting acceptance."
                if proposed
                else f"{holder} designated {label}."
            ),
            changes={"role": role, "holder": holder.pk, "assignment": assignment.pk, "status": assignment.status},
        )
        _notify_holder(assignment, label, proposed=proposed)
        if role == RoleKind.COMMANDER and not proposed:
            comms.start_response(incident=incident, actor=actor)
    return assignment


def accept_handover(*, assignment: RoleAssignment, actor: User) -> RoleAssignment:
    """The proposed holder accepts: the previous holder's term ends and theirs begins, at one
    moment (the role never has two holders, nor none)."""
    with transaction.atomic():
        _lock(assignment.incident)
        assignment = RoleAssignment.objects.select_for_update().select_related("incident").get(pk=assignment.pk)
        may_decide_handover(actor, assignment).enforce(assignment)
        now = timezone.now()
        previous = RoleAssignment.objects.filter(
            incident_id=assignment.incident_id, role=assignment.role, status=AssignmentStatus.ACTIVE
        ).first()
        if previous is not None:
            previous.status, previous.ended_at = AssignmentStatus.ENDED, now
            previous.save(update_fields=["status", "ended_at", "updated_at"])
        assignment.status, assignment.started_at = AssignmentStatus.ACTIVE, now
        assignment.save(update_fields=["status", "started_at", "updated_at"])
        label = role_label(assignment.organisation_id, assignment.role)
        incident = assignment.incident
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.ASSIGN,
            actor=actor,
            obj=incident,
            message=f"{actor} accepted the hand-over and is {label} now"
            + (f" (after {previous.holder})." if previous else "."),
            changes={"role": assignment.role, "holder": actor.pk, "assignment": assignment.pk},
        )
        if previous is not None:
            notifications.notify(
                recipient=previous.holder,
                event="response.handover_accepted",
                obj=assignment,
                subject=f"{incident.reference}: {actor} is {label} now",
                body=f"{actor} accepted your hand-over of {label} of {incident.reference}.",
                url=reverse("response_incident", args=[incident.reference]),
            )
    return assignment


def decline_handover(*, assignment: RoleAssignment, actor: User, reason: str = "") -> RoleAssignment:
    """The proposed holder declines: the current holder keeps the role."""
    with transaction.atomic():
        _lock(assignment.incident)
        assignment = RoleAssignment.objects.select_for_update().select_related("incident").get(pk=assignment.pk)
        may_decide_handover(actor, assignment).enforce(assignment)
        assignment.status, assignment.ended_at = AssignmentStatus.DECLINED, timezone.now()
        assignment.save(update_fields=["status", "ended_at", "updated_at"])
        label = role_label(assignment.organisation_id, assignment.role)
        incident = assignment.incident
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.DELEGATE,
            actor=actor,
            obj=incident,
            message=f"{actor} declined the hand-over of {label}" + (f": {reason}" if reason else "."),
            changes={"role": assignment.role, "assignment": assignment.pk, "status": AssignmentStatus.DECLINED},
        )
        notifications.notify(
            recipient=assignment.assigned_by,
            event="response.handover_declined",
            obj=assignment,
            subject=f"{incident.reference}: {actor} declined {label}",
            body=f"{actor} declined the hand-over of {label} of {incident.reference}"
            + (f": {reason}" if reason else "."),
            url=reverse("response_incident", args=[incident.reference]),
        )
    return assignment
