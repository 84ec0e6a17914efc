"""The managers' incident list and its CSV export: who may use it and who sees which incident
(the one visibility rule, `incidents_visible_to`, shared with the incident page), filters
kept in the query string, search, pages that survive bad numbers, the export of exactly the
filtered rows, and query budgets that do not grow with the rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.choices import IncidentStatus, Severity
from incidents.core.lifecycle import create_incidents, new_incident
from incidents.demo.builder import build_second_tenant
from incidents.models import Category, Escalation, Incident
from iwms.models import User
from organogram.models import OrgUnit, Position

LIST = reverse("managed_incidents")
CSV = reverse("managed_incidents_csv")


def listed(response) -> list[str]:
    body = response.content.decode()
    return [chunk.split('"', 1)[0] for chunk in body.split('data-testid="managed-row" data-reference="')[1:]]


def exported(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def many(mine, fall_of_ground, people):
    """`many(n, **fields)`: n incidents written in one batch, as the demo's volume seeding does."""

    def make(count: int, **overrides) -> list[Incident]:
        fields = dict(
            kind="incident",
            source="manual",
            category=fall_of_ground,
            narrative="A slab fell from the hanging wall near the loading box.",
            location="Shaft 2, level 8",
            severity=Severity.SEV3,
            risk_level="medium",
            time_sensitivity="prompt",
            occurred_at=timezone.now() - timedelta(hours=1),
            owner=people["depthead"],
            owner_position=Position.objects.get(code="mining-manager"),
            responsible=people["responsible"],
            reporter=people["reporter"],
        )
        fields.update(overrides)
        title = fields.pop("title", "Loose rock")
        built = [new_incident(tenant=mine, title=f"{title} {n}", **fields) for n in range(count)]
        return create_incidents(tenant=mine, incidents=built)

    return make


# --- who may use it, who sees what -----------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for url in (LIST, CSV):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_header_links_it_for_managers_only_and_others_are_refused(client, people, many):
    many(1)
    for username in ("supervisor", "depthead", "top", "admin"):
        client.force_login(people[username])
        home = client.get(reverse("home")).content.decode()
        assert 'data-testid="nav-managed-incidents"' in home, username
        assert client.get(LIST).status_code == 200, username
    for username in ("reporter", "auditor"):
        client.force_login(people[username])
        assert 'data-testid="nav-managed-incidents"' not in client.get(reverse("home")).content.decode()
        for url in (LIST, CSV):
            response = client.get(url)
            assert response.status_code == 403, (username, url)


def test_managers_see_what_the_incident_page_lets_them_open_and_no_more(client, people, many, mine):
    """The supervisor and everyone above the responsible person see the incident; a manager
    of another department does not (neither in the list nor on its page); what escalated to
    that manager, they see; another tenant's people see nothing."""
    (ours,) = many(1, title="Slab fall")
    hr_manager = people["mdube"]
    for username in ("supervisor", "depthead", "top"):
        client.force_login(people[username])
        assert listed(client.get(LIST)) == [ours.reference], username
        assert client.get(reverse("incident_detail", args=[ours.reference])).status_code == 200

    client.force_login(hr_manager)
    assert listed(client.get(LIST)) == []
    assert client.get(reverse("incident_detail", args=[ours.reference])).status_code == 404

    Escalation.objects.create(
        organisation=mine,
        incident=ours,
        level=1,
        to_person=hr_manager,
        to_position=Position.objects.get(code="hr-manager"),
        reason="Not acknowledged in time",
        escalated_at=timezone.now(),
        ack_due_at=timezone.now() + timedelta(hours=1),
    )
    assert listed(client.get(LIST)) == [ours.reference]
    assert client.get(reverse("incident_detail", args=[ours.reference])).status_code == 200

    other = build_second_tenant(password="pw-other-12345")
    stranger = User.objects.filter(organisation=other).first()
    client.force_login(stranger)
    assert ours.reference not in client.get(LIST).content.decode()
    assert client.get(reverse("incident_detail", args=[ours.reference])).status_code == 404


# --- filters, search, pages ------------------------------------------------------------------


def test_every_filter_narrows_the_list_and_stays_in_the_links(client, people, many, mine):
    client.force_login(people["top"])
    many(2, title="Loose rock")
    (severe,) = many(1, title="Pillar collapse", severity=Severity.SEV1)
    spill = Category.objects.get(organisation=mine, code="ENV.SPILL.CHEM")
    (spilled,) = many(1, title="Acid spill", category=spill)
    (other_owner,) = many(1, title="Plant fire", owner=people["top"], owner_position=Position.objects.get(code="gm"))
    (old,) = many(1, title="Old rockfall")
    Incident.objects.filter(pk=old.pk).update(reported_at=timezone.now() - timedelta(days=40))
    (late,) = many(1, title="Late barricade")
    Incident.objects.filter(pk=late.pk).update(resolve_due_at=timezone.now() - timedelta(hours=2))
    (closed,) = many(1, title="Closed case")
    Incident.objects.filter(pk=closed.pk).update(
        status=IncidentStatus.CLOSED, resolve_due_at=timezone.now() - timedelta(hours=2)
    )

    assert listed(client.get(LIST, {"severity": "sev1"})) == [severe.reference]
    assert listed(client.get(LIST, {"category": spill.pk})) == [spilled.reference]
    assert listed(client.get(LIST, {"owner": people["top"].pk})) == [other_owner.reference]
    assert listed(client.get(LIST, {"unit": OrgUnit.objects.get(code="mine").pk})) == [other_owner.reference]
    assert listed(client.get(LIST, {"status": "closed"})) == [closed.reference]
    assert listed(client.get(LIST, {"overdue": "on"})) == [late.reference]
    assert len(listed(client.get(LIST, {"responsible": people["responsible"].pk}))) == 8
    assert old.reference not in listed(client.get(LIST, {"reported_from": (timezone.localdate() - timedelta(days=1))}))
    day = timezone.localdate(timezone.now() - timedelta(days=40))
    assert listed(client.get(LIST, {"reported_from": day, "reported_to": day})) == [old.reference]
    # Search: a reference, or words of the title, any case.
    assert listed(client.get(LIST, {"q": spilled.reference.lower()})) == [spilled.reference]
    assert listed(client.get(LIST, {"q": "PILLAR"})) == [severe.reference]
    # Filters combine, and the pages keep them.
    many(30, title="Rock burst", severity=Severity.SEV2)
    response = client.get(LIST, {"severity": "sev2", "q": "burst"})
    assert len(listed(response)) == 25
    body = response.content.decode()
    assert "severity=sev2&amp;q=burst&amp;page=2" in body
    assert len(listed(client.get(LIST, {"severity": "sev2", "q": "burst", "page": 2}))) == 5


