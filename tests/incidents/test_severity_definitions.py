"""Severity definitions per tenant: seed 003's wording for IT and security tenants, the mining
wording for mining, a tenant's own rows over either; shown in the report wizard and on the
change-severity form."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from incidents.choices import SEVERITY_DEFINITIONS, Severity
from incidents.core.severity import IT_DEFINITIONS, default_definitions, definitions_for
from incidents.models import ReportDraft, SeverityDefinition
from iwms.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("industry", "wording"),
    [
        ("IT Service Management", IT_DEFINITIONS),
        ("Security Operations", IT_DEFINITIONS),
        ("Software", IT_DEFINITIONS),
        ("Diamond Mining", SEVERITY_DEFINITIONS),
        ("Diamond Selling", SEVERITY_DEFINITIONS),
        ("", SEVERITY_DEFINITIONS),
    ],
)
def test_the_default_wording_follows_the_tenants_industry(industry, wording):
    assert default_definitions(industry) == dict(wording)


def test_seed_003_wording_for_it_tenants():
    assert "tenant isolation failure" in IT_DEFINITIONS[Severity.SEV1]
    assert "No escalation required" in IT_DEFINITIONS[Severity.SEV4].replace("no escalation", "No escalation")


def test_a_tenants_own_definitions_replace_the_defaults(mine):
    SeverityDefinition(
        organisation=mine, severity=Severity.SEV3, definition="A lost-time injury.", response="Shift boss on site."
    ).save()
    definitions = definitions_for(mine)
    assert definitions[Severity.SEV3] == "A lost-time injury. Shift boss on site."
    assert definitions[Severity.SEV1] == SEVERITY_DEFINITIONS[Severity.SEV1]
    it = Organisation.objects.create(slug="helpdesk", name="Helpdesk Ltd", industry="IT Service Management")
    assert definitions_for(it)[Severity.SEV3] == IT_DEFINITIONS[Severity.SEV3]
    assert definitions_for(it.pk)[Severity.SEV3] == IT_DEFINITIONS[Severity.SEV3]


def test_one_definition_per_severity_and_tenant(mine):
    SeverityDefinition(organisation=mine, severity=Severity.SEV2, definition="Major.").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        SeverityDefinition(organisation=mine, severity=Severity.SEV2, definition="Again.").save()


def test_the_wizard_shows_the_tenants_definitions(client, people, mine):
    SeverityDefinition(organisation=mine, severity=Severity.SEV4, definition="A housekeeping finding.").save()
    client.force_login(people["reporter"])
    client.get(reverse("report_start"))
    draft = ReportDraft.objects.latest("created_at")
    client.post(reverse("report_step", args=[draft.token, "kind"]), {"kind": "incident", "title": "Slab fell"})
    client.post(reverse("report_step", args=[draft.token, "classification"]), {"category": "SAF.GEO.FOG"})
    body = client.get(reverse("report_step", args=[draft.token, "context"])).content.decode()
    assert "A housekeeping finding." in body
    assert "loss of life or serious injury" in body  # the mining wording for the rest


def test_the_change_severity_form_shows_the_tenants_definitions(client, people, make_incident, mine):
    SeverityDefinition(organisation=mine, severity=Severity.SEV1, definition="Fatality or multiple injuries.").save()
    incident = make_incident()
    client.force_login(people["responsible"])
    body = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert 'data-testid="severity-definitions"' in body
    assert "Fatality or multiple injuries." in body
