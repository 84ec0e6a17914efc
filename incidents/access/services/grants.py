"""Grants: the owner of incidents requests read access for an auditor, regulator or external
provider; a tenant admin issues or declines it; either revokes it. Every step, and every read a grantee
makes through one, is written to the ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Permission
from django.db import models, transaction
from django.utils import timezone

from arc.choices import Role
from arc.roles import roles_of
from incidents.choices import GrantStanding
from incidents.core.services import notices
from incidents.models import (
    AccessGrant,
    AuditPack,
    Category,
    EvidenceUserObjectPermission,
    GrantedIncident,
    Incident,
    IncidentUserObjectPermission,
)
from incidents.work.services import execution as work
from iwms.audit import Entry, record_event, record_events
from iwms.choices import AuditAction
from iwms.date_bounds import DEADLINE_HORIZON, out_of_bounds
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.refusals import audited_refusals
from organogram.hierarchy import positions_of
from workflows.choices import EvidenceKind, EvidenceSource
from workflows.models import Evidence, Step

GRANTEE_ROLES = (Role.AUDITOR, Role.REGULATOR, Role.EXTERNAL_PROVIDER)
VIEW_INCIDENT = "view_incident"
VIEW_EVIDENCE = "view_evidence"


def _refuse(code: str, message: str, tenant: Organisation, grant: AccessGrant | None = None, **context: Any):
    if grant is not None and grant.pk:
        context.update(object_type="incidents.accessgrant", object_id=str(grant.pk))
    return PolicyError(code, message, tenant=tenant, **context)


def _view_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="incidents", codename=VIEW_INCIDENT)


def request_grant(
    *,
    tenant: Organisation,
    actor: User,
    grantee: User,
    purpose: str,
    expires_at: datetime,
    incidents: Sequence[Incident] = (),
    category: Category | None = None,
    reported_from: datetime | None = None,
    reported_until: datetime | None = None,
    evidence_kinds: Iterable[str] = (),
    covers_later_incidents: bool = False,
) -> AccessGrant:
    """Ask for `grantee` to read a scope: an explicit set of incidents the requester owns, or a
    category subtree over a date range. A subtree is asked for by its category custodian or a
    tenant admin, or by an owner of incidents in it when every incident in it so far is theirs
    (`subtree_standing`); anyone else is refused with `grant.no_standing`. A subtree covers the
    incidents that exist when the grant is issued; with `covers_later_incidents` also those
    reported later — for an owner, only the later ones they own."""
    with audited_refusals(actor=actor):
        kinds = sorted(set(evidence_kinds))
        if bool(incidents) == (category is not None):
            raise _refuse("grant.invalid_scope", "Name either a set of incidents or a category subtree.", tenant)
        if category is None and (reported_from or reported_until):
            raise _refuse("grant.invalid_scope", "A date range goes with a category subtree.", tenant)
        if any(kind not in EvidenceKind.values for kind in kinds):
            raise _refuse("validation.invalid", "Unknown kind of evidence.", tenant, field="evidence_kinds")
        if expires_at <= timezone.now():
            raise _refuse("validation.invalid", "A grant must expire in the future.", tenant, field="expires_at")
        # A day of slack: the form's last allowed day expires at that day's end.
        if problem := out_of_bounds(expires_at, horizon=DEADLINE_HORIZON + timedelta(days=1)):
            raise _refuse("validation.invalid", problem, tenant, field="expires_at")
        if not purpose.strip():
            raise _refuse("validation.invalid", "Say what the grant is for.", tenant, field="purpose")
        if grantee.organisation_id != tenant.pk or not any(role in roles_of(grantee) for role in GRANTEE_ROLES):
            raise _refuse(
                "grant.grantee_not_external",
                f"{grantee} is not an auditor, regulator or external provider of {tenant}.",
                tenant,
                grantee=grantee.pk,
            )
        standing = GrantStanding.OWNER
        if category is not None:
            if category.organisation_id != tenant.pk:
                raise _refuse("tenant.cross_reference", "The category belongs to another tenant.", tenant)
            in_scope = subtree_incidents(tenant.pk, category.code, reported_from, reported_until)
            standing = subtree_standing(actor, category) or GrantStanding.OWNER
            if standing == GrantStanding.OWNER and not in_scope.filter(owner=actor).exists():
                raise _refuse(
                    "grant.no_standing",
                    f"You own no incident in {category.code} and below"
                    + (" in that date range" if reported_from or reported_until else "")
                    + ", and you are neither its category custodian nor a tenant admin: ask one of them to "
                    "request this grant.",
                    tenant,
                    category=category.code,
                    field="category",
                )
        else:
            if covers_later_incidents:
                raise _refuse(
                    "grant.invalid_scope", "Only a category subtree can cover incidents reported later.", tenant
                )
            in_scope = Incident.objects.filter(pk__in=[incident.pk for incident in incidents])
            if in_scope.exclude(organisation=tenant).exists() or in_scope.count() != len({i.pk for i in incidents}):
                raise _refuse("tenant.cross_reference", "An incident belongs to another tenant.", tenant)
        # An owner speaks only for their own incidents; a custodian or tenant admin for the subtree.
        foreign = []
        if standing == GrantStanding.OWNER:
            foreign = list(in_scope.exclude(owner=actor).values_list("reference", flat=True)[:5])
        if foreign:
            raise _refuse(
                "grant.not_owner",
                f"You are not the owner of {', '.join(foreign)}; its owner requests access to it.",
                tenant,
                references=foreign,
            )
        with transaction.atomic():
            grant = AccessGrant(
                organisation=tenant,
                grantee=grantee,
                category=category,
                reported_from=reported_from,
                reported_until=reported_until,
                evidence_kinds=kinds,
                covers_later_incidents=covers_later_incidents,
                requested_as=standing,
                purpose=purpose.strip(),
                expires_at=expires_at,
                requested_by=actor,
            )
            grant.save()
            GrantedIncident.objects.bulk_create(
                [GrantedIncident(organisation=tenant, grant=grant, incident=incident) for incident in incidents]
            )
            record_event(
                tenant=tenant,
                action=AuditAction.CREATE,
                actor=actor,
                obj=grant,
                message=f"Grant requested for {grantee}: {grant.purpose}",
                changes={
                    "grantee": grantee.pk,
                    "incidents": sorted(incident.pk for incident in incidents),
                    "category": category.code if category else None,
                    "reported_from": reported_from,
                    "reported_until": reported_until,
                    "evidence_kinds": kinds,
                    "covers_later_incidents": covers_later_incidents,
                    "requested_as": standing,
                    "expires_at": expires_at,
                },
            )
            notices.grant_requested(grant=grant, scope=len(incidents), category=category)
        return grant


def subtree_standing(actor: User, category: Category) -> GrantStanding | None:
    """Whether `actor` speaks for the whole subtree under `category`: as a tenant admin, or as
    the holder of the custodian position of that category or of one above it. None otherwise
    (an owner of incidents in it may still ask, for a subtree whose incidents are all theirs)."""
    if actor.organisation_id != category.organisation_id:
        return None
    if Role.TENANT_ADMIN in roles_of(actor):
        return GrantStanding.TENANT_ADMIN
    held = {position.pk for position in positions_of(actor)}
    if not held:
        return None
    custodians = {category.custodian_position_id} | set(
        Category.objects.ancestors(category).values_list("custodian_position_id", flat=True)
    )
    return GrantStanding.CATEGORY_CUSTODIAN if held & custodians else None


def subtree_incidents(
    tenant_id: int, code: str, reported_from: datetime | None, reported_until: datetime | None
) -> models.QuerySet[Incident]:
    """Incidents of the category `code` and its descendants (by dotted-code prefix) in the range."""
    found = Incident.objects.filter(organisation_id=tenant_id).filter(
        models.Q(category__code=code) | models.Q(category__code__startswith=f"{code}.")
    )
    if reported_from is not None:
        found = found.filter(reported_at__gte=reported_from)
    if reported_until is not None:
        found = found.filter(reported_at__lt=reported_until)
    return found


def issue_grant(*, grant: AccessGrant, actor: User) -> AccessGrant:
    """A tenant admin (never the requester) issues a requested grant; the grantee's
    per-object permissions on an explicit set are written to the direct foreign-key table."""
    tenant = grant.organisation
    with audited_refusals(actor=actor):
        if actor.organisation_id != tenant.pk or Role.TENANT_ADMIN not in roles_of(actor):
            raise _refuse("access_denied", "Only a tenant admin issues grants.", tenant, grant)
        if actor.pk == grant.requested_by_id:
            raise _refuse("access_denied", "Someone other than the requester issues a grant.", tenant, grant)
        with transaction.atomic():
            locked = AccessGrant.objects.select_for_update().get(pk=grant.pk)
            if locked.issued_at is not None or locked.revoked_at is not None or locked.expires_at <= timezone.now():
                raise _refuse("grant.not_issuable", f"This grant is {locked.status}.", tenant, locked)
            locked.issued_by = actor
            locked.issued_at = timezone.now()
            locked.save(update_fields=["issued_by", "issued_at", "updated_at"])
            permission = _view_permission()
            incident_ids = list(locked.granted_incidents.values_list("incident_id", flat=True))
            IncidentUserObjectPermission.objects.bulk_create(
                [
                    IncidentUserObjectPermission(user=locked.grantee, permission=permission, content_object_id=pk)
                    for pk in incident_ids
                ],
                ignore_conflicts=True,
            )
            record_event(
                tenant=tenant,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                message=f"Grant issued to {locked.grantee} until {locked.expires_at:%Y-%m-%d %H:%M}.",
                changes={"status": ["requested", "live"], "expires_at": locked.expires_at},
            )
        return locked


def decline_grant(*, grant: AccessGrant, actor: User, reason: str) -> AccessGrant:
    """A tenant admin declines a requested grant, saying why; it is never issued. The reason
    is kept as the grant's revocation reason (a declined grant is one ended before its issue)."""
    tenant = grant.organisation
    with audited_refusals(actor=actor):
        if actor.organisation_id != tenant.pk or Role.TENANT_ADMIN not in roles_of(actor):
            raise _refuse("access_denied", "Only a tenant admin declines a grant request.", tenant, grant)
        if not reason.strip():
            raise _refuse("validation.invalid", "Say why the request is declined.", tenant, grant, field="reason")
        with transaction.atomic():
            locked = AccessGrant.objects.select_for_update().get(pk=grant.pk)
            if locked.issued_at is not None or locked.revoked_at is not None:
                raise _refuse("grant.not_issuable", f"This grant is {locked.status}.", tenant, locked)
            locked.revoked_at = timezone.now()
            locked.revoked_by = actor
            locked.revocation_reason = reason.strip()
            locked.save(update_fields=["revoked_at", "revoked_by", "revocation_reason", "updated_at"])
            record_event(
                tenant=tenant,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                message=f"Grant request declined: {locked.revocation_reason}",
                changes={"status": ["requested", "declined"]},
            )
        return locked