def test_bad_filter_values_are_reported_next_to_their_field_and_the_others_still_apply(client, people, many):
    client.force_login(people["top"])
    (severe,) = many(1, title="Pillar collapse", severity=Severity.SEV1)
    many(1, title="Loose rock")
    response = client.get(LIST, {"category": "abc", "severity": "sev1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a whole number." in body
    assert listed(response) == [severe.reference]
    response = client.get(LIST, {"unit": 999999999, "reported_from": "2026-05-02", "reported_to": "2026-05-01"})
    body = response.content.decode()
    assert "That choice is not one of the available choices" in body
    assert "The end date is before the start date." in body
    response = client.get(LIST, {"responsible": people["supervisor"].pk})  # responsible for none of them
    assert "That choice is not one of the available choices" in response.content.decode()
    assert client.get(LIST, {"reported_from": "not a date"}).status_code == 200
    assert client.get(LIST, {"q": "x" * 5000}).status_code == 200


def test_any_page_number_gives_a_page(client, people, many):
    client.force_login(people["top"])
    many(30)
    for page, rows in [("10000000000000000000000", 5), ("-1", 5), ("0", 5), ("abc", 25), ("1e22", 25), ("", 25)]:
        response = client.get(LIST, {"page": page})
        assert response.status_code == 200, page
        assert len(listed(response)) == rows, page
    for page in ("2.5", "9" * 400):
        assert client.get(LIST, {"page": page}).status_code == 200, page


def test_htmx_gets_the_results_fragment(client, people, many):
    client.force_login(people["top"])
    many(2)
    response = client.get(LIST, {"q": "rock"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="managed-list"') and "<html" not in body
    assert len(listed(response)) == 2


# --- the export ------------------------------------------------------------------------------


def test_the_csv_holds_exactly_the_filtered_rows_on_every_page(client, people, many):
    client.force_login(people["top"])
    burst = many(30, title="Rock burst", severity=Severity.SEV2)
    many(3, title="Loose rock", severity=Severity.SEV3)
    Incident.objects.filter(pk=burst[0].pk).update(resolve_due_at=timezone.now() - timedelta(hours=1))
    response = client.get(CSV, {"severity": "sev2", "q": "burst"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = exported(response)
    assert sorted(row["reference"] for row in rows) == sorted(i.reference for i in burst)
    first = next(row for row in rows if row["reference"] == burst[0].reference)
    assert first["overdue"] == "yes" and first["severity"] == "SEV-2"
    assert first["owner"] == people["depthead"].get_full_name()
    assert first["unit"] == "Mining"
    # The page's link exports with the same query string.
    page = client.get(LIST, {"severity": "sev2", "q": "burst"}).content.decode()
    assert f'href="{CSV}?severity=sev2&amp;q=burst"' in page


def test_the_csv_writes_a_formula_as_text(client, people, many):
    client.force_login(people["top"])
    many(1, title='=HYPERLINK("http://example.invalid")')
    (row,) = exported(client.get(CSV))
    assert row["title"].startswith("'=HYPERLINK")


def test_the_csv_refuses_what_the_list_refuses(client, people, many):
    many(2)
    client.force_login(people["mdube"])  # manages HR: none of these is theirs
    assert exported(client.get(CSV)) == []


# --- query budgets ---------------------------------------------------------------------------


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
        if url == CSV:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_page_and_the_csv_cost_the_same_queries_for_3_and_30_incidents(client, people, many):
    client.force_login(people["top"])
    filtered = {"severity": "sev3", "q": "rock", "overdue": ""}
    many(3)
    client.get(LIST)  # warm-up: session, compiled navigation
    small = {
        "page": _queries(client, LIST),
        "filtered": _queries(client, LIST, filtered),
        "csv": _queries(client, CSV),
        "csv filtered": _queries(client, CSV, filtered),
    }
    many(27)
    large = {
        "page": _queries(client, LIST),
        "filtered": _queries(client, LIST, filtered),
        "csv": _queries(client, CSV),
        "csv filtered": _queries(client, CSV, filtered),
    }
    assert small == large
    assert large["page"] <= 10, large
