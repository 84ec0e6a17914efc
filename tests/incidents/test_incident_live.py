"""The incident page's live panel (polled by HTMX: status, deadlines, escalation, timeline)
and the severity change on the page: anonymous, another tenant, the people concerned, HTMX
and plain requests, refusals audited, and a query budget that does not grow with the chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.choices import IncidentStatus, Severity, SystemReason
from incidents.models import Incident
from iwms.models import AuditEvent, User
from tests.incidents.test_sweep import sweep_at

# The same with no escalation and with a whole chain stopped at the top: it does not grow.
LIVE_QUERY_BUDGET = 16


@pytest.fixture
def outsider(mine):
    from incidents.demo.builder import build_second_tenant

    build_second_tenant(password="pw-demo-12345")
    return User.objects.get(username="karoo.md")


def overdue(incident):
    sweep_at(incident.resolve_due_at + timedelta(seconds=1))
    return Incident.objects.get(pk=incident.pk)


def failure_of(incident):
    return Incident.objects.get(parent=incident, system_reason=SystemReason.OVERDUE)


def live(client, incident):
    return client.get(reverse("incident_live", args=[incident.reference]), HTTP_HX_REQUEST="true")


# --- the live panel -----------------------------------------------------------------------------


def test_a_poll_without_a_session_gets_nothing_to_swap(client, make_incident):
    incident = make_incident()
    assert live(client, incident).status_code == 204
    response = client.get(reverse("incident_live", args=[incident.reference]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_tenant_and_an_unrelated_person_get_404(client, make_incident, outsider, people):
    incident = make_incident()
    client.force_login(outsider)
    assert live(client, incident).status_code == 404
    client.force_login(people["custodian"])
    assert live(client, incident).status_code == 404


def test_the_page_polls_its_live_panel_while_the_incident_is_open(client, make_incident, people):
    incident = make_incident()
    client.force_login(people["responsible"])
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert f'hx-get="/incidents/{incident.reference}/live/"' in page
    assert 'hx-trigger="every 10s"' in page and 'id="incident-timeline"' in page
    assert 'data-testid="not-escalated"' in page


def test_the_live_fragment_is_the_panel_and_the_timeline_out_of_band(client, make_incident, people):
    incident = make_incident()
    client.force_login(people["supervisor"])
    response = live(client, incident)
    body = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert body.startswith('<section id="incident-live"') and "<html" not in body
    assert '<section id="incident-timeline" aria-labelledby="timeline-heading" hx-swap-oob="true">' in body
    assert "Created" in body or "create" in body


def test_each_escalation_level_appears_in_the_panel_up_to_the_stop_at_the_top(
    client, make_incident, people, django_assert_max_num_queries
):
    original = make_incident(severity=Severity.SEV1)
    client.force_login(people["supervisor"])
    with django_assert_max_num_queries(LIVE_QUERY_BUDGET):
        live(client, original)

    level_1 = failure_of(overdue(original))
    body = live(client, original).content.decode()
    assert 'data-testid="escalation-level-1"' in body and "Pieter Botha" in body and level_1.reference in body
    assert 'data-testid="escalation-level-2"' not in body
    assert "Escalated to level 1 (supervisor)" in body  # the timeline, out of band
    assert 'data-testid="breached"' in body

    level_2 = failure_of(overdue(level_1))
    level_3 = failure_of(overdue(level_2))
    overdue(level_3)
    with django_assert_max_num_queries(LIVE_QUERY_BUDGET):
        body = live(client, original).content.decode()
    for level, name in ((1, "Pieter Botha"), (2, "Nomvula Khumalo"), (3, people["top"].get_full_name())):
        assert f'data-testid="escalation-level-{level}"' in body and name in body
    assert level_2.reference in body and level_3.reference in body
    assert 'data-testid="escalation-stopped"' in body and "maturity signal" in body
    assert "Escalation stopped at the top of the hierarchy" in body


def test_a_closed_incident_stops_polling(client, make_incident, people):
    incident = make_incident()
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    client.force_login(people["responsible"])
    body = live(client, incident).content.decode()
    assert 'id="incident-live"' in body and "hx-trigger" not in body


# --- the severity change ----------------------------------------------------------------------------


def change(client, incident, htmx=True, **data):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("incident_severity", args=[incident.reference]), data, **headers)


def test_the_owner_raises_the_severity_and_sees_the_recomputed_deadlines(client, make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    client.force_login(people["depthead"])
    response = change(client, incident, severity="sev1", reason="A second slab fell in the same drive.")
    body = response.content.decode()
    stored = Incident.objects.get(pk=incident.pk)
    assert response.status_code == 200 and stored.severity == Severity.SEV1
    assert stored.resolve_due_at == incident.reported_at + timedelta(hours=1)
    assert body.startswith('<article id="severity-panel"') and 'data-testid="severity-changed"' in body
    assert "Severity is now SEV-1" in body
    # The live panel and the timeline come along out of band.
    assert body.count('hx-swap-oob="true"') == 2 and 'data-testid="incident-severity">SEV-1<' in body
    assert "Severity SEV-3 → SEV-1: A second slab fell in the same drive." in body
    event = AuditEvent.objects.filter(object_id=str(incident.pk), action="update").latest("seq")
    assert event.actor == people["depthead"] and event.changes["severity"] == ["sev3", "sev1"]


def test_a_missing_reason_is_refused_next_to_the_field(client, make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    client.force_login(people["responsible"])
    response = change(client, incident, severity="sev1", reason="")
    body = response.content.decode()
    assert response.status_code == 422 and 'id="id_reason-error"' in body
    assert "Say why the severity changes." in body
    assert Incident.objects.get(pk=incident.pk).severity == Severity.SEV3


def test_the_same_severity_is_refused_with_the_service_message(client, make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    client.force_login(people["supervisor"])
    response = change(client, incident, severity="sev3", reason="Checked again after the inspection.")
    assert response.status_code == 422 and "The severity already is SEV-3." in response.content.decode()
    assert AuditEvent.objects.filter(changes__code="validation.invalid", actor=people["supervisor"]).exists()


def test_without_htmx_the_change_redirects_back_to_the_page_with_a_message(client, make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    client.force_login(people["top"])  # above the responsible person in the organogram
    response = change(client, incident, htmx=False, severity="sev2", reason="Production at the shaft is stopped.")
    assert response.status_code == 302 and response["Location"] == reverse("incident_detail", args=[incident.reference])
    page = client.get(response["Location"]).content.decode()
    assert "Severity changed to SEV-2" in page
    bad = change(client, incident, htmx=False, severity="sev1", reason="short")
    assert (
        bad.status_code == 422 and "<html" in bad.content.decode() and "at least 10 characters" in bad.content.decode()
    )


def test_the_reporter_sees_the_form_greyed_out_with_the_reason_and_is_refused(client, make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    client.force_login(people["reporter"])
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert "<fieldset disabled" in page and 'data-testid="severity-why"' in page
    assert "or those above Sipho Dlamini in the organogram change the severity" in page
    response = change(client, incident, severity="sev1", reason="It is worse than the report says.")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(changes__code="access_denied", actor=people["reporter"]).exists()
    assert Incident.objects.get(pk=incident.pk).severity == Severity.SEV3


def test_a_closed_incident_keeps_its_severity(client, make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    client.force_login(people["depthead"])
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert "A closed incident keeps its severity." in page and "<fieldset disabled" in page
    assert change(client, incident, severity="sev1", reason="Reassessed after closure.").status_code == 409


def test_severity_change_is_anonymous_proof_and_tenant_proof(client, make_incident, outsider):
    incident = make_incident(severity=Severity.SEV3)
    response = change(client, incident, htmx=False, severity="sev1", reason="It is worse than reported.")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(outsider)
    assert change(client, incident, severity="sev1", reason="It is worse than reported.").status_code == 404
    assert Incident.objects.get(pk=incident.pk).severity == Severity.SEV3


def test_owner_responsible_and_everyone_above_the_responsible_person_may_change_the_severity(make_incident, people):
    from incidents.core.policy import may_change_severity

    incident = make_incident(owner=people["top"], owner_position=people["top"].assignments.first().position)
    allowed = {name: bool(may_change_severity(people[name], incident)) for name in people}
    assert {name for name, yes in allowed.items() if yes} >= {"top", "responsible", "supervisor", "depthead"}
    assert not allowed["reporter"] and not allowed["custodian"] and not allowed["auditor"]
