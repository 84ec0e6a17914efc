"""A few weeks of varied incidents in the demo mine, for pages worth looking at: reported day
by day in Mining and the Processing Plant, with acknowledgements, containment, closures,
breaches and escalations placed deterministically (test data: moments set directly)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from incidents.choices import IncidentKind, IncidentStatus, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core.lifecycle import create_incidents, new_incident
from incidents.models import Breach, Category, Escalation, Incident
from iwms.models import Organisation, User
from organogram.models import Position


def spread_history(tenant: Organisation, *, days: int = 60, seed: int = 5) -> int:
    rng = random.Random(seed)
    people = {u.username: u for u in User.objects.filter(organisation=tenant)}
    owners = [
        (people["depthead"], Position.objects.get(organisation=tenant, code="mining-manager")),
        (people["mnaidoo"], Position.objects.get(organisation=tenant, code="plant-manager")),
    ]
    categories = list(Category.objects.filter(organisation=tenant, code__startswith="SAF.")[:6])
    supervisor = Position.objects.get(organisation=tenant, code="mine-overseer")
    built = []
    today = timezone.localdate()
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        for _ in range(rng.randint(1, 4)):
            reported = timezone.make_aware(datetime.combine(day, time(rng.randint(6, 20), rng.randint(0, 59))))
            owner, position = rng.choice(owners)
            built.append(
                new_incident(
                    tenant=tenant,
                    now=reported,
                    kind=rng.choice([IncidentKind.INCIDENT, IncidentKind.INCIDENT, IncidentKind.WORK_ACTIVITY]),
                    source=Source.MANUAL,
                    category=rng.choice(categories),
                    title=f"Observation {len(built) + 1}",
                    narrative="Recorded for the assurance dashboard's history.",
                    location="Shaft 2",
                    severity=rng.choice([Severity.SEV2, Severity.SEV3, Severity.SEV3, Severity.SEV4]),
                    risk_level=RiskLevel.MEDIUM,
                    time_sensitivity=TimeSensitivity.PROMPT,
                    occurred_at=reported - timedelta(minutes=rng.randint(2, 90)),
                    owner=owner,
                    owner_position=position,
                    responsible=people["responsible"],
                    reporter=people["reporter"],
                )
            )
    incidents = create_incidents(tenant=tenant, incidents=built)
    for incident in incidents:
        start = incident.reported_at
        moments: dict = {"acknowledged_at": start + timedelta(minutes=rng.randint(3, 90))}
        moments["status"] = IncidentStatus.IN_PROGRESS
        if rng.random() < 0.7:
            moments["contained_at"] = start + timedelta(minutes=rng.randint(20, 240))
        if rng.random() < 0.75:
            moments.update(status=IncidentStatus.CLOSED, closed_at=start + timedelta(hours=rng.randint(2, 80)))
        Incident.objects.filter(pk=incident.pk).update(**moments)
        if rng.random() < 0.2:
            Breach.objects.create(
                organisation=tenant,
                incident=incident,
                clock="acknowledge",
                due_at=start,
                breached_at=start,
                severity=incident.severity,
            )
        if rng.random() < 0.15:
            lag = timedelta(minutes=rng.randint(5, 60))
            Escalation.objects.create(
                organisation=tenant,
                incident=incident,
                level=1,
                to_person=people["supervisor"],
                to_position=supervisor,
                reason="Not acknowledged in time.",
                escalated_at=start,
                acknowledged_at=start + lag,
                acknowledged_by=people["supervisor"],
                ack_lag=lag,
            )
    return len(incidents)
