"""Events from a detection source: a trigger creates an incident through the intake service
with the source anchor; the same dedup key attaches occurrences; after closure it opens a new
incident linked to the old one; thresholds hold, rules suppress; acknowledge and resolve are
recorded; every event is kept and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.choices import IncidentStatus, Severity, Source
from incidents.integrations.choices import EventOutcome
from incidents.integrations.models import SourceEvent
from incidents.integrations.services.events import EventInput, receive_event
from incidents.integrations.services.sources import add_rule, pause_source
from incidents.models import Incident
from iwms.choices import AuditAction
from iwms.models import AuditEvent
from tests.integrations.conftest import trigger
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


def test_a_trigger_creates_an_incident_with_the_source_anchor_owner_and_workflow(api, radam, underground):
    source, _ = radam
    response = trigger(api, severity="critical", location="Shaft 2, level 8")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["outcome"] == "created" and body["occurrences"] == 1
    incident = Incident.objects.get(reference=body["incident"])
    assert incident.source == Source.RADAM
    assert incident.source_reference == "radam-shaft-2:radam-s2-l8-001"
    assert incident.severity == Severity.SEV1 and incident.unit == underground
    assert incident.reporter == source.account and incident.owner is not None
    assert WorkflowRun.objects.filter(subject_type="incidents.incident", subject_id=str(incident.pk)).exists()
    kept = SourceEvent.objects.get(pk=body["event"])
    assert kept.body["summary"] == "Seismic event near Shaft 2 level 8" and kept.incident == incident
    audit = AuditEvent.objects.filter(object_id=str(incident.pk), action=AuditAction.IDENTIFY).get()
    assert audit.changes["source"] == "radam-shaft-2" and audit.actor_kind == "integration"


def test_the_same_dedup_key_attaches_counted_occurrences_to_the_open_incident(api):
    first = trigger(api).json()
    answers = [trigger(api, summary=f"Aftershock {n}").json() for n in range(3)]
    assert {a["incident"] for a in answers} == {first["incident"]}
    assert [a["outcome"] for a in answers] == ["attached"] * 3
    assert [a["occurrences"] for a in answers] == [2, 3, 4]
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    on_timeline = AuditEvent.objects.filter(object_id=str(incident.pk), action=AuditAction.IDENTIFY)
    assert on_timeline.count() == 4
    assert "Occurrence 4" in on_timeline.order_by("seq").last().message


def test_another_dedup_key_is_another_incident(api):
    assert trigger(api, "a").json()["incident"] != trigger(api, "b").json()["incident"]


def test_after_closure_the_same_key_opens_a_new_incident_linked_to_the_old(api, radam):
    first = Incident.objects.get(reference=trigger(api).json()["incident"])
    # Closure itself is the supervisor's decision (tested in tests/incidents); here only its outcome matters.
    Incident.objects.filter(pk=first.pk).update(status=IncidentStatus.CLOSED)
    answer = trigger(api).json()
    assert answer["outcome"] == "created" and answer["recurrence_of"] == first.reference
    assert answer["incident"] != first.reference and answer["occurrences"] == 1
    links = AuditEvent.objects.filter(action=AuditAction.LINK)
    assert links.get(object_id=str(first.pk)).changes["recurred_as"] == answer["incident"]


def test_a_threshold_holds_events_until_enough_arrive_within_the_window(api, radam, admin):
    source, _ = radam
    add_rule(source=source, actor=admin, threshold_count=3, threshold_window_seconds=300)
    outcomes = [trigger(api).json() for _ in range(3)]
    assert [o["outcome"] for o in outcomes] == ["held", "held", "created"]
    incident = Incident.objects.get(reference=outcomes[2]["incident"])
    assert outcomes[2]["occurrences"] == 3
    assert sorted(SourceEvent.objects.filter(incident=incident).values_list("occurrence", flat=True)) == [1, 2, 3]


def test_held_events_outside_the_window_do_not_count(radam, admin):
    source, _ = radam
    add_rule(source=source, actor=admin, threshold_count=2, threshold_window_seconds=60)
    event = EventInput(action="trigger", dedup_key="k", body={}, summary="x")
    assert receive_event(source=source, event=event, actor=source.account).event.outcome == EventOutcome.HELD
    SourceEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert receive_event(source=source, event=event, actor=source.account).event.outcome == EventOutcome.HELD


def test_rules_map_severity_and_suppress_by_payload(api, radam, admin):
    source, _ = radam
    add_rule(source=source, actor=admin, order=1, match_field="zone", match_value="test-bench", suppress=True)
    add_rule(source=source, actor=admin, order=2, match_event_type="rockburst", severity=Severity.SEV1)
    suppressed = trigger(api, "t1", payload={"zone": "test-bench"}).json()
    assert suppressed["outcome"] == "suppressed" and suppressed["incident"] is None
    mapped = trigger(api, "t2", event_type="rockburst", severity="info").json()
    assert Incident.objects.get(reference=mapped["incident"]).severity == Severity.SEV1
    assert SourceEvent.objects.filter(outcome=EventOutcome.SUPPRESSED).count() == 1


def test_a_paused_source_keeps_and_audits_events_but_creates_nothing(api, radam, admin):
    source, _ = radam
    pause_source(source=source, actor=admin, until=timezone.now() + timedelta(hours=1))
    answer = trigger(api).json()
    assert answer["outcome"] == "suppressed" and not Incident.objects.exists()
    kept = SourceEvent.objects.get(pk=answer["event"])
    assert AuditEvent.objects.filter(object_type="integrations.sourceevent", object_id=str(kept.pk)).exists()


def test_acknowledge_and_resolve_are_recorded_on_the_incident_without_moving_it(api):
    reference = trigger(api).json()["incident"]
    ack = api.post("/api/v1/events/", {"action": "acknowledge", "dedup_key": "radam-s2-l8-001"}, format="json")
    resolved = api.post("/api/v1/events/", {"action": "resolve", "dedup_key": "radam-s2-l8-001"}, format="json")
    assert (ack.json()["outcome"], resolved.json()["outcome"]) == ("acknowledged", "resolved")
    incident = Incident.objects.get(reference=reference)
    assert incident.status == IncidentStatus.OPEN  # the lifecycle is the people's, not the source's
    messages = AuditEvent.objects.filter(object_id=str(incident.pk), action=AuditAction.IDENTIFY).values_list(
        "message", flat=True
    )
    assert any("acknowledged" in m for m in messages) and any("reports resolved" in m for m in messages)


def test_resolve_of_an_unknown_key_is_kept_as_ignored(api):
    answer = api.post("/api/v1/events/", {"action": "resolve", "dedup_key": "nothing"}, format="json").json()
    assert answer["outcome"] == "ignored" and answer["incident"] is None


def test_a_trigger_without_a_key_gets_one_back(api):
    answer = api.post("/api/v1/events/", {"summary": "Camera 14 offline"}, format="json").json()
    assert len(answer["dedup_key"]) == 32 and answer["outcome"] == "created"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "trigger", "dedup_key": "k"}, "summary"),
        ({"action": "acknowledge"}, "dedup_key"),
        ({"summary": "x", "severity": "apocalyptic"}, "severity"),
        ({"summary": "x", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"summary": "x", "payload": ["not", "an", "object"]}, "payload"),
        ({"summary": "x" * 201}, "summary"),
    ],
)
def test_a_rejected_event_names_the_field_at_fault_and_is_audited(api, radam, body, field):
    response = api.post("/api/v1/events/", body, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation.invalid" and error["kind"] == "input"
    assert error["context"]["field"] == field
    assert AuditEvent.objects.filter(action=AuditAction.INPUT_REFUSED, changes__field=field).exists()
    assert not SourceEvent.objects.exists()


def test_an_event_larger_than_the_bound_is_refused(api, settings):
    settings.IWMS_API_EVENT_MAX_BYTES = 500
    response = trigger(api, payload={"blob": "x" * 1000})
    assert response.status_code == 422
    assert response.json()["error"]["context"]["field"] == "payload"
