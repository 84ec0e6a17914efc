"""Who may do what to an incident. Views grey out what this refuses, services refuse it."""

from __future__ import annotations

from incidents.choices import IncidentStatus
from incidents.models import Incident
from iwms.decisions import Decision
from iwms.models import User


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
