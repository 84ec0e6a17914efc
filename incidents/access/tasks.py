"""Background work of the portal: generating audit packs."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from incidents.access import packs
from incidents.access.services.grants import record_reads
from incidents.choices import AuditPackStatus
from incidents.models import AuditPack


@shared_task(name="incidents.portal.build_audit_pack")
def build_audit_pack(pack_id: int) -> None:
    """Generate one pack, storing its progress on the row for the portal's progress bar."""
    pack = AuditPack.objects.select_related("grant__organisation", "grant__category", "grant__grantee").get(pk=pack_id)
    if pack.status not in (AuditPackStatus.QUEUED, AuditPackStatus.RUNNING):
        return
    AuditPack.objects.filter(pk=pack_id).update(status=AuditPackStatus.RUNNING, updated_at=timezone.now())

    def progress(percent: int) -> None:
        AuditPack.objects.filter(pk=pack_id).update(percent=percent, updated_at=timezone.now())

    try:
        path, digest, size, incidents = packs.build(pack, progress)
    except Exception as exc:
        AuditPack.objects.filter(pk=pack_id).update(
            status=AuditPackStatus.FAILED, error=str(exc)[:2000], updated_at=timezone.now()
        )
        raise
    record_reads(
        grant=pack.grant, actor=pack.requested_by, objects=incidents, what=f"Exported in audit pack #{pack_id}"
    )
    AuditPack.objects.filter(pk=pack_id).update(
        status=AuditPackStatus.READY,
        percent=100,
        file_path=str(path),
        sha256=digest,
        size=size,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
