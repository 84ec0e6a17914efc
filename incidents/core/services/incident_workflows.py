"""An incident's main workflow: generated from its category's current template version when the
incident is confirmed (or escalated, or reopened without one), its steps' due dates folded into
the incident's clocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidents.core.clocks import add_started_clocks, step_clock
from incidents.core.selectors import SUBJECT
from incidents.models import Category, Incident
from iwms.models import Organisation
from workflows.models import TemplateStep, WorkflowRun, WorkflowTemplate
from workflows.services import runs as run_services
from workflows.services.templates import template_steps_for_category_code


def start_incident_workflows(
    *,
    tenant: Organisation,
    incidents: list[Incident],
    actor: Any = None,
    templates: Callable[[Category], tuple[WorkflowTemplate, list[TemplateStep]]] | None = None,
) -> list[WorkflowRun]:
    """Generate each new incident's workflow from its category's current template version (all
    of one tenant, written together: `run_services.start_workflows`). `templates` gives a
    category's template with its steps when the caller has them already."""

    def read(category: Category) -> tuple[WorkflowTemplate, list[TemplateStep]]:
        return template_steps_for_category_code(tenant=tenant, template_code=category.workflow_template_code)

    chosen = [(templates or read)(incident.category) for incident in incidents]
    runs = run_services.start_workflows(
        tenant=tenant,
        runs=[
            run_services.NewRun(
                template=template,
                template_steps=steps,
                subject_type=SUBJECT,
                subject_id=str(incident.pk),
                title=f"{incident.reference}: {template.name}",
                responsible=incident.responsible,
                started_at=incident.clock_start,
                finish_by=incident.resolve_due_at,  # no step is due after the incident's resolve deadline
            )
            for incident, (template, steps) in zip(incidents, chosen, strict=True)
        ],
        actor=actor,
    )
    # Step due dates are clocks too; they have only just started, so fold them in without re-reading.
    for incident, run in zip(incidents, runs, strict=True):
        add_started_clocks(
            incident, (step_clock(run, step) for step in run.generated_steps if step.mandatory and step.due_at)
        )
    return runs


def start_incident_workflow(*, incident: Incident, actor: Any = None) -> WorkflowRun:
    """Generate the category's workflow (its current template version) for a new incident."""
    return start_incident_workflows(tenant=incident.organisation, incidents=[incident], actor=actor)[0]
