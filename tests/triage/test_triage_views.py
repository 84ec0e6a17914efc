"""The triage pages: the proposal shown without a script, the triage recorded from the page, a
bad rationale answered next to its field, and list pages whose queries do not grow with rows."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from incidents.choices import ClockKind, Severity
from incidents.models import Breach
from incidents.triage.models import TriageRecord

SCORES = {"confidence": "3", "blast_radius": "2", "asset_criticality": "3", "business_impact": "1", "urgency": "2"}


def test_the_page_shows_the_proposal_then_records_the_choice(client, make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    client.force_login(people["responsible"])
    url = reverse("triage_incident", args=[incident.reference])
    proposed = client.post(url, {**SCORES, "propose": "1"})
    assert proposed.status_code == 200
    assert "The matrix proposes SEV-2 and P2." in proposed.content.decode()
    short = client.post(url, {**SCORES, "severity": "sev2", "priority": "p2", "rationale": "ok"})
    assert short.status_code == 422 and "at least 10 characters" in short.content.decode()
    done = client.post(url, {**SCORES, "severity": "sev2", "priority": "p2", "rationale": "Key conveyor stopped."})
    assert done.status_code == 302
    assert TriageRecord.objects.get(incident=incident).followed_proposal
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert "priority <strong>P2</strong>" in page


def test_triage_home_queries_do_not_grow_with_rows(client, make_incident, people, django_assert_max_num_queries):
    client.force_login(people["depthead"])
    make_incident()
    with django_assert_max_num_queries(30) as few:
        assert client.get(reverse("triage_home")).status_code == 200
    for _ in range(4):
        incident = make_incident()
        now = timezone.now()
        Breach.objects.create(
            organisation_id=incident.organisation_id,
            incident=incident,
            clock=ClockKind.ACKNOWLEDGE,
            due_at=now - timedelta(minutes=9),
            breached_at=now - timedelta(minutes=5),
            severity="sev2",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("triage_home"))
    assert page.content.decode().count('data-testid="review-breach"') == 4
    with django_assert_max_num_queries(12):
        trend = client.get(reverse("breach_trend"))
    assert trend.status_code == 200 and "<svg" in trend.content.decode()


def test_the_triage_rows_are_read_only_in_the_admin(client, mine):
    from incidents.demo.builder import build_platform_admin

    client.force_login(build_platform_admin(password="pw-admin-12345"))
    for name in ("triagesettings", "triagerecord", "reprioritisationrequest", "decisiontree", "breachreview"):
        assert client.get(reverse(f"admin:triage_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:triage_triagerecord_add")).status_code == 403
