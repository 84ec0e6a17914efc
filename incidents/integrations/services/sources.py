"""Registering a detection source (with its own integration account and first token),
issuing further tokens, pausing it, and keeping its mapping rules — each audited, by tenant
admins only."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from arc.choices import Role, TokenScope
from arc.models import ApiToken
from arc.services import grant_role
from arc.tokens import issue_token
from incidents.integrations.choices import SourceKind
from incidents.integrations.models import MappingRule, Source
from incidents.integrations.policy import check_manage_integrations
from incidents.models import Category
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from organogram.models import OrgUnit

SOURCE_SCOPES = (TokenScope.INCIDENTS_WRITE, TokenScope.INCIDENTS_READ)


def _check_tenant_row(actor: User, row: Any, field: str) -> None:
    if row is not None and row.organisation_id != actor.organisation_id:
        raise PolicyError(
            "tenant.cross_reference", "That choice belongs to another tenant.", tenant=actor.organisation, field=field
        )


def register_source(
    *,
    actor: User,
    name: str,
    kind: str,
    category: Category,
    unit: OrgUnit | None = None,
    incident_kind: str = "",
    slug: str = "",
) -> tuple[Source, str]:
    """Register a source of the actor's tenant: its integration account (granted the
    integration role) and a first token, returned in plain once."""
    check_manage_integrations(actor)
    tenant = actor.organisation
    _check_tenant_row(actor, category, "category")
    _check_tenant_row(actor, unit, "unit")
    if kind not in SourceKind.values:
        raise PolicyError("validation.invalid", "Choose a kind of source.", tenant=tenant, field="kind")
    if not name.strip():
        raise PolicyError("validation.invalid", "Name the source.", tenant=tenant, field="name")
    slug = slugify(slug or name)[:50]
    if not slug or Source.objects.for_tenant(tenant).filter(slug=slug).exists():
        raise PolicyError(
            "validation.invalid", f"A source called '{slug}' exists already.", tenant=tenant, field="slug"
        )
    with transaction.atomic():
        account = User(
            username=f"source-{tenant.pk}-{slug}-{secrets.token_hex(3)}"[:150],
            first_name=name.strip()[:150],
            organisation=tenant,
        )
        account.set_unusable_password()
        account.save()
        grant_role(tenant=tenant, user=account, role=Role.INTEGRATION, granted_by=actor, reason=f"source {slug}")
        source = Source(
            organisation=tenant,
            name=name.strip(),
            slug=slug,
            kind=kind,
            account=account,
            category=category,
            unit=unit,
            incident_kind=incident_kind or Source._meta.get_field("incident_kind").default,
            created_by=actor,
        )
        source.save()
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor,
            obj=source,
            message=f"Source '{source.name}' registered.",
            changes={"slug": slug, "kind": kind, "category": category.code, "unit": unit.pk if unit else None},
        )
        _, raw = issue_token(user=account, name=f"{source.name} events", scopes=SOURCE_SCOPES, actor=actor)
    return source, raw


def issue_source_token(*, source: Source, actor: User, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    check_manage_integrations(actor)
    _check_tenant_row(actor, source, "source")
    return issue_token(
        user=source.account, name=f"{source.name} events", scopes=SOURCE_SCOPES, actor=actor, expires_at=expires_at
    )


def pause_source(*, source: Source, actor: User, until: datetime | None) -> Source:
    """Suppress every event of the source until `until` (None: resume now)."""
    check_manage_integrations(actor)
    _check_tenant_row(actor, source, "source")
    if until is not None and until <= timezone.now():
        raise PolicyError(
            "validation.invalid", "Pause until a time in the future.", tenant=actor.organisation, field="until"
        )
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        before = locked.paused_until
        locked.paused_until = until
        locked.save(update_fields=["paused_until", "updated_at"])
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=locked,
            message=f"Source '{locked.name}' " + (f"paused until {until:%Y-%m-%d %H:%M}." if until else "resumed."),
            changes={"paused_until": [before.isoformat() if before else None, until.isoformat() if until else None]},
        )
    return locked


RULE_FIELDS = (
    "order",
    "match_event_type",
    "match_severity",
    "match_field",
    "match_value",
    "category",
    "incident_kind",
    "severity",
    "unit",
    "threshold_count",
    "threshold_window_seconds",
    "suppress",
)


def add_rule(*, source: Source, actor: User, **values: Any) -> MappingRule:
    check_manage_integrations(actor)
    _check_tenant_row(actor, source, "source")
    _check_tenant_row(actor, values.get("category"), "category")
    _check_tenant_row(actor, values.get("unit"), "unit")
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown rule fields: {sorted(unknown)}")
    if int(values.get("threshold_count", 1) or 1) < 1:
        raise PolicyError(
            "validation.invalid",
            "The threshold is at least one event.",
            tenant=actor.organisation,
            field="threshold_count",
        )
    if bool(values.get("match_field")) != bool(values.get("match_value")):
        raise PolicyError(
            "validation.invalid",
            "A payload condition names both the field and the value it must have.",
            tenant=actor.organisation,
            field="match_value",
        )
    with transaction.atomic():
        rule = MappingRule(organisation_id=source.organisation_id, source=source, **values)
        rule.save()
        record_event(
            tenant=source.organisation_id,
            action=AuditAction.CREATE,
            actor=actor,
            obj=rule,
            message=f"Mapping rule {rule.order} added to source '{source.name}'.",
            changes={name: getattr(rule, f"{name}_id", None) or getattr(rule, name) for name in RULE_FIELDS},
        )
    return rule


def remove_rule(*, rule: MappingRule, actor: User) -> None:
    check_manage_integrations(actor)
    _check_tenant_row(actor, rule, "rule")
    with transaction.atomic():
        record_event(
            tenant=rule.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=rule.source,
            message=f"Mapping rule {rule.order} removed from source '{rule.source.name}'.",
            changes={"rule": rule.pk},
        )
        rule.delete()
