"""Split a derived incident out of one incident (seed 002 §7.2, §7.3).

Nothing is implicit: the caller names the POLE entities (moved to the derived incident), the
evidence and the steps (linked to it, so they stay where they were collected and are shown on
both). The derived incident gets its own anchors — source `split`, its source reference the
original's reference, the original as its parent (the provenance link) — an owner and a
responsible person by ARC, its own workflow from its category and its own clocks. The
original's clocks are recomputed; the reconciliation checks run inside the transaction and
both timelines record the split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import transaction

from incidents.choices import Source
from incidents.controls.models import Disposition, ItemKind, Lineage, Operation
from incidents.controls.policy import may_split
from incidents.controls.services import common
from incidents.controls.services.reconciliation import SUBJECT, census, reconcile
from incidents.core import lifecycle
from incidents.core.clocks import refresh_next_clock
from incidents.core.lifecycle import audited
from incidents.core.services import incident_workflows, notices
from incidents.intake.services.assignment import plan_assignment
from incidents.models import Incident, PoleEntity
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from workflows.models import Evidence, Step


def _selected(incident: Incident, actor: User, pole_ids, evidence_ids, step_ids):
    """The named rows, each checked to belong to `incident`: another organisation's is a
    security refusal, another incident's a mistake to correct."""
    poles = list(PoleEntity._base_manager.filter(pk__in=set(pole_ids)))
    evidence = list(Evidence._base_manager.filter(pk__in=set(evidence_ids)).select_related("step__run"))
    steps = list(Step._base_manager.filter(pk__in=set(step_ids)).select_related("run"))
    common.refuse_other_tenants(actor, [*poles, *evidence, *steps], "split")
    ours = (SUBJECT, str(incident.pk))
    strays = [f"POLE entity {p.pk}" for p in poles if p.incident_id != incident.pk]
    strays += [f"evidence {e.pk}" for e in evidence if (e.step.run.subject_type, e.step.run.subject_id) != ours]
    strays += [f"step {s.pk}" for s in steps if (s.run.subject_type, s.run.subject_id) != ours]
    missing = len(set(pole_ids)) + len(set(evidence_ids)) + len(set(step_ids)) - len(poles) - len(evidence) - len(steps)
    if strays or missing:
        raise PolicyError(
            "validation.invalid",
            f"Only {incident.reference}'s own items are split out"
            + (f"; not {', '.join(strays)}" if strays else "")
            + (f"; {missing} of the chosen items do not exist" if missing else "")
            + ".",
            tenant=incident.organisation,
            field="items",
            object_type="incidents.incident",
            object_id=str(incident.pk),
        )
    if not (poles or evidence or steps):
        raise PolicyError(
            "validation.invalid",
            "Choose what goes to the new incident: at least one POLE entity, evidence item or step.",
            tenant=incident.organisation,
            field="items",
        )
    return poles, evidence, steps


@audited
def split_incident(
    *,
    incident: Incident,
    actor: User,
    title: str,
    reason: str,
    pole_ids: Iterable[int] = (),
    evidence_ids: Iterable[int] = (),
    step_ids: Iterable[int] = (),
) -> Incident:
    """Split the chosen items of `incident` into a new derived incident; returns it."""
    pole_ids, evidence_ids, step_ids = list(pole_ids), list(evidence_ids), list(step_ids)
    common.refuse_other_tenants(actor, [incident], "split")
    reason = common.clean_reason(reason, incident)
    title = (title or "").strip()
    if len(title) < 5:
        raise PolicyError(
            "validation.invalid", "Give the new incident a title.", tenant=incident.organisation, field="title"
        )
    with transaction.atomic():
        (incident,) = common.lock([incident])
        may_split(actor, incident).enforce(incident)
        poles, evidence, steps = _selected(incident, actor, pole_ids, evidence_ids, step_ids)
        plan = plan_assignment(reporter=actor, category=incident.category, kind=incident.kind, unit=incident.unit)
        derived = lifecycle.create_incident(
            tenant=incident.organisation,
            actor=actor,
            kind=incident.kind,
            source=Source.SPLIT,
            source_reference=incident.reference,
            category=incident.category,
            title=title,
            narrative=f"Split from {incident.reference} '{incident.title}': {reason}",
            location=incident.location,
            unit=incident.unit,
            severity=incident.severity,
            risk_level=incident.risk_level,
            time_sensitivity=incident.time_sensitivity,
            occurred_at=incident.occurred_at,
            owner=plan.owner,
            owner_position=plan.owner_position,
            responsible=plan.responsible,
            reporter=actor,
            parent=incident,
        )
        before = census([incident.pk, derived.pk])
        incident_workflows.start_incident_workflow(incident=derived, actor=actor)
        lineage = Lineage.objects.create(
            organisation_id=incident.organisation_id,
            operation=Operation.SPLIT,
            source=incident,
            target=derived,
            actor=actor,
            reason=reason,
            source_status=incident.status,
        )
        for entity in poles:
            entity.incident = derived
            entity.save(update_fields=["incident", "updated_at"])
        common.add_items(lineage, ItemKind.POLE_ENTITY, [p.pk for p in poles], Disposition.MOVED)
        common.add_items(lineage, ItemKind.EVIDENCE, [e.pk for e in evidence], Disposition.LINKED)
        common.add_items(lineage, ItemKind.STEP, [s.pk for s in steps], Disposition.LINKED)
        refresh_next_clock(incident)
        refresh_next_clock(derived)
        # The derived incident's own workflow is new: it is counted as gained, not as moved.
        own = census([derived.pk]).of(derived.pk)
        moved = {
            incident.pk: Counter(pole_entities=-len(poles)),
            derived.pk: Counter(pole_entities=len(poles), workflows=own["workflows"], steps=own["steps"]),
        }
        summary = reconcile(before=before, incidents=[incident, derived], lineages=[lineage], moved=moved)
        lineage.reconciliation = summary
        lineage.save(update_fields=["reconciliation"])
        chosen = {"pole_entities": len(poles), "evidence": len(evidence), "steps": len(steps)}
        for subject, message in (
            (incident, f"Split into {derived.reference}: {reason}"),
            (derived, f"Split from {incident.reference}: {reason}"),
        ):
            record_event(
                tenant=incident.organisation_id,
                action=AuditAction.LINK,
                actor=actor,
                obj=subject,
                message=message,
                changes={"split": [incident.reference, derived.reference], "items": chosen, "reconciliation": summary},
            )
        notices.incident_assigned(derived)
    return derived
