"""The automated review of a completed incident, outside the incident's lock.

Complete (services/work.py) moves the incident to half-closed and records a submission in one
transaction; only after that commits is the review task sent, with the submission's id. The
task reads the review pack and runs the rules and the optional model (up to its timeout) with no
lock held and no transaction open; it locks the incident only to store the verdict and move the
incident. Exactly once per submission: a retried or duplicated task finds the review stored, or
the incident no longer half-closed on that submission, and does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.core import lifecycle
from incidents.core.policy import may_restart_review
from incidents.core.services import notices
from incidents.models import Incident
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.models import User
from iwms.refusals import audited_refusals
from workflows.choices import Verdict
from workflows.models import Review, Submission, WorkflowRun
from workflows.review import review as run_rules
from workflows.review.llm import LLMReviewer
from workflows.review.rules import MIN_COPY_WORDS
from workflows.selectors import evidence_texts, known_hashes, main_run, review_steps
from workflows.services import reviews as review_services
from workflows.services import steps as step_services

logger = logging.getLogger(__name__)

SUBJECT = "incidents.incident"
REVIEWER = "automated review"


def review_pack(incident: Incident, run: WorkflowRun, *, submitted_at: datetime) -> dict[str, Any]:
    """The plain-data input of the review (docs/review-pack.md)."""
    return {
        "incident": {
            "reference": incident.reference,
            "kind": incident.kind,
            "category": incident.category.code,
            "severity": incident.severity,
            "occurred_at": incident.occurred_at.isoformat(),
            "reported_at": incident.reported_at.isoformat(),
            "submitted_at": submitted_at.isoformat(),
            "location": incident.location,
            "narrative": incident.narrative,
            "pole": [{"type": e.type, "name": e.name, "role": e.role} for e in incident.pole_entities.all()],
        },
        "steps": review_steps(run),
        "known_hashes": known_hashes(run),
        "other_texts": other_texts(incident),
    }


# The copy check compares with this many of the tenant's latest other incidents, and their texts of
# at least MIN_COPY_WORDS words (shorter ones are references and readings, not accounts).
OTHER_INCIDENTS = 200


def other_texts(incident: Incident) -> list[dict[str, str]]:
    """Narratives and evidence texts of the tenant's latest other incidents, each named by where it
    comes from, for the review's check that this incident's texts are not copied (docs/review-pack.md)."""
    others = list(
        Incident.objects.for_tenant(incident.organisation_id)
        .exclude(pk=incident.pk)
        .order_by("-reported_at")
        .values_list("pk", "reference", "narrative")[:OTHER_INCIDENTS]
    )
    references = {str(pk): reference for pk, reference, _ in others}
    texts = [{"source": f"{reference} (narrative)", "text": narrative} for _, reference, narrative in others]
    for subject_id, position, name, text in evidence_texts(
        tenant=incident.organisation_id, subject_type=SUBJECT, subject_ids=list(references)
    ):
        if len(text.split()) >= MIN_COPY_WORDS:
            texts.append({"source": f"{references[subject_id]}, step {position} '{name}'", "text": text})
    return texts


def submit(*, incident: Incident, run: WorkflowRun, actor: Any) -> Submission:
    """Inside the completing transaction, with the incident locked: half-close it, record the
    submission, and send the review task once the transaction commits."""
    lifecycle._submit_for_review(incident=incident, actor=actor)
    submission = review_services.open_submission(
        run=run, submitted_by=actor if isinstance(actor, User) else None, at=timezone.now()
    )
    schedule_review(submission.pk)
    return submission


def schedule_review(submission_id: int) -> None:
    """Send the review task after the current transaction commits. A broker that refuses it is
    logged, not raised: the incident stays half-closed with the review in progress, and the
    responsible person can send it again from the work page."""
    from incidents.work.tasks import review_submission as review_task

    transaction.on_commit(lambda: review_task.delay(submission_id), robust=True)


def _awaits_review(incident: Incident, submission: Submission) -> bool:
    """The incident is half-closed on this submission (the run's latest), which has no review."""
    if incident.status != IncidentStatus.HALF_CLOSED:
        return False
    latest = review_services.current_submission(submission.run)
    return (
        latest is not None and latest.pk == submission.pk and not Review.objects.filter(submission=submission).exists()
    )


def review_submission(*, submission_id: int) -> Review | None:
    """Judge one submission and apply the verdict: corrections required → in progress with the
    concerned steps reopened; satisfied → pending closure. Returns the stored review (the one
    stored earlier, for a repeated call), or None when the submission is no longer awaited (the
    incident left half-closed, or a later Complete superseded it)."""
    submission = Submission.objects.select_related("run__organisation").get(pk=submission_id)
    stored = Review.objects.filter(submission=submission).first()
    if stored is not None:
        return stored
    run = submission.run
    incident = Incident.objects.select_related("category").get(pk=int(run.subject_id))
    if not _awaits_review(incident, submission):
        logger.info("review of submission %s skipped: no longer awaited", submission_id)
        return None
    # No lock and no transaction from here to the verdict: the model call may take its timeout.
    pack = review_pack(incident, run, submitted_at=submission.submitted_at)
    result = run_rules(pack, llm=LLMReviewer.from_settings())
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not _awaits_review(locked, submission):
            return Review.objects.filter(submission=submission).first()
        stored = review_services.store_review(submission=submission, result=result, pack=pack)
        _apply(locked, run, stored)
    return stored


def _apply(incident: Incident, run: WorkflowRun, stored: Review) -> Incident:
    record_event(
        tenant=incident.organisation_id,
        action=AuditAction.REVIEW,
        actor=REVIEWER,
        obj=incident,
        message=f"Review {stored.sequence}: {stored.get_verdict_display()}"
        + (f" — {len(stored.findings)} finding(s)" if stored.findings else ""),
        changes={
            "review": stored.pk,
            "submission": stored.submission.number,
            "engine": stored.engine,
            "version": stored.version,
            "input_digest": stored.input_digest,
            "verdict": stored.verdict,
            "findings": [f["code"] for f in stored.findings],
        },
    )
    if stored.verdict == Verdict.SATISFIED:
        accepted = lifecycle._accept_review(incident=incident, actor=REVIEWER)
        notices.pending_closure(incident=accepted, review=stored)
        return accepted
    moved = lifecycle._require_corrections(
        incident=incident,
        actor=REVIEWER,
        message="Corrections required: " + "; ".join(f["message"] for f in stored.findings),
    )
    concerned = {f["step"] for f in stored.findings if f.get("step")}
    for step in run.steps.filter(key__in=concerned, status__in=["completed", "not_applicable"]):
        step_services.reopen_step(step=step, actor=REVIEWER, reason="the automated review asked for corrections")
    return moved


def awaiting_review(incident: Incident, run: WorkflowRun | None) -> Submission | None:
    """The submission whose review is in progress: the incident is half-closed and its latest
    submission has no stored review yet."""
    if run is None or incident.status != IncidentStatus.HALF_CLOSED:
        return None
    latest = review_services.current_submission(run)
    if latest is None or Review.objects.filter(submission=latest).exists():
        return None
    return latest


def send_review_again(*, incident: Incident, actor: User) -> Submission:
    """The responsible person sends the review of a half-closed incident again (the worker was
    down, or the broker refused the task). Idempotent like the task itself. A half-closed
    incident without a submission (completed before submissions were kept) gets one."""
    with audited_refusals(actor=actor), transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        may_restart_review(actor, locked).enforce(locked, state=locked.status)
        run = main_run(subject_type=SUBJECT, subject_id=locked.pk, tenant=locked.organisation_id)
        submission = awaiting_review(locked, run) or review_services.open_submission(
            run=run, submitted_by=actor, at=timezone.now()
        )
        schedule_review(submission.pk)
    return submission
