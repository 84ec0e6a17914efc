"""Who may do what to a workflow step, evidence or information request. The work page greys
out what this refuses and the services refuse it; the incident's own state is the incident
layer's question."""

from __future__ import annotations

from arc.roles import is_read_only
from iwms.decisions import ALLOWED, Decision
from iwms.models import User
from workflows.choices import RunStatus, StepStatus
from workflows.models import Evidence, Step, WorkflowRun


def _same_tenant(user: User, organisation_id: int) -> bool:
    return user.is_authenticated and user.organisation_id == organisation_id


def may_work_step(user: User, step: Step) -> Decision:
    """Add evidence to, complete, justify or pause a step: its executor only."""
    if not _same_tenant(user, step.organisation_id) or user.pk != step.executor_id:
        holder = step.assignee or step.run.responsible
        return Decision(False, f"Only {holder}, who executes this step, may work on it.")
    if step.run.status != RunStatus.OPEN:
        return Decision(False, "The workflow is no longer open.")
    return ALLOWED


def may_complete_step(user: User, step: Step) -> Decision:
    decision = may_work_step(user, step)
    if not decision:
        return decision
    if step.status == StepStatus.PAUSED:
        return Decision(False, "The step is paused until its information request is resolved.")
    if step.is_done:
        return Decision(False, "The step is already done.")
    return ALLOWED


def may_undo_not_applicable(user: User, step: Step) -> Decision:
    """Take back a step's not-applicable mark: its executor, while the workflow is open."""
    decision = may_work_step(user, step)
    if not decision:
        return decision
    if step.status != StepStatus.NOT_APPLICABLE:
        return Decision(False, "The step is not marked not applicable.")
    return ALLOWED


def may_be_asked(person: User) -> Decision:
    """Whether an information request may go to `person`: auditors and regulators read, they
    are never asked (a request would show them an incident their grant does not cover)."""
    if is_read_only(person):
        return Decision(
            False,
            f"{person.get_full_name() or person} is an auditor or regulator: they read, they are never asked "
            "for information. Choose a person who works here.",
            code="request.read_only_recipient",
        )
    return ALLOWED


def may_resolve_request(user: User, request: WorkflowRun) -> Decision:
    if not _same_tenant(user, request.organisation_id):
        return Decision(False, "This information request belongs to another organisation.")
    if is_read_only(user):
        return Decision(False, "Auditors and regulators read; they do not answer information requests.")
    if request.status != RunStatus.OPEN:
        return Decision(False, "The information request is already closed.")
    if user.pk != request.responsible_id:
        return Decision(False, f"Only {request.responsible}, to whom it was sent, answers this request.")
    return ALLOWED


def may_invalidate_evidence(user: User, evidence: Evidence) -> Decision:
    """The step's executor or the workflow's responsible person; never after invalidation."""
    if evidence.invalidated_at is not None:
        return Decision(False, "Already invalidated.")
    if not _same_tenant(user, evidence.organisation_id):
        return Decision(False, "This evidence belongs to another organisation.")
    if user.pk not in (evidence.step.executor_id, evidence.step.run.responsible_id):
        return Decision(False, "Only the step's executor or the responsible person may invalidate evidence.")
    return ALLOWED
