"""Starting workflows, and the information requests (sub-workflows) that pause a step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from iwms.audit import record_event
from iwms.bulk_rows import create_with_history
from iwms.choices import AuditAction
from iwms.date_bounds import DEADLINE_HORIZON, out_of_bounds
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.transitions import run_transition
from organogram.hierarchy import holders_by_position
from workflows.choices import ResponsibleRole, RunKind, RunStatus, StepStatus
from workflows.models import Step, TemplateStep, WorkflowRun, WorkflowTemplate
from workflows.policy import may_be_asked, may_resolve_request, may_work_step

MIN_REQUEST = 15


@dataclass(frozen=True)
class NewRun:
    """A main workflow to start for a subject, from a template version and its steps."""

    template: WorkflowTemplate
    template_steps: list[TemplateStep]
    subject_type: str
    subject_id: str
    title: str
    responsible: User
    started_at: datetime
    finish_by: datetime | None = None  # the subject's own deadline: no step is due after it (`fitted_offsets`)


def fitted_offsets(offsets: list[timedelta], started_at: datetime, finish_by: datetime | None) -> list[timedelta]:
    """Step due offsets that fit between `started_at` and `finish_by`: a step keeps its template
    duration unless it would be due after `finish_by`, and is then due at `finish_by` (clipped,
    not scaled: the first, urgent steps keep their own times, only what does not fit is pulled
    in). Without `finish_by` the offsets stay as they are."""
    if finish_by is None:
        return list(offsets)
    room = max(finish_by - started_at, timedelta(0))
    return [min(offset, room) for offset in offsets]


def start_workflows(*, tenant: Organisation, runs: list[NewRun], actor: Any = None) -> list[WorkflowRun]:
    """Start the main workflows of subjects of one tenant: each template step is copied into
    its run with its due date (fitted before the subject's `finish_by`, see `fitted_offsets`);
    position steps go to the position's holder (a vacant position
    leaves the step with the responsible person). Each run is audited; the runs and the steps,
    with their history rows, go in as one statement each (`create_with_history`), and each
    run's new steps are on its `generated_steps`."""
    if not runs:
        return []
    with transaction.atomic(savepoint=False):
        offsets = [
            fitted_offsets([s.due_offset for s in new.template_steps], new.started_at, new.finish_by) for new in runs
        ]
        started = [
            WorkflowRun(
                organisation=tenant,
                kind=RunKind.MAIN,
                template=new.template,
                subject_type=new.subject_type,
                subject_id=new.subject_id,
                title=new.title,
                responsible=new.responsible,
                started_at=new.started_at,
                due_at=max((new.started_at + offset for offset in fitted), default=None),
            )
            for new, fitted in zip(runs, offsets, strict=True)
        ]
        create_with_history(WorkflowRun, started)
        position_ids = {s.responsible_position_id for new in runs for s in new.template_steps}
        position_ids.discard(None)
        holders = holders_by_position(position_ids) if position_ids else {}
        for run, new, fitted in zip(started, runs, offsets, strict=True):
            run.generated_steps = [
                Step(
                    organisation=tenant,
                    run=run,
                    template_step=s,
                    position=s.position,
                    key=s.key,
                    name=s.name,
                    instructions=s.instructions,
                    mandatory=s.mandatory,
                    required_evidence=s.required_evidence,
                    due_at=new.started_at + offset,
                    assignee=holders.get(s.responsible_position_id)
                    if s.responsible_role == ResponsibleRole.POSITION
                    else None,
                )
                for s, offset in zip(new.template_steps, fitted, strict=True)
            ]
        create_with_history(Step, [step for run in started for step in run.generated_steps])
        for run, new in zip(started, runs, strict=True):
            record_event(
                tenant=tenant,
                action=AuditAction.CREATE,
                actor=actor,
                obj=run,
                message=f"Workflow '{new.template.name}' v{new.template.version} started with "
                f"{len(new.template_steps)} steps.",
                changes={
                    "template": new.template.code,
                    "version": new.template.version,
                    "subject": f"{new.subject_type}:{new.subject_id}",
                },
            )
    return started


def start_workflow(
    *,
    tenant: Organisation,
    template: WorkflowTemplate,
    subject_type: str,
    subject_id: str,
    title: str,
    responsible: User,
    started_at: datetime,
    actor: Any = None,
    template_steps: list[TemplateStep] | None = None,
    finish_by: datetime | None = None,
) -> WorkflowRun:
    """Start one subject's main workflow (see `start_workflows`). `template_steps`, when the
    caller read them with the template, saves reading them again."""
    if template_steps is None:
        template_steps = list(template.steps.all())
    new = NewRun(template, template_steps, subject_type, subject_id, title, responsible, started_at, finish_by)
    return start_workflows(tenant=tenant, runs=[new], actor=actor)[0]


