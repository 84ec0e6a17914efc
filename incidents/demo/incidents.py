"""Demo incidents, so a person who runs `make run` finds work waiting: a fall of ground at
Shaft 2 that the responsible person (login `responsible`) has acknowledged and can work
through on its work page, and a vehicle–pedestrian near miss still waiting to be acknowledged."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.intake.services.assignment import plan_assignment
from incidents.models import Category, Incident, PoleEntity
from iwms.models import Organisation, User
from iwms.request_context import acting

SEED_ACTOR = "system:seed_demo"
DEMO_REPORTS = [
    {
        "category": "SAF.GEO.FOG",
        "title": "Fall of ground at Shaft 2, level 8 loading box",
        "narrative": "A slab of about half a metre fell from the hanging wall next to the loading box at Shaft 2, "
        "level 8, at the start of the shift. The crew of four was at the waiting place; nobody was injured. "
        "The area was barricaded and the shift boss was called.",
        "location": "Shaft 2, level 8, loading box",
        "severity": Severity.SEV2,
        "risk": RiskLevel.HIGH,
        "acknowledge": True,
        "pole": [("person", "Lerato Mabuza", "witness"), ("location", "Shaft 2, level 8 loading box", "scene")],
    },
    {
        "category": "SAF.VEH.PED",
        "title": "Loader reversed towards a pedestrian in the main drive",
        "narrative": "A loader reversed towards a worker walking in the main drive on level 6; the proximity "
        "warning sounded and the operator stopped about three metres away. Nobody was hurt.",
        "location": "Shaft 2, level 6, main drive",
        "severity": Severity.SEV3,
        "risk": RiskLevel.MEDIUM,
        "acknowledge": False,
        "pole": [("object", "Loader LHD-14", "vehicle involved")],
    },
]


def report_as_the_wizard_does(
    *,
    reporter: User,
    category: Category,
    title: str,
    narrative: str,
    location: str,
    severity: str,
    risk_level: str,
    occurred_at: datetime,
) -> Incident:
    """An urgent incident reported by `reporter`, routed by ARC and given its workflow, through
    the same services as the wizard's confirmation."""
    plan = plan_assignment(reporter=reporter, category=category, kind=IncidentKind.INCIDENT)
    incident = lifecycle.create_incident(
        tenant=reporter.organisation,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=category,
        title=title,
        narrative=narrative,
        location=location,
        severity=severity,
        risk_level=risk_level,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=occurred_at,
        owner=plan.owner,
        owner_position=plan.owner_position,
        responsible=plan.responsible,
        reporter=reporter,
        actor=reporter,
    )
    incident_workflows.start_incident_workflow(incident=incident, actor=reporter)
    return incident


def seed_demo_incidents(*, tenant: Organisation) -> list[Incident]:
    """Create the demo incidents once (by title), through the same services as the wizard."""
    reporter = User.objects.get(organisation=tenant, username="reporter")
    created = []
    with acting(SEED_ACTOR), transaction.atomic():
        for spec in DEMO_REPORTS:
            if Incident.objects.for_tenant(tenant).filter(title=spec["title"]).exists():
                continue
            category = Category.objects.get(organisation=tenant, code=spec["category"])
            incident = report_as_the_wizard_does(
                reporter=reporter,
                category=category,
                title=spec["title"],
                narrative=spec["narrative"],
                location=spec["location"],
                severity=spec["severity"],
                risk_level=spec["risk"],
                occurred_at=timezone.now() - timedelta(minutes=25),
            )
            for type_, name, role in spec["pole"]:
                PoleEntity(organisation=tenant, incident=incident, type=type_, name=name, role=role).save()
            if spec["acknowledge"]:
                incident = lifecycle.acknowledge_incident(incident=incident, actor=incident.responsible)
            created.append(incident)
    return created
