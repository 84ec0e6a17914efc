"""Background task of the assurance app: beat folds every tenant's new ledger events into the
KPI rollups, a batch at a time."""

from __future__ import annotations

from celery import shared_task

from incidents.assurance.rollups import fold_ledger
from iwms.models import Organisation


@shared_task(name="incidents.assurance.tasks.refresh_kpi_rollups", acks_late=True, reject_on_worker_lost=True)
def refresh_kpi_rollups() -> dict[str, int]:
    """Fold each active tenant's new ledger events into its rollups. Idempotent: a batch and
    its watermark commit together, so a run killed mid-batch is redone by the next."""
    folded = {}
    for tenant_id in Organisation.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        folded[str(tenant_id)] = fold_ledger(tenant_id=tenant_id)
    return folded
