"""Reads of the escalations and breach warnings addressed to a person."""

from __future__ import annotations

from django.db.models import (
    F,
    QuerySet,
)
from django.http import Http404

from arc.cross_tenant import not_found
from incidents.models import (
    BreachWarning,
    Escalation,
)
from iwms.models import User

# What a queue row shows; the narrative and the rest of the incident stay in the database.


def escalations_for_user(user: User) -> QuerySet[Escalation]:
    """Escalations to the user: those waiting for acknowledgement first (the most pressing
    first), then the acknowledged ones, latest first."""
    if not user.is_authenticated or user.organisation_id is None:
        return Escalation.objects.none()
    return (
        Escalation.objects.for_tenant(user.organisation_id)
        .filter(to_person=user)
        .select_related("incident__responsible", "to_position", "acknowledged_by")
        .order_by(F("acknowledged_at").desc(nulls_first=True), "ack_due_at", "-escalated_at", "-id")
    )


def get_escalation_for_user(user: User, escalation_id: int) -> Escalation:
    """404 for an escalation addressed to someone else."""
    escalation = escalations_for_user(user).filter(pk=escalation_id).first()
    if escalation is None:
        raise not_found(user, Escalation, "No such escalation for you.", pk=escalation_id)
    return escalation


def get_mitigation_warning_for_user(user: User, warning_id: int) -> BreachWarning:
    """A warning that asked the user, as responsible person, for a mitigation note; else 404."""
    if not user.is_authenticated or user.organisation_id is None:
        raise Http404("No such warning.")
    warning = (
        BreachWarning.objects.for_tenant(user.organisation_id)
        .filter(pk=warning_id, mitigation_requested=True, incident__responsible=user)
        .select_related("incident__responsible", "incident__owner")
        .first()
    )
    if warning is None:
        raise not_found(user, BreachWarning, "No such warning.", pk=warning_id)
    return warning
