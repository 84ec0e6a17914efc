"""Corrective workflows: the work a supervisor sends back with a rejected closure, as a run of
its own on the same subject, so the main workflow's steps and reviews stay as they were."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.models import Organisation, User
from workflows.choices import EvidenceKind, RunKind
from workflows.models import Step, WorkflowRun

CORRECTIVE_STEP_NAME = "Carry out the supervisor's instructions"


def start_corrective_workflow(
    *,
    tenant: Organisation,
    subject_type: str,
    subject_id: str,
    title: str,
    responsible: User,
    requested_by: User,
    instructions: str,
    started_at: datetime,
    due_at: datetime,
    actor: Any = None,
) -> WorkflowRun:
    """One mandatory step carrying `instructions`, executed by `responsible` and evidenced
    by a narrative of what was done. The step is numbered after every step the subject's
    runs already have, so the work page reads as one list."""
    with transaction.atomic(savepoint=False):
        existing = Step.objects.filter(
            organisation=tenant, run__subject_type=subject_type, run__subject_id=subject_id
        ).order_by("-position")
        last_position = existing.values_list("position", flat=True).first() or 0
        earlier = WorkflowRun.objects.filter(
            organisation=tenant, subject_type=subject_type, subject_id=subject_id, kind=RunKind.CORRECTIVE
        ).count()
        run = WorkflowRun(
            organisation=tenant,
            kind=RunKind.CORRECTIVE,
            subject_type=subject_type,
            subject_id=subject_id,
            title=title,
            request=instructions,
            responsible=responsible,
            requested_by=requested_by,
            started_at=started_at,
            due_at=due_at,
        )
        run.save()
        step = Step(
            organisation=tenant,
            run=run,
            position=last_position + 1,
            key=f"supervisor_instructions_{earlier + 1}",
            name=CORRECTIVE_STEP_NAME,
            instructions=instructions,
            mandatory=True,
            required_evidence=[EvidenceKind.NARRATIVE.value],
            due_at=due_at,
        )
        step.save()
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor if actor is not None else requested_by,
            obj=run,
            message=f"Corrective workflow for {responsible}: {instructions}",
            changes={
                "kind": RunKind.CORRECTIVE,
                "subject": f"{subject_type}:{subject_id}",
                "responsible": responsible.pk,
                "step": step.pk,
                "due_at": due_at,
            },
        )
    return run
