"""Response roles (designation, hand-over with acceptance, one commander at a time), the
SEV-1/2 triage gate and the responders' notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.response.choices import AssignmentStatus, RoleKind
from incidents.response.models import Communication, IncidentNote, IncidentResponse, RoleAssignment
from incidents.response.services import notes, roles
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification


def _timeline(incident):
    return list(
        AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(incident.pk)).values_list(
            "message", flat=True
        )
    )


def test_sev1_cannot_leave_triage_without_a_commander(sev1, people):
    with pytest.raises(PolicyError) as refused:
        lifecycle.acknowledge_incident(incident=sev1, actor=people["responsible"])
    assert refused.value.code == "response.commander_required"
    sev1.refresh_from_db()
    assert sev1.status == "open"
    roles.assign_role(incident=sev1, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"])
    assert lifecycle.acknowledge_incident(incident=sev1, actor=people["responsible"]).status == "in_progress"


def test_sev3_and_tenants_without_response_are_not_gated(make_incident, people, adopted):

    incident = make_incident(severity="sev3")
    incident_workflows.start_incident_workflow(incident=incident)
    assert lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"]).status == "in_progress"


def test_designation_is_on_the_timeline_notifies_and_informs_the_executives(sev1, people):
    roles.assign_role(incident=sev1, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"])
    assert "Pieter Botha designated incident commander." in _timeline(sev1)
    assert Notification.objects.filter(recipient=people["supervisor"], event="response.role_assigned").exists()
    executive_update = Communication.objects.get(incident=sev1)
    assert executive_update.automatic and executive_update.recipients == [people["top"].email]
    response = IncidentResponse.objects.get(incident=sev1)
    assert response.executives_informed_at is not None
    # SEV-1 cadence: the next update is due 30 minutes after the executives were informed
    assert response.next_update_due_at - executive_update.sent_at == timedelta(minutes=30)


def test_handover_needs_the_new_holders_acceptance(sev1, people):
    roles.assign_role(incident=sev1, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"])
    proposal = roles.assign_role(
        incident=sev1, role=RoleKind.COMMANDER, holder=people["top"], actor=people["supervisor"], note="Going off shift"
    )
    assert proposal.status == AssignmentStatus.PROPOSED
    active = RoleAssignment.objects.get(incident=sev1, role=RoleKind.COMMANDER, status=AssignmentStatus.ACTIVE)
    assert active.holder == people["supervisor"]
    with pytest.raises(PolicyError) as refused:
        roles.accept_handover(assignment=proposal, actor=people["supervisor"])
    assert refused.value.code == "access_denied"
    roles.accept_handover(assignment=proposal, actor=people["top"])
    holders = RoleAssignment.objects.filter(incident=sev1, role=RoleKind.COMMANDER)
    assert [(a.holder.username, a.status) for a in holders] == [("supervisor", "ended"), ("top", "active")]
    assert any("accepted the hand-over" in m for m in _timeline(sev1))
    with pytest.raises(PolicyError) as again:
        roles.accept_handover(assignment=proposal, actor=people["top"])
    assert again.value.code == "response.handover_closed"


def test_a_declined_handover_leaves_the_role_where_it_was(sev1, people):
    roles.assign_role(incident=sev1, role=RoleKind.TECHNICAL_OWNER, holder=people["zndlovu"], actor=people["depthead"])
    proposal = roles.assign_role(
        incident=sev1, role=RoleKind.TECHNICAL_OWNER, holder=people["rpretorius"], actor=people["depthead"]
    )
    roles.decline_handover(assignment=proposal, actor=people["rpretorius"], reason="On leave")
    active = RoleAssignment.objects.get(incident=sev1, role=RoleKind.TECHNICAL_OWNER, status="active")
    assert active.holder == people["zndlovu"]
    assert Notification.objects.filter(recipient=people["depthead"], event="response.handover_declined").exists()


def test_the_database_refuses_two_commanders_at_once(sev1, people):
    roles.assign_role(incident=sev1, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"])
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            organisation=sev1.organisation,
            incident=sev1,
            role=RoleKind.COMMANDER,
            holder=people["top"],
            assigned_by=people["depthead"],
            status=AssignmentStatus.ACTIVE,
        )


def test_only_the_owner_responsible_or_commander_designate(sev1, people):
    with pytest.raises(PolicyError) as refused:
        roles.assign_role(incident=sev1, role=RoleKind.COMMANDER, holder=people["reporter"], actor=people["reporter"])
    assert refused.value.code == "access_denied"


def test_tenant_roles_can_be_held_and_unknown_roles_are_refused(sev1, people):
    roles.assign_role(incident=sev1, role="scribe", holder=people["kmokoena"], actor=people["depthead"])
    with pytest.raises(PolicyError) as refused:
        roles.assign_role(incident=sev1, role="astrologer", holder=people["kmokoena"], actor=people["depthead"])
    assert refused.value.context["field"] == "role"


def test_a_note_is_editable_by_its_author_within_the_window_then_immutable(sev1, people):
    note = notes.add_note(incident=sev1, actor=people["responsible"], text="Barricaded the shaft collar.")
    with pytest.raises(PolicyError) as other:
        notes.edit_note(note=note, actor=people["depthead"], text="Changed")
    assert other.value.code == "access_denied"
    notes.edit_note(note=note, actor=people["responsible"], text="Barricaded the shaft collar and the bank.")
    IncidentNote.objects.filter(pk=note.pk).update(editable_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PolicyError) as locked:
        notes.edit_note(note=note, actor=people["responsible"], text="Rewritten later")
    assert locked.value.code == "response.note_locked"
    assert IncidentNote.objects.get(pk=note.pk).text == "Barricaded the shaft collar and the bank."
    assert any(m.startswith("Note corrected:") for m in _timeline(sev1))


def test_people_outside_the_response_cannot_write_notes(sev1, people):
    with pytest.raises(PolicyError):
        notes.add_note(incident=sev1, actor=people["reporter"], text="I saw it")
