"""What merge, un-merge and split share: the tenant guard with its alert, the reason, locking,
lineage items and the notice to owners."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from arc.cross_tenant import raise_alert_if_repeated
from incidents.controls.models import Disposition, ItemKind, Lineage, LineageItem
from incidents.controls.policy import MIN_REASON
from incidents.models import Incident
from iwms import notifications
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import record_refusal


def refuse_other_tenants(actor: User, rows: Iterable[object], what: str) -> None:
    """A row of another organisation named in a merge or split: refused at the policy layer,
    recorded as a security-relevant denial, and repeated attempts alert the tenant admins
    (seed 002 §12.4). Runs before the operation's transaction, so the record survives."""
    others = sorted({row.organisation_id for row in rows} - {actor.organisation_id})
    if not others:
        return
    refusal = PolicyError(
        "tenant.cross_reference",
        f"The {what} names rows of another organisation; nothing was changed.",
        tenant=actor.organisation,
        object_type="incidents.incident",
        operation=what,
    )
    record_refusal(refusal, actor=actor)
    raise_alert_if_repeated(user=actor, probed_tenant_id=others[0])
    raise refusal


def clean_reason(reason: str, incident: Incident) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise PolicyError(
            "validation.invalid",
            f"Say why (at least {MIN_REASON} characters).",
            tenant=incident.organisation,
            field="reason",
            object_type="incidents.incident",
            object_id=str(incident.pk),
        )
    return reason


def lock(incidents: Iterable[Incident]) -> list[Incident]:
    """Fresh, locked copies, in primary-key order (so two operations never deadlock)."""
    ids = sorted({incident.pk for incident in incidents})
    rows = {row.pk: row for row in Incident.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return [rows[pk] for pk in ids]


def add_items(lineage: Lineage, kind: ItemKind, ids: Iterable[int], disposition: Disposition) -> int:
    rows = [
        LineageItem(
            organisation_id=lineage.organisation_id, lineage=lineage, kind=kind, item_id=pk, disposition=disposition
        )
        for pk in sorted(set(ids))
    ]
    LineageItem.objects.bulk_create(rows)
    return len(rows)


def tell_owners(*, incidents: Iterable[Incident], actor: User, event: str, subject: str, body: str, url_of) -> None:
    """The owners of `incidents` (not the actor) are told, one notice each per incident."""
    drafts = [
        notifications.draft(
            recipient=incident.owner_id,
            event=event,
            obj=incident,
            subject=subject.format(reference=incident.reference),
            body=body.format(reference=incident.reference, title=incident.title),
            url=url_of(incident),
        )
        for incident in incidents
        if incident.owner_id != actor.pk
    ]
    notifications.notify_many(drafts)


def detail_url(incident: Incident) -> str:
    return reverse("incident_detail", args=[incident.reference])
