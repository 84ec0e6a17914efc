"""Reads of the workflow engine: a subject's run with its steps and evidence, the review
pack's step part, and how often each template step is skipped."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from iwms.models import Organisation
from workflows.choices import RunKind, RunStatus, StepStatus
from workflows.models import Evidence, Review, Step, WorkflowRun


def main_run(*, subject_type: str, subject_id: Any, tenant: Organisation | int) -> WorkflowRun | None:
    return (
        WorkflowRun.objects.for_tenant(tenant)
        .filter(subject_type=subject_type, subject_id=str(subject_id), kind=RunKind.MAIN)
        .select_related("template", "responsible")
        .first()
    )


def steps_with_evidence(run: WorkflowRun) -> list[Step]:
    """The run's steps in order, each with its evidence and information requests prefetched."""
    return list(
        run.steps.select_related("assignee", "completed_by", "run__responsible", "template_step")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("collector", "superseded_by").order_by("created_at", "id"),
            ),
            Prefetch(
                "subworkflows",
                queryset=WorkflowRun.objects.select_related("responsible", "requested_by").order_by("started_at"),
            ),
        )
        .order_by("position")
    )


def open_subworkflows(run: WorkflowRun) -> QuerySet[WorkflowRun]:
    return WorkflowRun.objects.filter(parent_step__run=run, status=RunStatus.OPEN)


def requests_for_user(user: Any) -> QuerySet[WorkflowRun]:
    """Open information requests addressed to `user`."""
    if not user.is_authenticated or user.organisation_id is None:
        return WorkflowRun.objects.none()
    return (
        WorkflowRun.objects.for_tenant(user.organisation_id)
        .filter(kind=RunKind.INFORMATION_REQUEST, responsible=user, status=RunStatus.OPEN)
        .select_related("parent_step", "requested_by")
        .order_by("due_at")
    )


def latest_review(run: WorkflowRun) -> Review | None:
    return run.reviews.order_by("-sequence").first()


def review_steps(run: WorkflowRun) -> list[dict[str, Any]]:
    """The `steps` part of a review pack (docs/review-pack.md) for `run`."""
    steps = steps_with_evidence(run)
    return [
        {
            "key": step.key,
            "name": step.name,
            "mandatory": step.mandatory,
            "required_evidence": list(step.required_evidence),
            "status": step.status,
            "justification": step.justification,
            "instructions": step.instructions,
            "substantive_justification": bool(step.template_step and step.template_step.substantive_justification),
            "subworkflow_open": any(sub.status == RunStatus.OPEN for sub in step.subworkflows.all()),
            "evidence": [
                {
                    "kind": item.kind,
                    "sha256": item.sha256,
                    "collected_at": item.collected_at.isoformat(),
                    "collector": str(item.collector),
                    "source": item.source,
                    "relevance": item.relevance,
                    "location": item.location,
                    "text": item.text,
                    "invalidated": not item.is_valid,
                }
                for item in step.evidence.all()
            ],
        }
        for step in steps
    ]


def known_hashes(run: WorkflowRun) -> list[str]:
    """Hashes of this run's evidence that also appear in another workflow of the tenant."""
    own = Evidence.objects.filter(step__run=run).values("sha256")
    return sorted(
        set(
            Evidence.objects.for_tenant(run.organisation_id)
            .filter(sha256__in=own)
            .exclude(step__run=run)
            .values_list("sha256", flat=True)
        )
    )


def evidence_texts(
    *, tenant: Organisation | int, subject_type: str, subject_ids: list[str]
) -> list[tuple[str, int, str, str]]:
    """(subject id, step position, step name, text) of the valid evidence texts on the main
    workflows of the given subjects, for the review's copy check."""
    return list(
        Evidence.objects.for_tenant(tenant)
        .filter(
            step__run__subject_type=subject_type,
            step__run__subject_id__in=subject_ids,
            step__run__kind=RunKind.MAIN,
            invalidated_at__isnull=True,
        )
        .exclude(text="")
        .order_by("step__run__subject_id", "step__position", "id")
        .values_list("step__run__subject_id", "step__position", "step__name", "text")
    )


def skipped_step_counts(tenant: Organisation | int) -> list[dict[str, Any]]:
    """How often each template step was justified not applicable, most skipped first."""
    return list(
        Step.objects.for_tenant(tenant)
        .filter(status=StepStatus.NOT_APPLICABLE, template_step__isnull=False)
        .values("template_step__template__code", "template_step__key", "template_step__name")
        .annotate(skipped=Count("id"))
        .order_by("-skipped", "template_step__template__code", "template_step__key")
    )


def handoffs_for_user(user: Any) -> list[dict[str, Any]]:
    """Hand-offs proposed to `user` and waiting for acceptance, each with what it concerns."""
    from arc.models import Delegation

    if not user.is_authenticated or user.organisation_id is None:
        return []
    waiting = list(
        Delegation.objects.for_tenant(user.organisation_id)
        .filter(to_person=user, status="proposed")
        .select_related("from_person")
        .order_by("created_at")[:20]
    )
    steps = Step.objects.select_related("run").in_bulk(
        [int(d.subject_id) for d in waiting if d.subject_type == "workflows.step"]
    )
    return [
        {"delegation": d, "step": steps.get(int(d.subject_id)) if d.subject_type == "workflows.step" else None}
        for d in waiting
    ]


def latest_handoffs(step_ids: list[int]) -> dict[int, Any]:
    """The latest hand-off of each of these steps (any status: waiting, accepted, declined,
    withdrawn), by step id, with both people; steps never handed over are absent."""
    from arc.models import Delegation

    if not step_ids:
        return {}
    latest: dict[int, Any] = {}
    for delegation in (
        Delegation.objects.filter(subject_type="workflows.step", subject_id__in=[str(pk) for pk in step_ids])
        .select_related("from_person", "to_person")
        .order_by("created_at", "pk")
    ):
        latest[int(delegation.subject_id)] = delegation
    return latest