def request_information(*, step: Step, actor: User, responsible: User, request: str, due_at: datetime) -> WorkflowRun:
    """Pause `step` because information is unavailable: an information request (a
    sub-workflow) goes to `responsible` with its own due date."""
    decision = may_work_step(actor, step)
    if not decision:
        raise PolicyError.on("access_denied", decision.reason, step)
    if step.is_done:
        raise PolicyError.on("transition.not_allowed", "A finished step cannot be paused.", step, state=step.status)
    if len(request.strip()) < MIN_REQUEST:
        raise PolicyError.on(
            "validation.invalid",
            f"Say what information is needed and why (at least {MIN_REQUEST} characters).",
            step,
            field="request",
        )
    if responsible.organisation_id != step.organisation_id or not responsible.is_active:
        raise PolicyError.on(
            "validation.invalid", "Choose an active person of your organisation.", step, field="responsible"
        )
    if responsible.pk == actor.pk:
        raise PolicyError.on(
            "validation.invalid", "Ask someone else: you are the one waiting for it.", step, field="responsible"
        )
    may_be_asked(responsible).enforce(step, field="responsible")
    if due_at <= timezone.now():
        raise PolicyError.on("validation.invalid", "The due date must be in the future.", step, field="due_at")
    if problem := out_of_bounds(due_at, horizon=DEADLINE_HORIZON):
        raise PolicyError.on("validation.invalid", problem, step, field="due_at")
    with transaction.atomic():
        if step.status != StepStatus.PAUSED:
            step = run_transition(
                step, "pause", actor=actor, message=f"Paused for information from {responsible}: {request.strip()}"
            )
        parent = step.run
        info = WorkflowRun(
            organisation=step.organisation,
            kind=RunKind.INFORMATION_REQUEST,
            subject_type=parent.subject_type,
            subject_id=parent.subject_id,
            parent_step=step,
            title=f"Information for step {step.position}: {step.name}",
            request=request.strip(),
            responsible=responsible,
            requested_by=actor,
            started_at=timezone.now(),
            due_at=due_at,
        )
        info.save()
        record_event(
            tenant=step.organisation_id,
            action=AuditAction.CREATE,
            actor=actor,
            obj=info,
            message=f"Information requested from {responsible}: {request.strip()}",
            changes={"step": step.pk, "responsible": responsible.pk, "due_at": due_at},
        )
    return info


def resolve_information_request(*, request: WorkflowRun, actor: User, resolution: str) -> WorkflowRun:
    """Answer an information request; when it was the step's last open one, the step resumes."""
    decision = may_resolve_request(actor, request)
    if not decision:
        raise PolicyError.on("access_denied", decision.reason, request)
    if len(resolution.strip()) < MIN_REQUEST:
        raise PolicyError.on(
            "validation.invalid",
            f"Give the information asked for (at least {MIN_REQUEST} characters).",
            request,
            field="resolution",
        )
    with transaction.atomic():
        request = run_transition(
            request,
            "resolve",
            actor=actor,
            action=AuditAction.RESOLVE,
            message=resolution.strip(),
            by=actor,
            at=timezone.now(),
            resolution=resolution.strip(),
        )
        step = Step.objects.select_for_update().get(pk=request.parent_step_id)
        still_open = step.subworkflows.filter(status="open").exists()
        if step.status == StepStatus.PAUSED and not still_open:
            run_transition(step, "resume", actor=actor, message="Information received; the step resumes.")
    return request


# --- the main run follows its subject: closed with it, reopened with it -----------------------


def close_main_run(*, run: WorkflowRun, actor: Any, resolution: str) -> WorkflowRun:
    """The subject closed: its main run is resolved with it (audited)."""
    if run.status != RunStatus.OPEN:
        return run
    return run_transition(
        run,
        "resolve",
        actor=actor,
        action=AuditAction.RESOLVE,
        message=resolution,
        by=actor if isinstance(actor, User) else None,
        at=timezone.now(),
        resolution=resolution,
    )


def reopen_main_run(
    *, run: WorkflowRun, actor: Any, reason: str, started_at: datetime, finish_by: datetime | None
) -> WorkflowRun:
    """The subject reopened: its main run opens again, and its steps still open get due dates
    in the new cycle (`fit_open_steps`) so that they do not breach at once on dates of the
    closed cycle. Done steps stay done."""
    if run.status == RunStatus.RESOLVED:
        run = run_transition(run, "reopen", actor=actor, message=reason)
    fit_open_steps(run=run, started_at=started_at, finish_by=finish_by)
    return run


def fit_open_steps(*, run: WorkflowRun, started_at: datetime, finish_by: datetime | None) -> list[Step]:
    """Give the run's open steps their template due dates from `started_at`, fitted before
    `finish_by` (`fitted_offsets`): after a reopen, or when the subject's deadline moved (a
    severity change). Returns the steps whose due date changed (saved, with history)."""
    moved = []
    steps = run.steps.select_related("template_step").exclude(
        status__in=[StepStatus.COMPLETED, StepStatus.NOT_APPLICABLE]
    )
    for step in steps.order_by("position"):
        if step.template_step is None:
            continue
        (offset,) = fitted_offsets([step.template_step.due_offset], started_at, finish_by)
        if step.due_at != started_at + offset:
            step.due_at = started_at + offset
            step.save(update_fields=["due_at", "updated_at"])
            moved.append(step)
    return moved
