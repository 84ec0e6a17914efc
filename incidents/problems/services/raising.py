"""Raising a problem: checked for similar active problems, owned and worked by whom ARC says,
numbered, recorded, and — when raised from an incident — linked to it with its facts."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.core.lifecycle import next_references
from incidents.intake.services.assignment import plan_assignment
from incidents.models import Category, Incident
from incidents.problems.choices import DetectionSource
from incidents.problems.models import Problem
from incidents.problems.policy import may_raise_problem
from incidents.problems.services.links import add_link
from incidents.problems.similarity import similar_problems
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.notifications import notify
from iwms.refusals import audited_refusals
from organogram.models import OrgUnit

REFERENCE_PREFIX = "PRB"
KIND = "problem"  # the kind accountability rules name for problems ("" rules cover it too)


def raise_problem(
    *,
    actor: User,
    title: str,
    description: str,
    category: Category,
    detection_source: DetectionSource | str,
    unit: OrgUnit | None = None,
    from_incident: Incident | None = None,
    similar_confirmed: bool = False,
    now: datetime | None = None,
) -> Problem:
    """A new problem, logged. Refused with `problem.similar_exists` while active problems read
    alike, unless the person confirmed it is a different one (they may link to one instead)."""
    with audited_refusals(actor=actor):
        tenant = actor.organisation
        decision = may_raise_problem(actor)
        if not decision:
            raise PolicyError(decision.code, decision.reason, tenant=tenant)
        title, description = title.strip(), description.strip()
        if not title:
            raise PolicyError("validation.invalid", "Give the problem a title.", tenant=tenant, field="title")
        if not description:
            raise PolicyError(
                "validation.invalid", "Describe the problem: what fails, and where.", tenant=tenant, field="description"
            )
        if detection_source not in DetectionSource.values:
            raise PolicyError(
                "validation.invalid", "Choose how it was detected.", tenant=tenant, field="detection_source"
            )
        if category.organisation_id != actor.organisation_id or (
            from_incident is not None and from_incident.organisation_id != actor.organisation_id
        ):
            raise PolicyError("tenant.cross_reference", "That belongs to another organisation.", tenant=tenant)
        similar = similar_problems(tenant_id=tenant.pk, category=category, text=f"{title} {description}")
        if similar and not similar_confirmed:
            listed = "; ".join(f"{c.problem.reference} “{c.problem.title}”" for c in similar)
            raise PolicyError(
                "problem.similar_exists",
                f"Active problems read like this one: {listed}. Link the incident to one of them, or confirm "
                "that this is a different problem.",
                tenant=tenant,
                field="similar_confirmed",
                similar=[c.problem.reference for c in similar],
            )
        now = now or timezone.now()
        unit = unit or (from_incident.unit if from_incident is not None else None)
        plan = plan_assignment(reporter=actor, category=category, kind=KIND, unit=unit, tenant=tenant)
        with transaction.atomic():
            problem = Problem(
                organisation=tenant,
                reference=next_references(tenant=tenant, at=now, count=1, prefix=REFERENCE_PREFIX)[0],
                title=title,
                description=description,
                detection_source=detection_source,
                category=category,
                unit=plan.unit,
                owner=plan.owner,
                owner_position=plan.owner_position,
                responsible=plan.responsible,
                raised_by=actor,
                raised_from=from_incident,
            )
            problem.save()
            record_event(
                tenant=tenant,
                action=AuditAction.CREATE,
                actor=actor,
                obj=problem,
                message=f"Problem {problem.reference} raised"
                + (f" from {from_incident.reference}" if from_incident else ""),
                changes={
                    "status": [None, problem.status],
                    "owner": [None, plan.owner.username],
                    "responsible": [None, plan.responsible.username],
                    "assignment": plan.explanation,
                    "similar_confirmed": [c.problem.reference for c in similar],
                },
            )
            if from_incident is not None:
                add_link(
                    problem=problem, incident=from_incident, actor=actor, note="Raised from this incident.", now=now
                )
            url = reverse("problems:detail", args=[problem.reference])
            for recipient in {plan.owner.pk: plan.owner, plan.responsible.pk: plan.responsible}.values():
                if recipient.pk != actor.pk:
                    notify(
                        recipient=recipient,
                        event="problem.assigned",
                        obj=problem,
                        subject=f"Problem {problem.reference}: {problem.title}",
                        body=f"{actor} raised problem {problem.reference} “{problem.title}”. "
                        f"Owner: {plan.owner}; responsible: {plan.responsible}.",
                        url=url,
                    )
        return problem
