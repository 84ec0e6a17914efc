"""The responders' running log: adding a note and its author's edits within the edit window."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.response.choices import NoteKind
from incidents.response.gating import settings_of
from incidents.response.models import IncidentNote
from incidents.response.policy import may_edit_note, may_respond
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User

DEFAULT_EDIT_MINUTES = 5


def _clean(incident: Incident, text: str, kind: str) -> str:
    text = (text or "").strip()
    if not text:
        raise PolicyError.on("validation.invalid", "Write the note.", incident, field="text")
    if kind not in NoteKind.values:
        raise PolicyError.on("validation.invalid", "Choose note, decision or link.", incident, field="kind")
    return text


def add_note(*, incident: Incident, actor: User, text: str, kind: str = NoteKind.NOTE) -> IncidentNote:
    may_respond(actor, incident).enforce(incident)
    text = _clean(incident, text, kind)
    config = settings_of(incident)
    minutes = config.note_edit_minutes if config else DEFAULT_EDIT_MINUTES
    with transaction.atomic():
        note = IncidentNote.objects.create(
            organisation_id=incident.organisation_id,
            incident=incident,
            author=actor,
            kind=kind,
            text=text,
            editable_until=timezone.now() + timedelta(minutes=minutes),
        )
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=incident,
            message=f"{note.get_kind_display().capitalize()}: {text}",
            changes={"note": note.pk, "kind": kind},
        )
    return note


def edit_note(*, note: IncidentNote, actor: User, text: str) -> IncidentNote:
    """Its author corrects a note within the edit window; the ledger keeps both versions."""
    with transaction.atomic():
        note = IncidentNote.objects.select_for_update().select_related("incident").get(pk=note.pk)
        may_edit_note(actor, note).enforce(note)
        text = _clean(note.incident, text, note.kind)
        before = note.text
        note.text, note.edited_at = text, timezone.now()
        note.save(update_fields=["text", "edited_at", "updated_at"])
        record_event(
            tenant=note.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=note.incident,
            message=f"{note.get_kind_display().capitalize()} corrected: {text}",
            changes={"note": note.pk, "text": [before, text]},
        )
    return note
