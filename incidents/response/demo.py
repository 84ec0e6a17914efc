"""The demo tenant's major incident: a SEV-1 with a commander and a communications lead, two
updates sent, one update late, resolved, and its review in progress with action items."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import Category, Incident
from incidents.response.choices import Audience, GroupKind, Moment, RoleKind
from incidents.response.models import Communication, IncidentResponse, RecipientGroup
from incidents.response.services import comms, moments, notes, review, roles
from incidents.response.services.configuration import adopt_response
from iwms.models import Organisation, User
from organogram.models import Position

DEMO_TITLE = "Hoist rope failure at Shaft 2"


def seed_major_incident(*, tenant: Organisation) -> Incident | None:
    """Adopt response for the tenant and run its demo SEV-1 (once; None when it exists)."""
    people = {u.username: u for u in User.objects.filter(organisation=tenant)}
    adopt_response(
        tenant=tenant,
        actor="system:seed",
        executives=list(Position.objects.filter(organisation=tenant, code="gm")),
        it_staff=[people["kmokoena"]],
    )
    if Incident.objects.filter(organisation=tenant, title=DEMO_TITLE).exists():
        return None
    staff = RecipientGroup.objects.get(organisation=tenant, kind=GroupKind.AFFECTED_STAFF)
    staff.members.set([people["reporter"], people["responsible"]])
    incident = lifecycle.create_incident(
        tenant=tenant,
        actor=people["reporter"],
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=tenant, code="SAF.GEO.FOG"),
        title=DEMO_TITLE,
        narrative="The rock hoist's rope parted at the drum while the skip was at level 6; the skip fell into the "
        "shaft bottom. Nobody was in the shaft; hoisting stopped on both shafts.",
        location="Shaft 2 headgear",
        severity=Severity.SEV1,
        risk_level=RiskLevel.CRITICAL,
        time_sensitivity=TimeSensitivity.IMMEDIATE,
        occurred_at=timezone.now() - timedelta(minutes=95),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=incident)
    roles.assign_role(incident=incident, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"])
    roles.assign_role(
        incident=incident, role=RoleKind.COMMUNICATIONS_LEAD, holder=people["kmokoena"], actor=people["supervisor"]
    )
    roles.assign_role(
        incident=incident, role=RoleKind.TECHNICAL_OWNER, holder=people["zndlovu"], actor=people["supervisor"]
    )
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    moments.record_moment(
        incident=incident, moment=Moment.DETECTED, actor=people["supervisor"], at=incident.occurred_at
    )
    notes.add_note(incident=incident, actor=people["supervisor"], text="Both shafts stopped; shaft bottom barricaded.")
    notes.add_note(
        incident=incident, actor=people["zndlovu"], kind="decision", text="No hoisting until the rope is replaced."
    )
    template = comms.template_for(incident, Audience.INTERNAL_TECHNICAL)
    comms.send_message(
        incident=incident,
        actor=people["kmokoena"],
        audience=Audience.INTERNAL_TECHNICAL,
        groups=[staff],
        subject=comms.fill(template.subject, incident),
        body=comms.fill(template.body, incident).replace("What we know:", "What we know: the rope parted."),
    )
    # The demo's clock: both updates went out an hour ago and the next one, due 30 minutes
    # later, was never sent — the sweep records it late, as it would have.
    sent = timezone.now() - timedelta(minutes=60)
    Communication.objects.filter(incident=incident).update(sent_at=sent)
    IncidentResponse.objects.filter(incident=incident).update(next_update_due_at=sent + timedelta(minutes=30))
    comms.sweep_updates()
    moments.record_moment(incident=incident, moment=Moment.MITIGATED, actor=people["supervisor"])
    moments.record_moment(incident=incident, moment=Moment.RESOLVED, actor=people["supervisor"])
    pir = review.save_review(
        review=incident.post_incident_review,
        actor=people["supervisor"],
        depth="detailed_technical",
        summary="The rock hoist's rope parted at the drum; the skip fell; nobody was hurt.",
        root_cause="",
        contributing_factors="The rope's inspection interval did not follow the increased tonnage.",
        what_worked="The shaft was empty by procedure; both shafts stopped within minutes.",
        what_failed="",
    )
    review.add_action_item(
        review=pir,
        actor=people["supervisor"],
        description="Tie the rope inspection interval to hoisted tonnage",
        owner=people["zndlovu"],
        due_at=timezone.localdate() + timedelta(days=14),
    )
    review.add_action_item(
        review=pir,
        actor=people["supervisor"],
        description="Add a rope-wear sensor to the hoist",
        owner=None,
        due_at=None,
    )
    return incident
