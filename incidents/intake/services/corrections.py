"""Platform admins' corrections from the Django admin, each through the service that owns the
effect: an incident's severity through `change_severity` (clocks recomputed), its responsible
person through the hand-off with its ARC trace, its descriptive fields and POLE entities with
one ledger event on the incident (so the timeline shows them); categories and SLA policies
with one ledger event per change. A closed incident is not corrected."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from incidents.choices import IncidentStatus
from incidents.core import clocks as core_clocks
from incidents.models import Category, Incident, PoleEntity, SeverityDefinition, SlaPolicy
from incidents.sla.services import clock_changes as sla_clock_changes
from incidents.work.services import execution as work
from iwms.audit import record_event
from iwms.audited_rows import delete_audited, deltas, field_values, save_audited
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals

Classification = Category | SlaPolicy | SeverityDefinition

# What a platform admin may correct on an incident that is not closed, besides the severity
# and the responsible person (which have their own services). Anchors, status, deadlines and
# the classification are read-only in the admin.
DETAIL_FIELDS = ("title", "narrative", "location", "risk_level", "time_sensitivity", "occurred_at")
CORRECTABLE_FIELDS = ("severity", "responsible", *DETAIL_FIELDS)
MIN_REASON = core_clocks.MIN_REASON


def _refuse_closed(incident: Incident) -> None:
    if incident.status == IncidentStatus.CLOSED:
        raise PolicyError.on(
            "transition.not_allowed",
            f"{incident.reference} is closed: it is read-only; reopen it first.",
            incident,
            state=incident.status,
        )


def correct_incident(*, incident: Incident, actor: User, changes: dict[str, Any], reason: str) -> Incident:
    """Apply a platform admin's corrections (`{field: new value}`, fields from
    `CORRECTABLE_FIELDS`) to an incident that is not closed, each through its service, all or
    nothing, with the admin's reason on every ledger event."""
    with audited_refusals(actor=actor):
        unknown = sorted(set(changes) - set(CORRECTABLE_FIELDS))
        if unknown:
            raise PolicyError.on(
                "validation.invalid", f"{', '.join(unknown)} cannot be changed here.", incident, fields=unknown
            )
        reason = " ".join(reason.split())
        if len(reason) < MIN_REASON:
            raise PolicyError.on(
                "validation.invalid",
                f"Say why the incident is corrected (at least {MIN_REASON} characters).",
                incident,
                field="change_reason",
            )
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            _refuse_closed(locked)
            details = {name: value for name, value in changes.items() if name in DETAIL_FIELDS}
            if details:
                before = field_values(locked)
                for name, value in details.items():
                    setattr(locked, name, value)
                delta = deltas(before, field_values(locked))
                if delta:
                    locked.save(update_fields=[*delta, "updated_at"])
                    record_event(
                        tenant=locked.organisation_id,
                        action=AuditAction.UPDATE,
                        actor=actor,
                        obj=locked,
                        message=f"Corrected in the admin ({', '.join(delta)}): {reason}",
                        changes=delta,
                    )
            if "severity" in changes and changes["severity"] != locked.severity:
                sla_clock_changes.change_severity(
                    incident=locked, actor=actor, severity=changes["severity"], reason=reason
                )
            new_responsible = changes.get("responsible")
            if new_responsible is not None and new_responsible.pk != locked.responsible_id:
                work.reassign_incident(incident=locked, actor=actor, to_person=new_responsible, reason=reason)
    incident.refresh_from_db()
    return incident


def save_pole_entity(*, entity: PoleEntity, actor: User) -> PoleEntity:
    """Add or change a POLE entity of an incident that is not closed; the event is on the
    incident, so its timeline shows it."""
    with audited_refusals(actor=actor), transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=entity.incident_id)
        _refuse_closed(incident)
        created = entity._state.adding
        before = {} if created else field_values(PoleEntity.objects.get(pk=entity.pk))
        entity.save()
        delta = deltas(before, field_values(entity))
        if delta:
            record_event(
                tenant=incident.organisation_id,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=incident,
                message=f"POLE entity {entity.name} ({entity.get_type_display()}) {'added' if created else 'changed'} "
                "in the admin.",
                changes={"pole_entity": entity.pk, **delta},
            )
    return entity


def delete_pole_entity(*, entity: PoleEntity, actor: User) -> None:
    with audited_refusals(actor=actor), transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=entity.incident_id)
        _refuse_closed(incident)
        values = field_values(entity)
        pk = entity.pk
        entity.delete()
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=incident,
            message=f"POLE entity {values['name']} removed in the admin.",
            changes={"pole_entity": pk, "deleted": [False, True]},
        )


# --- categories, SLA policies and severity definitions -------------------------------------------


def save_classification(*, obj: Classification, actor: User | str, how: str = "in the admin") -> Classification:
    """Add or change a category, an SLA policy or a severity definition outside category
    governance (the Django admin, the demo seed): one ledger event with the field deltas, its
    message saying `how`. A category's code and name still change only through governance (the
    model refuses it)."""
    with audited_refusals(actor=actor), transaction.atomic():
        if (
            isinstance(obj, Category)
            and obj.parent_id is not None
            and obj.parent.organisation_id != obj.organisation_id
        ):
            raise PolicyError(
                "tenant.cross_reference",
                "A category's parent belongs to the same organisation.",
                tenant=obj.organisation,
                field="parent",
            )
        try:
            with transaction.atomic():
                save_audited(obj=obj, actor=actor, how=how)
        except IntegrityError as exc:
            raise PolicyError(
                "validation.invalid",
                f"This {obj._meta.verbose_name} conflicts with another: {exc}",
                tenant=obj.organisation,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk or ""),
            ) from exc
    return obj


def delete_classification(*, obj: Classification, actor: User) -> None:
    with audited_refusals(actor=actor), transaction.atomic():
        delete_audited(obj=obj, actor=actor)
