"""The demo's escalation drill: `seed_demo` leaves an incident on a fast clock that, swept
every minute as beat does after `make run`, escalates by itself to the supervisor, the
department head and the top, then stops with a maturity signal, each step on the original
incident's timeline and in a verifiable ledger. Production targets stay untouched."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from incidents.choices import SignalKind, SystemReason
from incidents.demo.drill import CATEGORY_CODE, DRILL_TITLE, POLICY_CODE, seed_escalation_drill
from incidents.models import Category, Escalation, Incident, MaturitySignal, SlaPolicy
from iwms.audit import verify_chain
from iwms.models import AuditEvent, Organisation
from tests.incidents.test_sweep import sweep_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def drill(seeded):
    return Incident.objects.select_related("category__sla_policy").get(title=DRILL_TITLE)


def test_seed_demo_leaves_a_drill_incident_due_in_minutes(seeded, drill):
    assert f"escalation drill {drill.reference}" in seeded
    assert drill.status == "open" and drill.responsible.username == "responsible"
    assert drill.owner.username == "depthead"
    assert drill.category.code == CATEGORY_CODE and drill.category.sla_policy.code == POLICY_CODE
    assert drill.ack_due_at - drill.reported_at == timedelta(minutes=1)
    assert drill.resolve_due_at - drill.reported_at == timedelta(minutes=2)


def test_the_fast_clock_is_the_drills_alone(drill):
    mine = drill.organisation
    assert Category.objects.filter(organisation=mine, sla_policy__code=POLICY_CODE).count() == 1
    standard = SlaPolicy.objects.get(organisation=mine, is_default=True)
    assert (standard.sev2_ack_minutes, standard.sev2_resolve_minutes) == (15, 240)
    assert Category.objects.get(organisation=mine, code="SAF.GEO.FOG").sla_policy is None
    assert not SlaPolicy.objects.filter(organisation__slug="karoo-traders", code=POLICY_CODE).exists()


def test_the_drill_is_seeded_once(drill):
    assert seed_escalation_drill(tenant=drill.organisation) is None
    call_command("seed_demo", stdout=StringIO())
    assert Incident.objects.filter(title=DRILL_TITLE).count() == 1


def test_swept_every_minute_the_drill_escalates_by_itself_to_the_top_and_stops(drill):
    start = drill.reported_at
    for minute in range(1, 16):
        sweep_at(start + timedelta(minutes=minute, seconds=5))
    chain = list(Escalation.objects.select_related("to_person").order_by("level"))
    assert [(e.level, e.to_person.username) for e in chain] == [(1, "supervisor"), (2, "depthead"), (3, "top")]
    # One level each time the item escalated to goes overdue: two minutes apart on the fast clock.
    assert [e.escalated_at - start for e in chain] == [timedelta(minutes=m, seconds=5) for m in (2, 4, 6)]
    failures = Incident.objects.filter(system_reason=SystemReason.OVERDUE).select_related("category")
    assert failures.count() == 3 and {f.category.code for f in failures} == {CATEGORY_CODE}
    signal = MaturitySignal.objects.get(kind=SignalKind.ESCALATED_TO_TOP)
    assert signal.incident == drill and signal.created_at is not None

    steps = list(
        AuditEvent.objects.filter(object_id=str(drill.pk), object_type="incidents.incident", action="escalate")
        .order_by("seq")
        .values_list("message", flat=True)
    )
    assert [m.split(":")[0] for m in steps] == [
        "Escalated to level 1 (supervisor)",
        "Escalated to level 2 (department head)",
        "Escalated to level 3 (top of the hierarchy)",
        "Escalation stopped at the top of the hierarchy",
    ]
    assert verify_chain(Organisation.objects.get(pk=drill.organisation_id)).ok
