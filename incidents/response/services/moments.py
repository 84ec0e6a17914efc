"""Recording when an incident was detected, mitigated and resolved. Resolution opens the
post-incident review where the tenant requires one."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.response.choices import Moment
from incidents.response.models import IncidentResponse
from incidents.response.policy import may_respond
from incidents.response.services import review
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User

FIELD = {Moment.DETECTED: "detected_at", Moment.MITIGATED: "mitigated_at", Moment.RESOLVED: "resolved_at"}


def response_of(incident: Incident, *, lock: bool = False) -> IncidentResponse:
    """The incident's response row, made on first use."""
    record, _ = IncidentResponse.objects.get_or_create(
        incident=incident, defaults={"organisation_id": incident.organisation_id}
    )
    if lock:
        record = IncidentResponse.objects.select_for_update().get(pk=record.pk)
    return record


def _check_order(incident: Incident, record: IncidentResponse, moment: str, at: datetime) -> None:
    now = timezone.now()
    if at > now:
        raise PolicyError.on("validation.invalid", "A moment is recorded when it has happened.", incident, field="at")
    earliest = incident.occurred_at if moment == Moment.DETECTED else (record.detected_at or incident.occurred_at)
    if at < earliest:
        raise PolicyError.on(
            "validation.invalid",
            f"It cannot be {Moment(moment).label} before {earliest:%d %b %H:%M}"
            + (" (when it happened)." if earliest == incident.occurred_at else " (when it was detected)."),
            incident,
            field="at",
        )
    if moment == Moment.RESOLVED and record.mitigated_at and at < record.mitigated_at:
        raise PolicyError.on("validation.invalid", "Resolution comes after mitigation.", incident, field="at")


def record_moment(*, incident: Incident, moment: str, actor: User, at: datetime | None = None) -> IncidentResponse:
    """Record (or correct, before closure) one moment of the response, on the timeline."""
    may_respond(actor, incident).enforce(incident)
    if moment not in FIELD:
        raise PolicyError.on("validation.invalid", "Choose detected, mitigated or resolved.", incident, field="moment")
    at = at or timezone.now()
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=incident.pk).first()
        record = response_of(incident, lock=True)
        _check_order(incident, record, moment, at)
        field = FIELD[moment]
        before = getattr(record, field)
        setattr(record, field, at)
        record.save(update_fields=[field, "updated_at"])
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.RESOLVE if moment == Moment.RESOLVED else AuditAction.UPDATE,
            actor=actor,
            obj=incident,
            message=f"{Moment(moment).label.capitalize()} at {timezone.localtime(at):%d %b %H:%M}.",
            changes={field: [before, at]},
        )
        if moment == Moment.RESOLVED:
            review.open_review(incident=incident, actor=actor)
    return record