def revoke_grant(*, grant: AccessGrant, actor: User, reason: str) -> AccessGrant:
    """A tenant admin or the requester ends a grant before it expires. Per-object permissions
    no other live grant of the grantee still needs are removed."""
    tenant = grant.organisation
    with audited_refusals(actor=actor):
        is_admin = actor.organisation_id == tenant.pk and Role.TENANT_ADMIN in roles_of(actor)
        if not is_admin and actor.pk != grant.requested_by_id:
            raise _refuse("access_denied", "Only a tenant admin or the requester revokes a grant.", tenant, grant)
        if not reason.strip():
            raise _refuse("validation.invalid", "Say why the grant is revoked.", tenant, grant, field="reason")
        with transaction.atomic():
            locked = AccessGrant.objects.select_for_update().get(pk=grant.pk)
            if locked.revoked_at is not None:
                raise _refuse("grant.not_issuable", "This grant is already revoked.", tenant, locked)
            before = locked.status
            locked.revoked_at = timezone.now()
            locked.revoked_by = actor
            locked.revocation_reason = reason.strip()
            locked.save(update_fields=["revoked_at", "revoked_by", "revocation_reason", "updated_at"])
            still_needed = GrantedIncident.objects.filter(
                grant__grantee=locked.grantee,
                grant__issued_at__isnull=False,
                grant__revoked_at__isnull=True,
                grant__expires_at__gt=locked.revoked_at,
            ).values("incident_id")
            IncidentUserObjectPermission.objects.filter(
                user=locked.grantee,
                content_object_id__in=locked.granted_incidents.values("incident_id"),
            ).exclude(content_object_id__in=still_needed).delete()
            record_event(
                tenant=tenant,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                message=f"Grant revoked: {locked.revocation_reason}",
                changes={"status": [before, "revoked"]},
            )
        return locked


