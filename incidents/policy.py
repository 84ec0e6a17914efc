"""Who may do what to an incident. Views grey out what this refuses, services refuse it."""

from __future__ import annotations

from incidents.choices import IncidentStatus
from incidents.models import BreachWarning, Escalation, Incident
from iwms.decisions import Decision
from iwms.models import User
from organogram.hierarchy import supervisor_of


def may_report(user: User) -> Decision:
    if not user.is_authenticated or user.organisation_id is None:
        return Decision(False, "Only people of an organisation can report.")
    return Decision(True)


def may_acknowledge(user: User, incident: Incident) -> Decision:
    if incident.status != IncidentStatus.OPEN:
        return Decision(False, "Already acknowledged.")
    if user.pk != incident.responsible_id:
        return Decision(False, f"Only the responsible person, {incident.responsible}, acknowledges.")
    return Decision(True)


# --- SLA clocks and escalation ---------------------------------------------------------------


def may_change_severity(user: User, incident: Incident) -> Decision:
    """The owner, the responsible person or their supervisor re-assesses the severity."""
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return Decision(False, "This incident belongs to another organisation.")
    if user.pk in (incident.owner_id, incident.responsible_id):
        return Decision(True)
    supervisor = supervisor_of(incident.responsible)
    if supervisor is not None and supervisor.holder.pk == user.pk:
        return Decision(True)
    return Decision(
        False, f"Only the owner, {incident.owner}, the responsible person or their supervisor changes the severity."
    )


def may_acknowledge_escalation(user: User, escalation: Escalation) -> Decision:
    if escalation.acknowledged_at is not None:
        return Decision(False, f"{escalation.acknowledged_by} already acknowledged this escalation.")
    if user.pk != escalation.to_person_id:
        return Decision(False, f"It escalated to {escalation.to_person}; only they acknowledge it.")
    return Decision(True)


def may_write_mitigation_note(user: User, warning: BreachWarning) -> Decision:
    incident = warning.incident
    if not warning.mitigation_requested:
        return Decision(False, "No mitigation note was asked for with this warning.")
    if incident.status == IncidentStatus.CLOSED:
        return Decision(False, "The incident is closed.")
    if user.pk != incident.responsible_id:
        return Decision(False, f"The responsible person, {incident.responsible}, writes the mitigation note.")
    return Decision(True)
