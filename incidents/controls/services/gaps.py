"""Known gaps (seed 002 §12.5): a telemetry provider or evidence source an incident depends on is
unavailable. Recording one annotates the timeline with the uncertainty, escalates to the owner,
the responsible person's manager and the tenant admins (who own the platform's integrations),
and, for a SEV-1 or SEV-2 incident, tells them to contain on precaution rather than wait for
the missing picture. A gap stays open on the incident page until it is resolved with a note."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.choices import Severity
from incidents.controls.models import KnownGap
from incidents.controls.policy import may_note_gap
from incidents.controls.services import common
from incidents.core.lifecycle import audited
from incidents.core.services.notices import tenant_admins
from incidents.models import Incident
from iwms import notifications
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from organogram.hierarchy import supervisor_of

PRECAUTION = (Severity.SEV1, Severity.SEV2)


def _text(value: str, field: str, incident: Incident, minimum: int) -> str:
    value = (value or "").strip()
    if len(value) < minimum:
        raise PolicyError(
            "validation.invalid",
            f"Say it in at least {minimum} characters.",
            tenant=incident.organisation,
            field=field,
            object_type="incidents.incident",
            object_id=str(incident.pk),
        )
    return value


@audited
def record_known_gap(*, incident: Incident, actor: User, source: str, impact: str) -> KnownGap:
    common.refuse_other_tenants(actor, [incident], "known gap")
    source = _text(source, "source", incident, 3)
    impact = _text(impact, "impact", incident, 15)
    with transaction.atomic():
        (incident,) = common.lock([incident])
        may_note_gap(actor, incident).enforce(incident, state=incident.status)
        gap = KnownGap.objects.create(
            organisation_id=incident.organisation_id,
            incident=incident,
            source=source[:200],
            impact=impact,
            noted_by=actor,
            noted_at=timezone.now(),
        )
        precaution = incident.severity in PRECAUTION
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.ESCALATE,
            actor=actor,
            obj=incident,
            message=f"Known gap: {source} is unavailable. {impact}",
            changes={"known_gap": gap.pk, "source": source, "precautionary_containment": precaution},
        )
        supervisor = supervisor_of(incident.responsible)
        recipients = {incident.owner_id, *(admin.pk for admin in tenant_admins(incident.organisation_id))}
        if supervisor is not None:
            recipients.add(supervisor.holder.pk)
        recipients.discard(actor.pk)
        advice = " Contain it on precaution now; do not wait for the missing telemetry." if precaution else ""
        notifications.notify_many(
            notifications.draft(
                recipient=person,
                event="incident.known_gap",
                obj=gap,
                subject=f"{incident.reference}: {source} is unavailable",
                body=f"{incident.reference} '{incident.title}' ({incident.get_severity_display()}) cannot see "
                f"what {source} would show: {impact}{advice}",
                url=reverse("incident_detail", args=[incident.reference]),
            )
            for person in sorted(recipients)
        )
    return gap


@audited
def resolve_known_gap(*, gap: KnownGap, actor: User, resolution: str) -> KnownGap:
    incident = gap.incident
    resolution = _text(resolution, "resolution", incident, 10)
    with transaction.atomic():
        (incident,) = common.lock([incident])
        may_note_gap(actor, incident).enforce(incident, state=incident.status)
        gap = KnownGap.objects.select_for_update().get(pk=gap.pk)
        if gap.resolved_at is not None:
            raise PolicyError.on("transition.not_allowed", "This gap was resolved already.", gap)
        gap.resolved_at, gap.resolved_by, gap.resolution = timezone.now(), actor, resolution
        gap.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=incident,
            message=f"Known gap closed: {gap.source} is available again. {resolution}",
            changes={"known_gap": gap.pk, "resolved": True},
        )
    return gap
