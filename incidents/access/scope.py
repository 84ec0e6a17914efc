"""Reads through grants: which grants of a user are live, which incidents and evidence a
grant covers. Everything outside a grant is 404 to its grantee, counts included."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from guardian.core import ObjectPermissionChecker

from arc.cross_tenant import not_found
from incidents.access.services.grants import VIEW_INCIDENT
from incidents.choices import GrantStanding
from incidents.models import AccessGrant, GrantedIncident, Incident
from iwms.models import User
from workflows.models import Evidence

LIST_RELATED = ("category", "owner", "responsible")


def live(grants: QuerySet[AccessGrant], at: datetime | None = None) -> QuerySet[AccessGrant]:
    at = at or timezone.now()
    return grants.filter(issued_at__isnull=False, revoked_at__isnull=True, expires_at__gt=at)


def grants_of(user: User) -> QuerySet[AccessGrant]:
    """Every issued grant of the user in their tenant, live or not, newest first."""
    if not user.is_authenticated or user.organisation_id is None:
        return AccessGrant.objects.none()
    return (
        AccessGrant.objects.for_tenant(user.organisation_id)
        .filter(grantee=user, issued_at__isnull=False)
        .select_related("category", "organisation")
    )


def grant_of(user: User, grant_id: int) -> AccessGrant:
    """The user's issued grant, live or not (the caller refuses a dead one); else 404."""
    grant = grants_of(user).filter(pk=grant_id).first()
    if grant is None:
        raise not_found(user, AccessGrant, "No such grant.", pk=grant_id)
    return grant


def incidents_in(grant: AccessGrant) -> QuerySet[Incident]:
    """The incidents a grant covers. The explicit set is a semi-join on the grant's indexed
    foreign-key table; a subtree is a prefix match on the dotted category code, limited to the
    incidents that existed at issue unless the grant covers later ones."""
    base = Incident.objects.filter(organisation_id=grant.organisation_id)
    if grant.category_id is None:
        return base.filter(
            Exists(GrantedIncident.objects.filter(grant_id=grant.pk, incident_id=OuterRef("pk")))
        ).select_related(*LIST_RELATED)
    code = grant.category.code
    scoped = base.filter(Q(category__code=code) | Q(category__code__startswith=f"{code}."))
    if grant.reported_from is not None:
        scoped = scoped.filter(reported_at__gte=grant.reported_from)
    if grant.reported_until is not None:
        scoped = scoped.filter(reported_at__lt=grant.reported_until)
    return scoped.filter(_existing_or_later(grant)).select_related(*LIST_RELATED)


def _existing_or_later(grant: AccessGrant) -> Q:
    """A subtree covers what existed when the grant was issued; later incidents only when the
    grant says so, and for an owner's request only the later ones the requester owns."""
    existing = Q(created_at__lte=grant.issued_at) if grant.issued_at else Q(pk__in=[])
    if not grant.covers_later_incidents:
        return existing
    if grant.requested_as == GrantStanding.OWNER:
        return existing | Q(owner_id=grant.requested_by_id)
    return Q()


def _covers_in_time(grant: AccessGrant, incident: Incident) -> bool:
    existed = grant.issued_at is not None and incident.created_at <= grant.issued_at
    if existed or not grant.covers_later_incidents:
        return existed
    return grant.requested_as != GrantStanding.OWNER or incident.owner_id == grant.requested_by_id


def covers(grant: AccessGrant, incident: Incident) -> bool:
    """Per-object check. An explicit set is answered by guardian from the incident's direct
    foreign-key permission table (one indexed lookup) and the grant's own row."""
    if incident.organisation_id != grant.organisation_id:
        return False
    if grant.category_id is None:
        checker = ObjectPermissionChecker(grant.grantee)
        return (
            checker.has_perm(VIEW_INCIDENT, incident)
            and GrantedIncident.objects.filter(grant_id=grant.pk, incident_id=incident.pk).exists()
        )
    code = grant.category.code
    if not (incident.category.code == code or incident.category.code.startswith(f"{code}.")):
        return False
    if grant.reported_from is not None and incident.reported_at < grant.reported_from:
        return False
    if grant.reported_until is not None and incident.reported_at >= grant.reported_until:
        return False
    return _covers_in_time(grant, incident)


def incident_in(grant: AccessGrant, reference: str) -> Incident:
    incident = (
        Incident.objects.filter(organisation_id=grant.organisation_id, reference=reference)
        .select_related(*LIST_RELATED, "owner_position", "initial_responsible", "reporter")
        .first()
    )
    if incident is None or not covers(grant, incident):
        raise not_found(grant.grantee, Incident, "No such incident.", reference=reference)
    return incident


def evidence_visible(grant: AccessGrant, evidence: Evidence) -> bool:
    return not grant.evidence_kinds or evidence.kind in grant.evidence_kinds
