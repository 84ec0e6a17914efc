"""The admin is a caller like any other: every edit of a governed model there goes through its
service and shows in the ledger (or on the incident's timeline) naming the platform admin and
the field deltas; a severity changed there recomputes the deadlines; a closed incident is
read-only; a refusal is shown, audited, and nothing of the change is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.forms import MultiWidget
from django.urls import reverse
from django.utils import timezone

from arc.models import AccountabilityRule, Delegation, RoleGrant
from incidents.choices import IncidentStatus, Severity
from incidents.core.deadlines import deadlines_for, policy_for
from incidents.core.selectors import timeline_for
from incidents.demo.builder import build_demo_tenant, build_platform_admin
from incidents.demo.incidents import seed_demo_incidents
from incidents.models import Category, Incident, PoleEntity, SlaPolicy
from iwms.models import AuditEvent, User
from organogram.models import OrgUnit, Position, PositionAssignment, Shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    tenant = build_demo_tenant(password="pw-demo-12345")
    seed_demo_incidents(tenant=tenant)
    platform = build_platform_admin(password="pw-admin-12345")
    client.force_login(platform)
    return {"tenant": tenant, "platform": platform, "client": client}


def _bound_values(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, MultiWidget):
            parts = widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{bound.html_name}_{index}"] = "" if part is None else part.isoformat()
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def change_form_data(client, url: str) -> dict[str, Any]:
    """What the admin's change page would post back unchanged: the form and its inlines."""
    response = client.get(url)
    assert response.status_code == 200
    data = _bound_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_bound_values(formset.management_form))
        for form in formset.forms:
            data.update(_bound_values(form))
    return data


