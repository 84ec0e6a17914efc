"""Reads of incidents that depend on who asks."""

from __future__ import annotations

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404

from incidents.models import Incident
from iwms.models import User
from workflows.models import Step

LIST_RELATED = ("category", "owner", "responsible", "reporter")


def incidents_for_user(user: User) -> QuerySet[Incident]:
    """Incidents of the user's tenant that the user reported, owns, is responsible for or
    executes a step of.
    (Supervisors' queues, auditors' portals and grants arrive with their issues.)"""
    if not user.is_authenticated or user.organisation_id is None:
        return Incident.objects.none()
    executes_a_step = Step.objects.filter(
        assignee=user, run__subject_type="incidents.incident", run__subject_id=Cast(OuterRef("pk"), CharField())
    )
    return (
        Incident.objects.for_tenant(user.organisation_id)
        .filter(Q(reporter=user) | Q(owner=user) | Q(responsible=user) | Exists(executes_a_step))
        .select_related(*LIST_RELATED)
    )


def get_incident_for_user(user: User, reference: str) -> Incident:
    """404 — never 403 — for what the user may not see, so references do not leak."""
    incident = incidents_for_user(user).select_related("owner_position", "parent").filter(reference=reference).first()
    if incident is None:
        raise Http404("No such incident.")
    return incident
