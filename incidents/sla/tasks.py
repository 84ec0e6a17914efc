"""The SLA slice's background task: the sweep that beat sends every minute."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from incidents.sla.services.sweep import sweep_due


# The name predates the slices; beat rows and queued messages carry it.
@shared_task(name="incidents.tasks.sweep_sla_clocks", acks_late=True, reject_on_worker_lost=True)
def sweep_sla_clocks() -> dict[str, float]:
    """Act on every due SLA clock once. Idempotent: a run killed mid-batch loses only its
    uncommitted batch, which the redelivered (or the next) run does again; two runs at once
    share the due rows. Bounded to one beat interval so runs never pile up."""
    return sweep_due(max_seconds=settings.IWMS_SWEEP_INTERVAL_SECONDS).as_dict()
