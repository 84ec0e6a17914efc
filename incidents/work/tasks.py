"""The work slice's background task: the automated review of each Complete."""

from __future__ import annotations

from celery import shared_task

from incidents.work.services import review


# The name predates the slices; queued messages carry it.
@shared_task(name="incidents.tasks.review_submission", acks_late=True, reject_on_worker_lost=True)
def review_submission(submission_id: int) -> str:
    """Review one submission (one Complete) and apply the verdict, exactly once: a redelivered
    or duplicated message finds the review stored, or the submission no longer awaited."""
    stored = review.review_submission(submission_id=submission_id)
    return stored.verdict if stored is not None else "skipped"
