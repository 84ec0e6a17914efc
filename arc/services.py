"""Writes of ARC: delegations (the ARC trace), role grants and accountability rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from arc.choices import DelegationReason, DelegationScope, DelegationStatus, Role
from arc.models import AccountabilityRule, Delegation, RoleGrant
from iwms.audit import record_event
from iwms.audited_rows import delete_audited, save_audited
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.refusals import audited_refusals
from iwms.transitions import run_transition
from organogram.models import OrgUnit, Position

MIN_HANDOFF_NOTE = 15


def delegate_responsibility(
    *,
    tenant: Organisation,
    subject_type: str,
    subject_id: str,
    scope: DelegationScope,
    from_person: User,
    to_person: User,
    reason_code: DelegationReason,
    handoff_note: str,
    requires_acceptance: bool,
    actor: Any = None,
) -> Delegation:
    """Hand responsibility for a subject (an incident, a step) to someone else. Without
    required acceptance the delegation takes effect at once; accountability never moves."""
    if from_person.pk == to_person.pk:
        raise PolicyError(
            "arc.self_delegation",
            "You cannot delegate to yourself.",
            tenant=tenant,
            object_type=subject_type,
            object_id=subject_id,
        )
    if len(handoff_note.strip()) < MIN_HANDOFF_NOTE:
        raise PolicyError(
            "validation.invalid",
            f"The hand-off note must say what the next person needs to know (at least {MIN_HANDOFF_NOTE} characters).",
            tenant=tenant,
            field="handoff_note",
            object_type=subject_type,
            object_id=subject_id,
        )
    with transaction.atomic():
        # The status field is protected (it changes only through transitions), so a delegation
        # that needs no acceptance is born accepted rather than set to accepted afterwards.
        delegation = Delegation(
            organisation=tenant,
            subject_type=subject_type,
            subject_id=subject_id,
            scope=scope,
            from_person=from_person,
            to_person=to_person,
            reason_code=reason_code,
            handoff_note=handoff_note.strip(),
            requires_acceptance=requires_acceptance,
            status=DelegationStatus.PROPOSED if requires_acceptance else DelegationStatus.ACCEPTED,
            accepted_at=None if requires_acceptance else timezone.now(),
        )
        delegation.save()
        record_event(
            tenant=tenant,
            action=AuditAction.DELEGATE,
            actor=actor or from_person,
            obj=delegation,
            changes={
                "subject": f"{subject_type}:{subject_id}",
                "scope": scope,
                "from": from_person.pk,
                "to": to_person.pk,
                "reason": reason_code,
                "status": delegation.status,
            },
        )
    return delegation


def accept_delegation(*, delegation: Delegation, actor: User, note: str = "") -> Delegation:
    return run_transition(
        delegation,
        "accept",
        actor=actor,
        action=AuditAction.DELEGATE,
        message="Delegation accepted.",
        at=timezone.now(),
        note=note,
    )


def decline_delegation(*, delegation: Delegation, actor: User, note: str) -> Delegation:
    return run_transition(
        delegation, "decline", actor=actor, action=AuditAction.DELEGATE, message="Delegation declined.", note=note
    )


def revoke_delegation(*, delegation: Delegation, actor: User, note: str) -> Delegation:
    return run_transition(
        delegation, "revoke", actor=actor, action=AuditAction.DELEGATE, message="Delegation revoked.", note=note
    )


def grant_role(
    *,
    tenant: Organisation,
    user: User,
    role: Role,
    granted_by: User | None = None,
    reason: str = "",
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    actor: Any = None,
) -> RoleGrant:
    with transaction.atomic():
        grant = RoleGrant(
            organisation=tenant,
            user=user,
            role=role,
            granted_by=granted_by,
            reason=reason,
            starts_at=starts_at or timezone.now(),
            expires_at=expires_at,
        )
        grant.save()
        record_event(
            tenant=tenant,
            action=AuditAction.ASSIGN,
            actor=actor or granted_by,
            obj=grant,
            changes={"user": user.pk, "role": role, "expires_at": expires_at.isoformat() if expires_at else None},
        )
    return grant


def revoke_role(*, grant: RoleGrant, actor: Any = None) -> RoleGrant:
    with transaction.atomic():
        locked = RoleGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save()
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                changes={"revoked_at": [None, locked.revoked_at.isoformat()]},
            )
    return locked


def create_accountability_rule(
    *,
    tenant: Organisation,
    unit: OrgUnit,
    accountable_position: Position,
    kind: str = "",
    category_code: str = "",
    description: str = "",
    actor: Any = None,
) -> AccountabilityRule:
    with transaction.atomic():
        rule = AccountabilityRule(
            organisation=tenant,
            unit=unit,
            accountable_position=accountable_position,
            kind=kind,
            category_code=category_code,
            description=description,
        )
        rule.save()
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor,
            obj=rule,
            changes={
                "unit": unit.pk,
                "position": accountable_position.pk,
                "kind": kind,
                "category_code": category_code,
            },
        )
    return rule


# --- edits without a dedicated verb (the Django admin) ------------------------------------------


def save_arc_setting(*, obj: AccountabilityRule | RoleGrant, actor: Any) -> AccountabilityRule | RoleGrant:
    """Add or change an accountability rule or a role grant outside the dedicated verbs (the
    Django admin): one ledger event with the field deltas, naming `actor`. A role grant's
    revocation goes through `revoke_role`."""
    with audited_refusals(actor=actor), transaction.atomic():
        if isinstance(obj, RoleGrant) and obj.expires_at is not None and obj.expires_at <= obj.starts_at:
            raise PolicyError(
                "validation.invalid",
                "A role grant expires after it starts.",
                tenant=obj.organisation,
                object_type="arc.rolegrant",
                object_id=str(obj.pk or ""),
                field="expires_at",
            )
        if isinstance(obj, RoleGrant) and not obj._state.adding and obj.revoked_at is not None:
            stored = RoleGrant.objects.select_for_update().get(pk=obj.pk)
            if stored.revoked_at is None:
                obj.revoked_at = None  # the other edits first, then the revocation
                save_audited(obj=obj, actor=actor)
                return revoke_role(grant=obj, actor=actor)
        save_audited(obj=obj, actor=actor)
    return obj


def delete_arc_setting(*, obj: AccountabilityRule | RoleGrant, actor: Any) -> None:
    """Delete an accountability rule or a role grant (the Django admin), with its ledger event."""
    with audited_refusals(actor=actor), transaction.atomic():
        delete_audited(obj=obj, actor=actor)
