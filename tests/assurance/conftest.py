"""Fixtures of the assurance tests: the demo mine and a hand-built set of incidents whose
moments are set exactly, so each KPI's expected value can be worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from incidents.choices import IncidentKind, IncidentStatus, RiskLevel, Severity, SignalKind, Source, TimeSensitivity
from incidents.core.lifecycle import create_incidents, new_incident
from incidents.demo.builder import build_demo_tenant
from incidents.models import Breach, Category, Escalation, Incident, MaturitySignal
from iwms.models import User
from organogram.models import OrgUnit, Position

# The day the hand-built incidents are reported: far enough back that nothing else falls on it.
DAY = timezone.localdate() - timedelta(days=40)
MINUTE = timedelta(minutes=1)


def at_noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


@pytest.fixture
def mine(db):
    return build_demo_tenant(password="pw-demo-12345")


@pytest.fixture
def people(mine):
    return {u.username: u for u in User.objects.filter(organisation=mine)}


@pytest.fixture
def units(mine):
    return {u.code: u for u in OrgUnit.objects.filter(organisation=mine)}


@pytest.fixture
def report(mine, people):
    """`report(reported_at, occurred_before, **fields)`: one incident written as the services
    write it, owned by the Mining Manager (unit "mining") unless told otherwise."""
    category = Category.objects.get(organisation=mine, code="SAF.GEO.FOG")

    def make(reported_at: datetime, occurred_before: timedelta, **overrides) -> Incident:
        fields = dict(
            kind=IncidentKind.INCIDENT,
            source=Source.MANUAL,
            category=category,
            title="Loose rock at the loading box",
            narrative="A slab fell from the hanging wall near the loading box.",
            location="Shaft 2, level 8",
            severity=Severity.SEV2,
            risk_level=RiskLevel.HIGH,
            time_sensitivity=TimeSensitivity.URGENT,
            occurred_at=reported_at - occurred_before,
            owner=people["depthead"],
            owner_position=Position.objects.get(organisation=mine, code="mining-manager"),
            responsible=people["responsible"],
            reporter=people["reporter"],
        )
        fields.update(overrides)
        return create_incidents(tenant=mine, incidents=[new_incident(tenant=mine, now=reported_at, **fields)])[0]

    return make


def set_moments(incident: Incident, **fields) -> None:
    """Test data only: place an incident's moments exactly (the services stamp `now`)."""
    Incident.objects.filter(pk=incident.pk).update(**fields)


@pytest.fixture
def hand_built(mine, people, report, units):
    """Four incidents reported at noon on DAY, in unit "mining" (worked out in test_kpis.py):

    A  SEV-2 incident       occurred 30 min before; acknowledged +10, contained +40, closed +5 h;
                             one breach; one escalation acknowledged after 20 min.
    B  SEV-2 incident       occurred 10 min before; acknowledged +20; reopened once, in progress;
                             one escalation not acknowledged.
    C  SEV-3 incident       occurred 60 min before; open.
    D  SEV-3 work activity  occurred 20 min before; acknowledged +30, closed +3 h; maturity
                             signals: escalation reached the top, organogram mismatch.
    """
    noon = at_noon(DAY)
    a = report(noon, 30 * MINUTE)
    b = report(noon, 10 * MINUTE)
    c = report(noon, 60 * MINUTE, severity=Severity.SEV3)
    d = report(noon, 20 * MINUTE, severity=Severity.SEV3, kind=IncidentKind.WORK_ACTIVITY)
    set_moments(
        a,
        status=IncidentStatus.CLOSED,
        acknowledged_at=noon + 10 * MINUTE,
        contained_at=noon + 40 * MINUTE,
        closed_at=noon + timedelta(hours=5),
    )
    set_moments(b, status=IncidentStatus.IN_PROGRESS, acknowledged_at=noon + 20 * MINUTE, reopened_count=1)
    set_moments(
        d, status=IncidentStatus.CLOSED, acknowledged_at=noon + 30 * MINUTE, closed_at=noon + timedelta(hours=3)
    )
    Breach.objects.create(
        organisation=mine,
        incident=a,
        clock="acknowledge",
        due_at=noon + 5 * MINUTE,
        breached_at=noon + 5 * MINUTE,
        severity=Severity.SEV2,
    )
    supervisor = Position.objects.get(organisation=mine, code="mine-overseer")
    for incident, lag in ((a, 20 * MINUTE), (b, None)):
        Escalation.objects.create(
            organisation=mine,
            incident=incident,
            level=1,
            to_person=people["supervisor"],
            to_position=supervisor,
            reason="Not acknowledged in time.",
            escalated_at=noon + MINUTE,
            acknowledged_at=noon + MINUTE + lag if lag else None,
            acknowledged_by=people["supervisor"] if lag else None,
            ack_lag=lag,
        )
    for kind in (SignalKind.ESCALATED_TO_TOP, SignalKind.ORGANOGRAM_MISMATCH):
        MaturitySignal.objects.create(organisation=mine, unit=units["mining"], kind=kind, incident=d, detail="test")
    return {"a": a, "b": b, "c": c, "d": d}
