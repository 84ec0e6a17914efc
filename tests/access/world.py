"""The objects the authorization matrix requests its URLs with: the demo mine and the
second tenant, an incident of the cast ("own") and one of another department ("other"),
each with a workflow and evidence, and one of everything else a URL names."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from arc.choices import DelegationReason
from incidents.access.services import grants
from incidents.choices import AuditPackStatus, IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core import lifecycle
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.demo.builder import build_demo_tenant, build_platform_admin, build_second_tenant
from incidents.intake.services import intake
from incidents.integrations.services.sources import register_source
from incidents.models import AccessGrant, AuditPack, Breach, BreachWarning, Category, Escalation
from incidents.problems.services.raising import raise_problem
from incidents.response.choices import Moment, RoleKind
from incidents.response.services import moments, notes, review, roles
from incidents.response.services.configuration import adopt_response
from incidents.work.services import execution as work
from iwms.models import Notification, User
from organogram.models import OrgUnit, Position
from tests.incidents.test_review_loop import complete_and_review, work_through
from tests.incidents.test_sweep import sweep_at
from tests.incidents.test_work import add_photo, own_steps, png
from workflows.models import Step

PASSWORD = "pw-demo-12345"

# Role of the matrix -> demo login (None: not signed in).
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "reporter": "reporter",
    "responsible": "responsible",
    "supervisor": "supervisor",
    "department_head": "depthead",
    "top": "top",
    "category_custodian": "custodian",
    "tenant_admin": "admin",
    "auditor": "auditor",
    "regulator": "regulator",
    "external_provider": "provider",
    "platform_admin": "platform",
    "other_tenant": "karoo.md",
}


def _incident(mine, people, *, owner: str, position: str, responsible: str, reporter: str, **overrides):
    fields = dict(
        tenant=mine,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=mine, code="SAF.GEO.FOG"),
        title="Fall of ground at Shaft 2, level 8",
        narrative="At 09:40 a slab of about half a metre fell from the hanging wall next to the loading "
        "box at Shaft 2, level 8. The crew of four was at the waiting place; nobody was injured and "
        "the area was barricaded at once.",
        location="Shaft 2, level 8",
        severity=Severity.SEV3,
        risk_level=RiskLevel.HIGH,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(minutes=20),
        owner=people[owner],
        owner_position=Position.objects.get(organisation=mine, code=position),
        responsible=people[responsible],
        reporter=people[reporter],
    )
    fields.update(overrides)
    return create_incident(**fields)


def _started(mine, people, **who):
    incident = _incident(mine, people, **who)
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=incident.responsible)


def build_world() -> dict[str, object]:
    """Every object a URL of the project names, keyed as the matrix file refers to them."""
    mine = build_demo_tenant(password=PASSWORD)
    build_second_tenant(password=PASSWORD)
    build_platform_admin(password=PASSWORD)
    people = {u.username: u for u in User.objects.filter(organisation=mine)}
    cast = dict(owner="depthead", position="mining-manager", responsible="responsible", reporter="reporter")
    stranger = dict(owner="mnaidoo", position="plant-manager", responsible="mnaidoo", reporter="mnaidoo")

    own = _started(mine, people, **cast)
    own_photo_step, provider_step, paused_step = own_steps(own, people["responsible"])[:3]
    own_photo = add_photo(own, own_photo_step, people["responsible"])
    info = work.pause_step(
        incident=own,
        step=paused_step,
        actor=people["responsible"],
        responsible=people["supervisor"],
        request="Which crew was working the panel at the time of the fall?",
        due_at=timezone.now() + timedelta(hours=2),
    )
    Step.objects.filter(pk=provider_step.pk).update(assignee=people["provider"])
    provider_step = Step.objects.select_related("run__responsible", "assignee").get(pk=provider_step.pk)
    provider_photo = grants.add_provider_evidence(
        step=provider_step,
        actor=people["provider"],
        kind="photo",
        collected_at=timezone.now() - timedelta(minutes=5),
        relevance="Rock bolts installed on the hanging wall",
        location=own.location,
        upload=png("blue"),
        text="",
    )

    other = _started(mine, people, **stranger)
    other_step = own_steps(other, people["mnaidoo"])[0]
    other_photo = add_photo(other, other_step, people["mnaidoo"])

    # Its own account: the review finds narratives copied from the tenant's other incidents.
    pending = _incident(
        mine,
        people,
        **cast,
        narrative="During the night shift the winch operator heard a crack and saw loose rock drop onto the "
        "scraper path at Shaft 2, level 8; the crew withdrew to the cubby and the shift boss barricaded both ends.",
    )
    incident_workflows.start_incident_workflow(incident=pending)
    pending = lifecycle.acknowledge_incident(incident=pending, actor=people["responsible"])
    work_through(pending)
    pending = complete_and_review(pending, people["responsible"])

    handed = _started(mine, people, severity=Severity.SEV1, **cast)
    delegation = work.delegate_incident(
        incident=handed,
        actor=people["responsible"],
        to_person=people["supervisor"],
        reason_code=DelegationReason.ABSENCE,
        handoff_note="On leave from tomorrow; the overseer takes the investigation.",
    )

    late = _incident(mine, people, severity=Severity.SEV1, **cast)
    sweep_at(late.resolve_due_at + timedelta(seconds=1))
    escalation = Escalation.objects.get(incident=late)
    warned = _incident(mine, people, severity=Severity.SEV2, **cast)
    sweep_at(warned.next_clock_at)
    warning = BreachWarning.objects.get(incident=warned, mitigation_requested=True)
    notification = Notification.objects.filter(recipient=people["responsible"]).order_by("pk").first()

    def issued(grantee: str, incidents, days: int) -> AccessGrant:
        requested = grants.request_grant(
            tenant=mine,
            actor=people["depthead"],
            grantee=people[grantee],
            purpose="Inspection of fall-of-ground incidents",
            expires_at=timezone.now() + timedelta(days=30),
            incidents=incidents,
        )
        grant = grants.issue_grant(grant=requested, actor=people["admin"])
        AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(days=days))
        return grant

    grant = issued("regulator", [own], 30)
    expired = issued("regulator", [own], 30)
    pack = AuditPack.objects.create(
        organisation=mine, grant=grant, requested_by=people["regulator"], status=AuditPackStatus.QUEUED
    )
    expired_pack = AuditPack.objects.create(
        organisation=mine, grant=expired, requested_by=people["regulator"], status=AuditPackStatus.QUEUED
    )
    AccessGrant.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    draft = intake.start_draft(reporter=people["reporter"])
    source, _ = register_source(
        actor=people["admin"],
        name="RADAM",
        kind="radam",
        category=Category.objects.get(organisation=mine, code="SAF.GEO.FOG"),
    )
    problem = raise_problem(
        actor=people["responsible"],
        title="Hanging wall slabs on level 8",
        description="Slabs keep falling near the loading box after blasting.",
        category=Category.objects.get(organisation=mine, code="SAF.GEO.FOG"),
        detection_source="incident",
        from_incident=own,
    )
    response = respond_to(own, people)

    return {
        "own": own.reference,
        "own_step": own_photo_step.pk,
        "own_evidence": own_photo.pk,
        "other": other.reference,
        "other_step": other_step.pk,
        "other_evidence": other_photo.pk,
        "pending": pending.reference,
        "info_request": info.pk,
        "delegation": delegation.pk,
        "escalation": escalation.pk,
        "warning": warning.pk,
        "notification": notification.pk,
        "grant": grant.pk,
        "expired_grant": expired.pk,
        "pack": pack.pk,
        "expired_pack": expired_pack.pk,
        "provider_step": provider_step.pk,
        "provider_evidence": provider_photo.pk,
        "draft": str(draft.token),
        "problem": problem.reference,
        "category": Category.objects.get(organisation=mine, code="SAF.GEO.FOG").pk,
        "breach": Breach.objects.filter(incident=late).order_by("pk").values_list("pk", flat=True).first(),
        "source": source.pk,
        **response,
        # The department head's own unit, and another department.
        "unit_own": OrgUnit.objects.get(organisation=mine, code="mining").pk,
        "unit_other": OrgUnit.objects.get(organisation=mine, code="plant").pk,
    }


def respond_to(own, people) -> dict[str, int]:
    """The response to the cast's incident (adopted last, so nothing above is gated): a
    commander with a hand-over to the top waiting, a note, and a review with an action item."""
    adopt_response(tenant=own.organisation, actor="test").__class__.objects.filter(
        organisation=own.organisation
    ).update(review_severities=["sev1", "sev2", "sev3"])
    roles.assign_role(incident=own, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"])
    handover = roles.assign_role(
        incident=own, role=RoleKind.COMMANDER, holder=people["top"], actor=people["supervisor"]
    )
    note = notes.add_note(incident=own, actor=people["responsible"], text="Barricaded both ends.")
    moments.record_moment(incident=own, moment=Moment.RESOLVED, actor=people["responsible"])
    item = review.add_action_item(
        review=own.post_incident_review,
        actor=people["supervisor"],
        description="Re-scale the hanging wall",
        owner=people["responsible"],
        due_at=None,
    )
    return {"handover": handover.pk, "note": note.pk, "action_item": item.pk}
