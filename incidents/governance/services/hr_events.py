"""HR changes (seed 000 §11.2): one service receives a hire, transfer, promotion or
termination from the HR system (`POST /api/v1/hr-events/`) or a tenant admin's form, keeps it,
and applies it to the organogram with what follows from it.

Payload (a JSON object; unknown keys are kept but ignored)::

    {
      "kind": "hire" | "transfer" | "promotion" | "termination",   # required
      "person": "<username>",                                       # required: the person's login
      "position": "<position code>",        # required for hire, transfer and promotion
      "effective_at": "2026-12-01T08:00:00+02:00",  # optional ISO 8601; default: now
      "event_id": "<the HR system's id>",   # optional; the same id twice is applied once
      "note": "<free text>"                 # optional, at most 300 characters
    }

Invalid input raises `PolicyError("validation.invalid", …)` with `field` (the first bad key)
and `errors` ({key: message} for every bad key) in its context; nothing is kept. A valid event
that names a person or position the organogram does not know, or that the organogram refuses
(e.g. the position is already filled), is kept with status `mismatch` and raised as an
organogram-mismatch incident for the department head — never dropped.

What each kind does:
- hire: the person is appointed (substantive) to the position from `effective_at`; the head
  of the position's department is asked to confirm its reporting line.
- transfer / promotion: the person's open items are handed to the supervisor of their former
  position (`governance.services.handover`), their former appointments end and they are
  appointed to the new position; the department head is asked to confirm the reporting line.
- termination: open items are handed over, every appointment ends, and their sessions, API
  tokens, role grants and pending delegations are revoked; the account is deactivated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.governance.choices import HrEventKind, HrEventStatus
from incidents.governance.models import HrEvent
from incidents.governance.services.handover import hand_over_open_items, revoke_access
from incidents.governance.services.mismatches import raise_mismatch
from iwms.audit import record_event
from iwms.audited_rows import save_audited
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.notifications import notify
from iwms.refusals import audited_refusals
from organogram import services as organogram
from organogram.choices import AssignmentKind
from organogram.hierarchy import department_head_of, holder_of, positions_of, supervisor_of, top_of_hierarchy
from organogram.models import Position, PositionAssignment

RECEIVED_VIA = ("api", "form")
NEEDS_POSITION = {HrEventKind.HIRE, HrEventKind.TRANSFER, HrEventKind.PROMOTION}


def validate_payload(tenant: Organisation, payload: Any) -> dict[str, Any]:
    """The payload's values, checked; raises `validation.invalid` naming every bad key."""
    errors: dict[str, str] = {}
    if not isinstance(payload, dict):
        raise PolicyError(
            "validation.invalid", "An HR event is a JSON object.", tenant=tenant, field="payload", errors={}
        )
    kind = payload.get("kind")
    if kind not in HrEventKind.values:
        errors["kind"] = f"kind must be one of: {', '.join(HrEventKind.values)}."
    person = payload.get("person")
    if not isinstance(person, str) or not person.strip() or len(person) > 150:
        errors["person"] = "person must be the person's username."
    position = payload.get("position")
    if kind in NEEDS_POSITION and (not isinstance(position, str) or not position.strip() or len(position) > 60):
        errors["position"] = f"position must be a position code for a {kind}."
    effective_at = timezone.now()
    raw_when = payload.get("effective_at")
    if raw_when not in (None, ""):
        parsed = parse_datetime(raw_when) if isinstance(raw_when, str) else None
        if parsed is None or timezone.is_naive(parsed):
            errors["effective_at"] = "effective_at must be an ISO 8601 date and time with its UTC offset."
        else:
            effective_at = parsed
    event_id = payload.get("event_id", "")
    if not isinstance(event_id, str) or len(event_id) > 100:
        errors["event_id"] = "event_id must be text of at most 100 characters."
    note = payload.get("note", "")
    if not isinstance(note, str) or len(note) > 300:
        errors["note"] = "note must be text of at most 300 characters."
    if errors:
        first = next(iter(errors))
        raise PolicyError("validation.invalid", " ".join(errors.values()), tenant=tenant, field=first, errors=errors)
    return {
        "kind": HrEventKind(kind),
        "person": person.strip(),
        "position": (position or "").strip() if kind in NEEDS_POSITION else (position or ""),
        "effective_at": effective_at,
        "event_id": event_id.strip(),
        "note": note.strip(),
    }


