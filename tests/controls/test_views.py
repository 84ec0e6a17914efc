"""The merge, split and un-merge pages: from the managed list and the incident page, the merged
incident's redirect and banner, refusals next to their field, and the merge page's query budget."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.choices import IncidentStatus, Source
from incidents.models import Incident, PoleEntity
from iwms.models import AuditEvent

pytestmark = pytest.mark.django_db
REASON = "The same fall of ground reported twice by two crews."


@pytest.fixture
def top_client(client, people):
    client.force_login(people["top"])
    return client


def test_merge_from_the_list_then_unmerge_from_the_merged_record(pair, top_client):
    primary, earlier = pair
    listing = top_client.get(reverse("managed_incidents"))
    assert b'form="merge-selection"' in listing.content and b"merge-selected" in listing.content
    page = top_client.get(reverse("controls_merge"), {"incidents": [earlier.reference, primary.reference]})
    assert page.status_code == 200 and page.content.count(b'data-testid="merge-candidate"') == 2
    done = top_client.post(
        reverse("controls_merge"),
        {"references": f"{earlier.reference} {primary.reference}", "primary": primary.reference, "reason": REASON},
    )
    assert done.status_code == 302 and done["Location"] == reverse("incident_detail", args=[primary.reference])
    followed = top_client.get(reverse("incident_detail", args=[earlier.reference]))
    assert followed.status_code == 302 and f"merged_from={earlier.reference}" in followed["Location"]
    banner = top_client.get(followed["Location"])
    assert b'data-testid="merged-banner"' in banner.content and b'data-testid="lineage-merged-in"' in banner.content
    record = top_client.get(reverse("incident_detail", args=[earlier.reference]), {"record": 1})
    assert record.status_code == 200 and b'data-testid="unmerge"' in record.content
    short = top_client.post(reverse("incident_unmerge", args=[earlier.reference]), {"reason": "no"})
    assert short.status_code == 422 and b"field-error" in short.content
    back = top_client.post(reverse("incident_unmerge", args=[earlier.reference]), {"reason": "Two separate falls."})
    assert back.status_code == 302
    assert Incident.objects.get(pk=earlier.pk).status == IncidentStatus.IN_PROGRESS


def test_an_unknown_or_foreign_reference_is_refused_next_to_its_field(pair, top_client, people):
    primary, _ = pair
    page = top_client.post(
        reverse("controls_merge"),
        {"references": f"{primary.reference} INC-2026-999999", "primary": primary.reference, "reason": REASON},
    )
    assert page.status_code == 422
    assert b'data-testid="references-error"' in page.content and b"INC-2026-999999" in page.content
    assert AuditEvent.objects.filter(
        actor=people["top"], action="access_denied", changes__code="tenant.cross_reference"
    ).exists()


def test_split_from_the_incident_page(pair, top_client):
    primary, _ = pair
    detail = top_client.get(reverse("incident_detail", args=[primary.reference]))
    assert b'data-testid="split-this"' in detail.content and b'data-testid="merge-into-this"' in detail.content
    pole = PoleEntity.objects.get(incident=primary)
    nothing = top_client.post(
        reverse("incident_split", args=[primary.reference]), {"title": "Loading box damage", "reason": REASON}
    )
    assert nothing.status_code == 422 and b"nothing is split out implicitly" in nothing.content
    done = top_client.post(
        reverse("incident_split", args=[primary.reference]),
        {"title": "Loading box damage", "reason": REASON, "pole_entities": [pole.pk]},
    )
    derived = Incident.objects.get(source=Source.SPLIT)
    assert done["Location"] == reverse("incident_detail", args=[derived.reference])
    page = top_client.get(done["Location"])
    assert b'data-testid="lineage-split-from"' in page.content


def test_the_merge_page_reads_a_fixed_number_of_queries(make_incident, top_client):
    incidents = [make_incident(title=f"Fall of ground {n}") for n in range(6)]

    def queries(chosen):
        with CaptureQueriesContext(connection) as captured:
            response = top_client.get(reverse("controls_merge"), {"incidents": [i.reference for i in chosen]})
        assert response.status_code == 200
        return len(captured)

    assert queries(incidents) == queries(incidents[:2])
