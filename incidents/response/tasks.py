"""Beat's tasks of the response app."""

from celery import shared_task

from incidents.response.services import comms, review
from iwms.refusals import audited_refusals


@shared_task(name="incidents.response.tasks.sweep_updates", expires=54)
def sweep_updates() -> dict[str, int]:
    """Every minute: reminders of due updates, records of late ones, and overdue action items."""
    with audited_refusals(actor=comms.SWEEP_ACTOR):
        counts = comms.sweep_updates()
        counts["overdue_action_items"] = review.sweep_overdue_action_items()
        return counts