def receive_hr_event(*, tenant: Organisation, payload: dict, received_via: str, actor: Any = None) -> HrEvent:
    """Keep and apply one HR event (see the module docstring for the payload). Returns the kept
    event: status `applied`, or `mismatch` with the reference of the mismatch incident. The
    same `event_id` again returns the event kept the first time, unchanged."""
    if received_via not in RECEIVED_VIA:
        raise ValueError(f"received_via must be one of {RECEIVED_VIA}")
    with audited_refusals(actor=actor):
        values = validate_payload(tenant, payload)
        if values["event_id"]:
            kept = HrEvent.objects.filter(organisation=tenant, external_id=values["event_id"]).first()
            if kept is not None:
                return kept
        person = User.objects.filter(organisation=tenant, username=values["person"]).first()
        position = (
            Position.objects.for_tenant(tenant).filter(code=values["position"]).select_related("unit").first()
            if values["position"]
            else None
        )
        event = HrEvent(
            organisation=tenant,
            kind=values["kind"],
            external_id=values["event_id"],
            payload=payload,
            received_via=received_via,
            effective_at=values["effective_at"],
            person=person,
            position=position,
            actor=actor if isinstance(actor, User) else None,
        )
        problem = ""
        if person is None:
            problem = f"The HR system names a person the organisation does not know: {values['person']}."
        elif values["position"] and position is None:
            problem = f"The HR system names a position the organogram does not have: {values['position']}."
        elif position is not None and not position.is_active:
            problem = f"The HR system names a position that has been retired: {position}."
        try:
            with transaction.atomic():
                if not problem:
                    try:
                        with transaction.atomic():
                            event.outcome = _apply(event, values, actor)
                            event.status = HrEventStatus.APPLIED
                            _save(event, actor)
                            if event.kind != HrEventKind.TERMINATION:
                                _ask_to_confirm_line(event, event.person, event.position)
                            return event
                    except PolicyError as exc:
                        problem = f"The organogram refused the {event.get_kind_display()}: {exc.message}"
                event.status = HrEventStatus.MISMATCH
                mismatch = raise_mismatch(
                    tenant=tenant,
                    unit=position.unit if position else None,
                    title=f"Organogram check: HR {event.get_kind_display()} of {values['person']}",
                    narrative=f"An HR {event.get_kind_display()} effective {values['effective_at']:%Y-%m-%d %H:%M} "
                    f"could not be applied. {problem} The event is kept as received; correct the organogram "
                    "or the HR record so that they agree.",
                    actor=actor or "governance",
                )
                event.mismatch_reference = mismatch.reference
                event.outcome = {"problem": problem}
                _save(event, actor)
        except IntegrityError:  # the same event_id arrived at the same time: the other one was kept
            return HrEvent.objects.get(organisation=tenant, external_id=values["event_id"])
    return event


def _save(event: HrEvent, actor: Any) -> None:
    event.save()
    record_event(
        tenant=event.organisation_id,
        action=AuditAction.CREATE,
        actor=actor,
        obj=event,
        message=f"HR {event.get_kind_display()} received via {event.received_via}: {event.status}.",
        changes={"kind": event.kind, "status": event.status, "person": event.person_id, "outcome": event.outcome},
    )


def _successor(person: User, at: datetime) -> User | None:
    level = supervisor_of(person, at)
    if level is not None:
        return level.holder
    top = top_of_hierarchy(person.organisation_id, at)
    return top.holder if top and top.holder.pk != person.pk else None


def _apply(event: HrEvent, values: dict[str, Any], actor: Any) -> dict[str, Any]:
    person, position, at = event.person, event.position, values["effective_at"]
    kind = values["kind"]
    reason = f"HR {event.get_kind_display()}" + (f" ({values['event_id']})" if values["event_id"] else "")
    outcome: dict[str, Any] = {}
    if kind in (HrEventKind.TRANSFER, HrEventKind.TERMINATION, HrEventKind.PROMOTION):
        successor = _successor(person, timezone.now())
        if kind != HrEventKind.PROMOTION:
            if successor is None:
                raise PolicyError(
                    "organogram.no_position",
                    f"Nobody is above {person} to take over their open items.",
                    tenant=event.organisation,
                )
            outcome["handover"] = hand_over_open_items(person=person, successor=successor, reason=reason, actor=actor)
            outcome["successor"] = successor.username
        ending = PositionAssignment.objects.filter(person=person, ends_at__isnull=True)
        if position is not None:
            ending = ending.exclude(position=position)
        ended_at = max(at, timezone.now()) if kind == HrEventKind.TERMINATION else at
        outcome["ended"] = [
            str(
                organogram.end_assignment(
                    assignment=assignment,
                    ends_at=max(ended_at, assignment.starts_at + timedelta(seconds=1)),
                    actor=actor,
                ).position
            )
            for assignment in ending
        ]
    if kind == HrEventKind.TERMINATION:
        outcome["revoked"] = revoke_access(person=person, actor=actor, reason=reason)
        person.is_active = False
        save_audited(obj=person, actor=actor)
        return outcome
    if not any(p.pk == position.pk for p in positions_of(person, at)):
        organogram.assign_person(
            position=position, person=person, kind=AssignmentKind.SUBSTANTIVE, starts_at=at, note=reason, actor=actor
        )
    outcome["appointed"] = position.code
    return outcome


def _ask_to_confirm_line(event: HrEvent, person: User, position: Position) -> None:
    head = department_head_of(person, position=position)
    recipient = head.holder if head else holder_of(position.parent) if position.parent_id else None
    if recipient is None:
        return
    notify(
        recipient=recipient,
        event="hr_event.confirm_line",
        obj=event,
        subject=f"Confirm the reporting line of {person.get_full_name() or person}",
        body=f"HR recorded a {event.get_kind_display()}: {person.get_full_name() or person} now holds {position}, "
        f"reporting to {position.parent or 'nobody'}. Confirm the reporting line, or correct it on the unit's "
        "organogram page.",
        url=reverse("governance:unit", args=[position.unit.code]),
    )
