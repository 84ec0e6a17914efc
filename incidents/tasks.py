"""Background tasks of the incidents app: the SLA sweep that beat sends every minute, and the
automated review of each Complete."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from incidents.services import review
from incidents.services.sweep import sweep_due


@shared_task(name="incidents.tasks.sweep_sla_clocks", acks_late=True, reject_on_worker_lost=True)
def sweep_sla_clocks() -> dict[str, float]:
    """Act on every due SLA clock once. Idempotent: a run killed mid-batch loses only its
    uncommitted batch, which the redelivered (or the next) run does again; two runs at once
    share the due rows. Bounded to one beat interval so runs never pile up."""
    return sweep_due(max_seconds=settings.IWMS_SWEEP_INTERVAL_SECONDS).as_dict()


@shared_task(name="incidents.tasks.review_submission", acks_late=True, reject_on_worker_lost=True)
def review_submission(submission_id: int) -> str:
    """Review one submission (one Complete) and apply the verdict, exactly once: a redelivered
    or duplicated message finds the review stored, or the submission no longer awaited."""
    stored = review.review_submission(submission_id=submission_id)
    return stored.verdict if stored is not None else "skipped"
