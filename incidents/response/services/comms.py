"""Communications during an incident: the update cadence from the commander's designation,
executives informed automatically for SEV-1/2, templates filled from the incident, every
message sent recorded (and on the timeline), and the sweep that reminds the communications
lead when an update is due and records it once late."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.response.choices import Audience, GroupKind, RoleKind
from incidents.response.gating import settings_of
from incidents.response.models import Communication, IncidentResponse, MessageTemplate, RecipientGroup, UpdateLapse
from incidents.response.policy import active_holders, may_communicate
from iwms import notifications
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from organogram.hierarchy import holders_by_position

REMIND_BEFORE = timedelta(minutes=5)
SWEEP_ACTOR = "system:response-cadence"
EXECUTIVE_SEVERITIES = ("sev1", "sev2")


def _response_of(incident: Incident) -> IncidentResponse:
    record, _ = IncidentResponse.objects.get_or_create(
        incident=incident, defaults={"organisation_id": incident.organisation_id}
    )
    return IncidentResponse.objects.select_for_update().get(pk=record.pk)


def _next_due(incident: Incident, after: datetime) -> datetime | None:
    config = settings_of(incident)
    interval = config.cadence_for(incident.severity) if config else None
    return after + interval if interval else None


def fill(text: str, incident: Incident, *, when: datetime | None = None) -> str:
    """`text` with the incident's fields in place of `{reference}`, `{title}`, …; an unknown
    placeholder stays as it is (the sender sees and edits it)."""
    holders = active_holders(incident)
    commander = User.objects.filter(pk=holders.get(RoleKind.COMMANDER)).first()
    # the update being written sets the next due time: one cadence interval after it is sent
    due = _next_due(incident, when or timezone.now())
    values = {
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.get_severity_display(),
        "status": incident.get_status_display(),
        "location": incident.location,
        "commander": str(commander) if commander else "not yet designated",
        "next_update": f"{timezone.localtime(due):%H:%M}" if due else "when there is news",
        "time": f"{timezone.localtime(when or timezone.now()):%d %b %Y %H:%M}",
    }

    class Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return text.format_map(Keep(values))
    except (ValueError, IndexError):
        return text


def template_for(incident: Incident, audience: str) -> MessageTemplate | None:
    """The tenant's template for the audience, the incident's severity first, then any severity."""
    templates = MessageTemplate.objects.filter(organisation_id=incident.organisation_id, audience=audience)
    return templates.filter(severity=incident.severity).first() or templates.filter(severity="").first()


def addresses_of(groups: Iterable[RecipientGroup]) -> tuple[list[User], list[str]]:
    """People (members and the positions' holders now) and the plain addresses of `groups`."""
    people: dict[int, User] = {}
    plain: list[str] = []
    for group in groups:
        for person in group.members.all():
            people[person.pk] = person
        for person in holders_by_position(list(group.positions.all())).values():
            people[person.pk] = person
        plain += [line.strip() for line in group.addresses.splitlines() if line.strip()]
    return list(people.values()), sorted(set(plain) - {p.email for p in people.values()})


def send_message(
    *,
    incident: Incident,
    actor: User | str,
    audience: str,
    groups: list[RecipientGroup],
    subject: str,
    body: str,
    automatic: bool = False,
) -> Communication:
    """Send one message to `groups`: each person in their inbox and by e-mail, each plain address
    by e-mail; recorded with its recipients, sender and time, on the timeline. The next update
    falls due one cadence interval later."""
    if not automatic:
        may_communicate(actor, incident).enforce(incident)
    subject, body = (subject or "").strip(), (body or "").strip()
    if not groups:
        raise PolicyError.on("validation.invalid", "Choose at least one recipient group.", incident, field="groups")
    if not subject or not body:
        raise PolicyError.on("validation.invalid", "A message has a subject and a text.", incident, field="body")
    if any(group.organisation_id != incident.organisation_id for group in groups):
        raise PolicyError.on("tenant.cross_reference", "A recipient group of another organisation.", incident)
    people, plain = addresses_of(groups)
    now = timezone.now()
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=incident.pk).first()
        response = _response_of(incident)
        message = Communication.objects.create(
            organisation_id=incident.organisation_id,
            incident=incident,
            audience=audience,
            recipients=[p.email or p.username for p in people] + plain,
            subject=subject[:200],
            body=body,
            sender=actor if isinstance(actor, User) and not automatic else None,
            automatic=automatic,
            due_at=response.next_update_due_at,
            sent_at=now,
        )
        message.groups.set(groups)
        response.next_update_due_at = _next_due(incident, now)
        response.save(update_fields=["next_update_due_at", "updated_at"])
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.NOTIFY,
            actor=actor,
            obj=incident,
            message=f"Update sent to {', '.join(g.name for g in groups)} ({len(message.recipients)} recipients): "
            f"{message.subject}" + (" — late" if message.late else ""),
            changes={"communication": message.pk, "recipients": message.recipients},
        )
        url = reverse("response_status", args=[incident.reference])
        notifications.notify_many(
            notifications.draft(
                recipient=p, event="response.update", obj=message, subject=message.subject, body=body, url=url
            )
            for p in people
        )
        if plain:
            transaction.on_commit(lambda: _email(message.pk))
    return message


