"""The dashboard pages: who may open which (refusals audited), what they show, the
drill-through to the incident list, the CSV export of every table, the HTMX body, filters that
are not understood, and a query budget that does not grow with the incidents."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.assurance.rollups import rebuild
from incidents.assurance.tables import TABLE_KEYS
from iwms.choices import AuditAction
from iwms.models import AuditEvent
from tests.assurance.conftest import DAY, MINUTE, at_noon

QUERY = {"period": "day", "until": DAY.isoformat()}


def unit_url(units, code="mining") -> str:
    return reverse("assurance_unit", kwargs={"unit_id": units[code].pk})


@pytest.fixture
def folded(mine, hand_built):
    rebuild(tenant_id=mine.pk)
    return hand_built


def test_anonymous_is_sent_to_sign_in(client, mine, units):
    for url in (reverse("assurance_home"), reverse("assurance_tenant"), unit_url(units)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_department_head_opens_their_unit_and_sees_its_kpis(client, people, units, folded):
    client.force_login(people["depthead"])
    home = client.get(reverse("assurance_home")).content.decode()
    assert unit_url(units) in home and reverse("assurance_tenant") not in home
    body = client.get(unit_url(units), QUERY).content.decode()
    assert "Mining: assurance dashboard" in body
    # Four incidents on DAY; MTTA (10 + 20 + 30) ÷ 3 = 20.0 minutes; breach rate 25.0 %.
    assert 'data-testid="kpi-card-volume"' in body
    card = body.split('data-testid="kpi-card-mtta"', 1)[1].split("</article>", 1)[0]
    assert "20.0" in card
    assert 'data-value="25.0"' in body
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in body and "<canvas data-chart-for=" in body


def test_the_drill_through_opens_the_incident_list_filtered_to_the_items(client, people, units, folded):
    client.force_login(people["depthead"])
    body = client.get(unit_url(units), QUERY).content.decode()
    links = [chunk.rsplit('<a href="', 1)[1] for chunk in body.split('" data-testid="drill-severity"')[:-1]]
    link = links[1].replace("&amp;", "&")  # the rows run SEV-1 … SEV-4: the second is SEV-2
    query = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path == reverse("managed_incidents")
    assert query["reported_from"] == [DAY.isoformat()] and query["reported_to"] == [DAY.isoformat()]
    assert query["severity"] == ["sev2"]
    listed = client.get(link).content.decode()
    # SEV-2 on DAY: A and B; C and D are SEV-3.
    assert folded["a"].reference in listed and folded["b"].reference in listed
    assert folded["c"].reference not in listed and folded["d"].reference not in listed


def test_every_table_exports_as_csv_with_the_shown_filters(client, people, units, folded):
    client.force_login(people["depthead"])
    for table in TABLE_KEYS:
        url = reverse("assurance_unit_csv", kwargs={"unit_id": units["mining"].pk, "table": table})
        response = client.get(url, QUERY)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), table
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) >= 2, table
    url = reverse("assurance_unit_csv", kwargs={"unit_id": units["mining"].pk, "table": "summary"})
    rows = {row[0]: row for row in csv.reader(io.StringIO(client.get(url, QUERY).content.decode()))}
    assert rows["Incidents reported"][1] == "4.0"
    assert rows["SLA breach rate"][1] == "25.0"
    missing = reverse("assurance_unit_csv", kwargs={"unit_id": units["mining"].pk, "table": "nothing"})
    assert client.get(missing).status_code == 404


def test_another_units_dashboard_is_refused_and_the_refusal_audited(client, mine, people, units, folded):
    client.force_login(people["depthead"])
    response = client.get(unit_url(units, "plant"))
    assert response.status_code == 403
    assert "head of that unit" in response.content.decode()
    assert AuditEvent.objects.filter(
        organisation=mine, action=AuditAction.ACCESS_DENIED, object_type="organogram.orgunit"
    ).exists()
    assert client.get(reverse("assurance_tenant")).status_code == 403


def test_the_tenant_dashboard_is_for_the_top_and_tenant_admins(client, people, folded):
    for username in ("top", "admin"):
        client.force_login(people[username])
        response = client.get(reverse("assurance_tenant"), QUERY)
        assert response.status_code == 200, username
        assert "the whole organisation" in response.content.decode()
    client.force_login(people["reporter"])
    assert client.get(reverse("assurance_tenant")).status_code == 403
    assert 'data-testid="assurance-none"' in client.get(reverse("assurance_home")).content.decode()


def test_an_htmx_request_gets_the_body_only(client, people, units, folded):
    client.force_login(people["depthead"])
    response = client.get(unit_url(units), QUERY, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="dashboard-body"') and "<html" not in body


def test_a_filter_not_understood_is_said_next_to_its_field_and_the_rest_applies(client, people, units, folded):
    client.force_login(people["depthead"])
    response = client.get(unit_url(units), {"until": "1999-01-01", "severity": "sev9", "period": "day"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose a day between 2000 and a year from now." in body
    assert "Select a valid choice" in body


def test_the_query_count_does_not_grow_with_the_incidents(client, mine, people, units, report, folded):
    client.force_login(people["depthead"])
    client.get(unit_url(units), QUERY)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(unit_url(units), QUERY)
    for n in range(12):
        report(at_noon(DAY - timedelta(days=n % 3)), (n + 1) * MINUTE, severity=("sev1", "sev4")[n % 2])
    rebuild(tenant_id=mine.pk)
    with CaptureQueriesContext(connection) as many:
        client.get(unit_url(units), QUERY)
    assert len(many) == len(few) and len(many) <= 30
