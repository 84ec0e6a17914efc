"""Reads of incidents that depend on who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from incidents.models import Incident
from iwms.models import User

LIST_RELATED = ("category", "owner", "responsible", "reporter")


def incidents_for_user(user: User) -> QuerySet[Incident]:
    """Incidents of the user's tenant that the user reported, owns or is responsible for.
    (Supervisors' queues, auditors' portals and grants arrive with their issues.)"""
    if not user.is_authenticated or user.organisation_id is None:
        return Incident.objects.none()
    return (
        Incident.objects.for_tenant(user.organisation_id)
        .filter(Q(reporter=user) | Q(owner=user) | Q(responsible=user))
        .select_related(*LIST_RELATED)
    )


def get_incident_for_user(user: User, reference: str) -> Incident:
    """404 — never 403 — for what the user may not see, so references do not leak."""
    incident = incidents_for_user(user).select_related("owner_position", "parent").filter(reference=reference).first()
    if incident is None:
        raise Http404("No such incident.")
    return incident