def record_reads(*, grant: AccessGrant, actor: User, objects: Sequence[models.Model], what: str) -> None:
    """One `read` event per object shown or downloaded, with the grant that allowed it; a page
    of any length costs the same few statements."""
    record_events(
        tenant=grant.organisation_id,
        entries=[
            Entry(action=AuditAction.READ, obj=obj, actor=actor, message=what, changes={"grant": grant.pk})
            for obj in objects
        ],
    )


def request_audit_pack(*, grant: AccessGrant, actor: User) -> AuditPack:
    """The grantee asks for a pack of the grant's scope; it is generated after commit."""
    from incidents.access.tasks import build_audit_pack

    with audited_refusals(actor=actor):
        if actor.pk != grant.grantee_id:
            raise _refuse("access_denied", "Only the grantee exports an audit pack.", grant.organisation, grant)
        if not grant.is_live():
            raise _refuse("grant.expired", f"Grant #{grant.pk} is {grant.status}.", grant.organisation, grant)
        with transaction.atomic():
            pack = AuditPack(organisation_id=grant.organisation_id, grant=grant, requested_by=actor)
            pack.save()
            record_event(
                tenant=grant.organisation_id,
                action=AuditAction.CREATE,
                actor=actor,
                obj=pack,
                message=f"Audit pack requested under grant #{grant.pk}.",
                changes={"grant": grant.pk},
            )
            transaction.on_commit(lambda: build_audit_pack.delay(pack.pk))
        return pack


def add_provider_evidence(*, step: Step, actor: User, upload: Any = None, **fields: Any) -> Evidence:
    """An external provider submits evidence on a step assigned to them (provenance: external
    provider) and may then download that item, and no other of the incident."""
    return add_provider_evidence_items(step=step, actor=actor, uploads=[upload] if upload else [], **fields)[0]


def add_provider_evidence_items(*, step: Step, actor: User, **fields: Any) -> list[Evidence]:
    """Several files at once, all or nothing, each downloadable afterwards by the provider."""
    incident = Incident.objects.get(organisation_id=step.organisation_id, pk=int(step.run.subject_id))
    with audited_refusals(actor=actor), transaction.atomic():
        items = work.add_step_evidence_items(
            incident=incident, step=step, actor=actor, source=EvidenceSource.EXTERNAL_PROVIDER, **fields
        )
        permission = Permission.objects.get(content_type__app_label="workflows", codename=VIEW_EVIDENCE)
        for item in items:
            EvidenceUserObjectPermission.objects.get_or_create(user=actor, permission=permission, content_object=item)
    return items