def admin_url(obj, view: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def last_event_by(platform: User, obj) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(actor=platform, object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("seq")
        .last()
    )


@dataclass(frozen=True)
class Edit:
    """One edit of a governed model in the admin: which row, which field, what new value."""

    label: str
    row: Any
    field: str
    value: Any
    posted: Any = None
    on_incident: bool = False


def _incident() -> Incident:
    return Incident.objects.get(title__startswith="Loader reversed")


EDITS = [
    Edit("unit", lambda: OrgUnit.objects.get(code="sheq"), "name", "SHEQ and Sustainability"),
    Edit("shift", lambda: Shift.objects.order_by("pk").first(), "name", "Day shift (A)"),
    Edit("position", lambda: Position.objects.get(code="sheq-custodian"), "title", "SHEQ Systems Custodian (lead)"),
    Edit(
        "reporting line",
        lambda: Position.objects.get(code="sheq-custodian"),
        "parent",
        lambda: Position.objects.get(code="gm").pk,
    ),
    Edit(
        "person in position",
        lambda: PositionAssignment.objects.filter(position__code="sheq-custodian").first(),
        "note",
        "Acting while the manager is on leave",
    ),
    Edit(
        "accountability rule",
        lambda: AccountabilityRule.objects.filter(unit__code="hr").first(),
        "description",
        "HR events and disputes are owned by the HR Manager.",
    ),
    Edit("role grant", lambda: RoleGrant.objects.get(user__username="custodian"), "reason", "Custodian of SHEQ"),
    Edit("category", lambda: Category.objects.get(code="SAF.GEO.FOG"), "keywords", "slab, fall, hanging wall"),
    Edit("SLA policy", lambda: SlaPolicy.objects.get(code="mine-standard"), "sev1_ack_minutes", 7),
    Edit("incident", _incident, "narrative", "Corrected: the loader stopped four metres away.", on_incident=True),
    Edit(
        "POLE entity",
        lambda: PoleEntity.objects.get(name="Loader LHD-14"),
        "role",
        "vehicle that reversed",
        on_incident=True,
    ),
]


@pytest.mark.parametrize("edit", EDITS, ids=lambda edit: edit.label)
def test_every_admin_edit_of_a_governed_model_is_in_the_ledger_naming_the_admin(world, edit):
    client, platform = world["client"], world["platform"]
    row = edit.row()
    value = edit.value() if callable(edit.value) else edit.value
    before = getattr(row, row._meta.get_field(edit.field).attname)
    data = change_form_data(client, admin_url(row))
    data[edit.field] = str(value)
    data["change_reason"] = "Correcting the record after the weekly review."
    response = client.post(admin_url(row), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    row.refresh_from_db()
    assert getattr(row, row._meta.get_field(edit.field).attname) == value
    if edit.on_incident:
        incident = row if isinstance(row, Incident) else row.incident
        event = timeline_for(incident).filter(actor=platform).last()
        assert event is not None and "admin" in event.message
    else:
        event = last_event_by(platform, row)
    assert event is not None, f"no ledger event for the {edit.label} edit"
    assert event.changes[edit.field] == [before, value]
    assert event.actor_label == "platform"


def test_a_unit_added_and_a_rule_deleted_in_the_admin_are_each_one_ledger_event(world):
    client, platform = world["client"], world["platform"]
    tenant = world["tenant"]
    parent = OrgUnit.objects.get(code="sheq")
    response = client.post(
        reverse("admin:organogram_orgunit_add"),
        {"organisation": tenant.pk, "code": "env", "name": "Environment", "kind": "section", "parent": parent.pk},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    unit = OrgUnit.objects.get(code="env")
    created = last_event_by(platform, unit)
    assert created.action == "create" and created.changes["name"] == "Environment"

    rule = AccountabilityRule.objects.filter(unit__code="hr").first()
    rule_pk = rule.pk
    response = client.post(admin_url(rule, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not AccountabilityRule.objects.filter(pk=rule_pk).exists()
    deleted = AuditEvent.objects.get(actor=platform, object_type="arc.accountabilityrule", object_id=str(rule_pk))
    assert deleted.changes["deleted"] == [False, True]
    assert deleted.changes["description"][1] is None


def test_a_severity_changed_in_the_admin_recomputes_the_deadlines(world):
    client, platform = world["client"], world["platform"]
    incident = _incident()
    assert incident.severity == Severity.SEV3
    data = change_form_data(client, admin_url(incident))
    data["severity"] = Severity.SEV1
    data["change_reason"] = "The proximity log shows a near contact; raising it."
    response = client.post(admin_url(incident), data)
    assert response.status_code == 302
    incident.refresh_from_db()
    expected = deadlines_for(Severity.SEV1, incident.reported_at, policy_for(incident.category))
    assert incident.severity == Severity.SEV1
    assert incident.ack_due_at == expected.ack_due_at
    assert incident.resolve_due_at == expected.resolve_due_at
    assert incident.next_clock_at is not None and incident.next_clock_at <= expected.resolve_due_at
    event = timeline_for(incident).filter(actor=platform, changes__has_key="severity").get()
    assert event.changes["severity"] == [Severity.SEV3, Severity.SEV1]
    assert "resolve_due_at" in event.changes and "near contact" in event.message


def test_a_severity_change_without_a_reason_is_refused_next_to_the_reason(world):
    client = world["client"]
    incident = _incident()
    data = change_form_data(client, admin_url(incident))
    data["severity"] = Severity.SEV1
    response = client.post(admin_url(incident), data)
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    incident.refresh_from_db()
    assert incident.severity == Severity.SEV3


def test_a_responsible_person_changed_in_the_admin_is_a_handoff_with_an_arc_trace(world):
    client, platform = world["client"], world["platform"]
    incident = _incident()
    previous = incident.responsible
    new = User.objects.get(username="supervisor")
    data = change_form_data(client, admin_url(incident))
    data["responsible"] = str(new.pk)
    data["change_reason"] = "The shift boss is on leave from today."
    response = client.post(admin_url(incident), data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.responsible == new and incident.owner != platform
    trace = Delegation.objects.get(subject_id=str(incident.pk), to_person=new)
    assert trace.from_person == previous and "on leave" in trace.handoff_note
    assert AuditEvent.objects.filter(actor=platform, object_type="arc.delegation", object_id=str(trace.pk)).exists()
    assign = timeline_for(incident).filter(actor=platform, action="assign").get()
    assert assign.changes["responsible"] == [previous.pk, new.pk]


def test_a_closed_incident_is_read_only_in_the_admin(world):
    client = world["client"]
    incident = _incident()
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    incident.refresh_from_db()
    page = client.get(admin_url(incident))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    data = {"narrative": "rewritten", "change_reason": "Trying to rewrite history."}
    response = client.post(admin_url(incident), data)
    assert response.status_code == 403
    entity = PoleEntity.objects.get(incident=incident)
    assert client.post(admin_url(entity), {"role": "changed"}).status_code == 403
    incident.refresh_from_db()
    assert incident.narrative != "rewritten"


def test_a_reporting_line_cycle_is_refused_on_the_form(world):
    client = world["client"]
    gm = Position.objects.get(code="gm")
    below = Position.objects.get(code="sheq-custodian")
    data = change_form_data(client, admin_url(gm))
    data["parent"] = str(below.pk)
    response = client.post(admin_url(gm), data)
    assert response.status_code == 200
    assert "descendant of itself" in str(response.context["adminform"].form.errors)
    gm.refresh_from_db()
    assert gm.parent_id is None


def test_a_reporting_line_to_an_abolished_position_is_refused_by_the_service_and_audited(world):
    client, platform = world["client"], world["platform"]
    abolished = Position.objects.get(code="hr-officer")
    Position.objects.filter(pk=abolished.pk).update(is_active=False)
    moved = Position.objects.get(code="sheq-custodian")
    data = change_form_data(client, admin_url(moved))
    data["parent"] = str(abolished.pk)
    response = client.post(admin_url(moved), data, follow=True)
    assert "organogram.position_inactive" in response.content.decode()
    moved.refresh_from_db()
    assert moved.parent.code == "sheq-manager"
    refusal = AuditEvent.objects.filter(
        actor=platform, action__in=["access_denied", "input_refused", "transition_denied"]
    ).last()
    assert refusal is not None and refusal.changes["code"] == "organogram.position_inactive"


def test_a_person_put_into_a_position_in_the_admin_goes_through_assign_person(world):
    client, platform = world["client"], world["platform"]
    tenant = world["tenant"]
    vacant = Position.objects.get(code="plant-asst-supervisor")
    person = User.objects.get(username="reporter")
    start = timezone.now()

    def assign():
        return client.post(
            reverse("admin:organogram_positionassignment_add"),
            {
                "organisation": tenant.pk,
                "person": person.pk,
                "position": vacant.pk,
                "kind": "acting",
                "starts_at_0": start.date().isoformat(),
                "starts_at_1": start.time().isoformat(),
            },
            follow=True,
        )

    Position.objects.filter(pk=vacant.pk).update(is_active=False)
    refused = assign()
    assert "organogram.position_inactive" in refused.content.decode()
    assert not PositionAssignment.objects.filter(person=person, position=vacant).exists()
    assert AuditEvent.objects.filter(
        actor=platform, action__in=["access_denied", "input_refused", "transition_denied"]
    ).exists()

    Position.objects.filter(pk=vacant.pk).update(is_active=True)
    assert assign().status_code == 200
    assignment = PositionAssignment.objects.get(person=person, position=vacant)
    event = last_event_by(platform, assignment)
    assert event.action == "assign" and event.changes == {"position": vacant.pk, "person": person.pk, "kind": "acting"}
