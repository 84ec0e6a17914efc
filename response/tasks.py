"""Beat's tasks of the response app."""

from celery import shared_task

from iwms.refusals import audited_refusals
from response.services import comms


@shared_task(name="response.tasks.sweep_updates", expires=54)
def sweep_updates() -> dict[str, int]:
    """Every minute: reminders of due updates and records of late ones."""
    with audited_refusals(actor=comms.SWEEP_ACTOR):
        return comms.sweep_updates()