def _email(communication_id: int) -> None:
    message = Communication.objects.get(pk=communication_id)
    plain = [a for a in message.recipients if "@" in a]
    EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, bcc=plain).send(fail_silently=True)


def start_response(*, incident: Incident, actor: Any) -> IncidentResponse:
    """A commander is designated: the update cadence starts, and for SEV-1/2 the executives are
    informed at once with the management template (seed 003)."""
    response = _response_of(incident)
    if response.next_update_due_at is None:
        response.next_update_due_at = _next_due(incident, timezone.now())
        response.save(update_fields=["next_update_due_at", "updated_at"])
    executives = list(
        RecipientGroup.objects.filter(organisation_id=incident.organisation_id, kind=GroupKind.EXECUTIVES)
    )
    if incident.severity in EXECUTIVE_SEVERITIES and response.executives_informed_at is None and executives:
        template = template_for(incident, Audience.MANAGEMENT)
        subject = fill(template.subject, incident) if template else f"{incident.reference}: {incident.title}"
        body = (
            fill(template.body, incident)
            if template
            else (
                f"{incident.get_severity_display()} incident {incident.reference} '{incident.title}' at "
                f"{incident.location}. Commander: {fill('{commander}', incident)}."
            )
        )
        send_message(
            incident=incident,
            actor=actor,
            audience=Audience.MANAGEMENT,
            groups=executives,
            subject=subject,
            body=body,
            automatic=True,
        )
        IncidentResponse.objects.filter(pk=response.pk).update(executives_informed_at=timezone.now())
    return response


def _lead_of(incident: Incident) -> User | None:
    holders = active_holders(incident)
    lead = holders.get(RoleKind.COMMUNICATIONS_LEAD) or holders.get(RoleKind.COMMANDER)
    return User.objects.filter(pk=lead).first() if lead else None


def sweep_updates(*, now: datetime | None = None) -> dict[str, int]:
    """Remind the communications lead (else the commander) when an update is due within
    `REMIND_BEFORE`, and record the lapse once the due time has passed; each once per due
    time. Closed incidents have no cadence."""
    now = now or timezone.now()
    counts = {"reminded": 0, "late": 0}
    due = (
        IncidentResponse.objects.filter(next_update_due_at__lte=now + REMIND_BEFORE)
        .exclude(incident__status=IncidentStatus.CLOSED)
        .select_related("incident")
        .order_by("next_update_due_at")[:500]
    )
    for response in due:
        with transaction.atomic():
            lead = _lead_of(response.incident)
            incident, due_at = response.incident, response.next_update_due_at
            if response.reminded_for != due_at and lead is not None:
                IncidentResponse.objects.filter(pk=response.pk).update(reminded_for=due_at)
                # One reminder per due time: each due time follows one message (or the designation).
                answered = Communication.objects.filter(incident=incident).order_by("-sent_at").first()
                notifications.notify(
                    recipient=lead,
                    event="response.update_due",
                    obj=answered or response,
                    subject=f"{incident.reference}: the next update is due at {timezone.localtime(due_at):%H:%M}",
                    body=f"Send the next update on {incident.reference} '{incident.title}'.",
                    url=reverse("response_message", args=[incident.reference]),
                )
                counts["reminded"] += 1
            if due_at <= now:
                _, created = UpdateLapse.objects.get_or_create(
                    incident=incident,
                    due_at=due_at,
                    defaults={"organisation_id": incident.organisation_id, "lead": lead},
                )
                if created:
                    record_event(
                        tenant=incident.organisation_id,
                        action=AuditAction.ESCALATE,
                        actor=SWEEP_ACTOR,
                        obj=incident,
                        message=f"Update due at {timezone.localtime(due_at):%H:%M} was not sent in time.",
                        changes={"update_due_at": due_at},
                    )
                    counts["late"] += 1
    return counts
