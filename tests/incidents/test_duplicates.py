"""Duplicate warning before confirmation: link to the open incident, or proceed with an
audited justification."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.intake.duplicates import find_duplicates, similarity
from incidents.models import Incident, ReportDraft
from iwms.models import AuditEvent
from tests.incidents.test_report_views import fill_all_steps

pytestmark = pytest.mark.django_db


def test_similarity_is_word_overlap():
    assert similarity("slab fell from hanging wall", "a slab fell off the hanging wall") > 0.5
    assert similarity("slab fell from hanging wall", "diesel spill at the workshop") == 0


def test_similar_open_incident_nearby_in_time_is_a_candidate(make_incident, fall_of_ground):
    existing = make_incident()
    found = find_duplicates(
        tenant_id=existing.organisation_id,
        category_code="SAF.GEO.FOG",
        location="Shaft 2, level 8",
        occurred_at=timezone.now(),
        text="Another slab fell from the hanging wall near the loading box",
    )
    assert [c.incident for c in found] == [existing]
    assert "same category" in found[0].reasons and "same location" in found[0].reasons


def test_closed_far_or_unrelated_incidents_are_not_candidates(make_incident, people):
    old = make_incident(occurred_at=timezone.now() - timedelta(days=3))
    found = find_duplicates(
        tenant_id=old.organisation_id,
        category_code="SAF.GEO.FOG",
        location="Shaft 2",
        occurred_at=timezone.now(),
        text="A slab fell from the hanging wall",
    )
    assert found == []
    make_incident()
    unrelated = find_duplicates(
        tenant_id=old.organisation_id,
        category_code="SAF.GEO.FOG",
        location="Shaft 2",
        occurred_at=timezone.now(),
        text="Conveyor belt tore at the splice",
    )
    assert unrelated == []


@pytest.fixture
def reporter_client(client, people):
    client.force_login(people["reporter"])
    return client


def confirm_url(draft: ReportDraft) -> str:
    return reverse("report_step", args=[draft.token, "confirm"])


def test_second_similar_report_must_choose_and_justify(reporter_client):
    reporter_client.post(confirm_url(fill_all_steps(reporter_client)))
    first = Incident.objects.get()
    draft = fill_all_steps(reporter_client)
    page = reporter_client.get(confirm_url(draft)).content.decode()
    assert "Is this already reported?" in page and first.reference in page

    undecided = reporter_client.post(confirm_url(draft))
    assert undecided.status_code == 422 and "Choose whether this is one" in undecided.content.decode()
    unjustified = reporter_client.post(confirm_url(draft), {"duplicate": "new", "justification": "no"})
    assert unjustified.status_code == 422 and "Say why this is a different event" in unjustified.content.decode()
    assert Incident.objects.count() == 1

    reporter_client.post(
        confirm_url(draft), {"duplicate": "new", "justification": "Second fall, on the other side of the box"}
    )
    second = Incident.objects.exclude(pk=first.pk).get()
    event = AuditEvent.objects.get(object_id=str(second.pk), action="identify")
    assert "Second fall, on the other side of the box" in event.message
    assert event.changes["similar"] == [first.reference]


def test_linking_adds_the_report_to_the_open_incident_and_creates_nothing(reporter_client):
    reporter_client.post(confirm_url(fill_all_steps(reporter_client)))
    first = Incident.objects.get()
    draft = fill_all_steps(reporter_client)
    response = reporter_client.post(confirm_url(draft), {"duplicate": f"link:{first.reference}"})
    assert response["Location"] == reverse("incident_detail", args=[first.reference])
    assert Incident.objects.count() == 1
    assert first.pole_entities.count() == 2
    link = AuditEvent.objects.get(object_id=str(first.pk), action="link")
    assert "reported the same event" in link.message
    again = reporter_client.post(confirm_url(draft), {"duplicate": f"link:{first.reference}"})
    assert again["Location"] == response["Location"] and Incident.objects.count() == 1


def test_a_linked_report_is_finished_and_the_next_report_starts_afresh(client, people, make_incident):
    """A colleague's report linked as the same event: the draft is finished (no longer
    resumable), /report/ starts a new draft, and the linked incident — reported by someone
    else — is on the colleague's items and page, saying their report was linked."""
    existing = make_incident(reporter=people["responsible"], responsible=people["supervisor"])
    client.force_login(people["aphiri"])
    draft = fill_all_steps(client)
    response = client.post(confirm_url(draft), {"duplicate": f"link:{existing.reference}"})
    assert response["Location"] == reverse("incident_detail", args=[existing.reference])
    draft.refresh_from_db()
    assert draft.is_submitted and draft.linked_to == existing

    start = client.get(reverse("report_start"))
    fresh = ReportDraft.objects.filter(reporter=people["aphiri"]).exclude(pk=draft.pk).get()
    assert start["Location"] == reverse("report_step", args=[fresh.token, "kind"])
    assert client.get(start["Location"]).status_code == 200

    page = client.get(reverse("incident_detail", args=[existing.reference]))
    assert page.status_code == 200
    assert "is linked to this incident as the same event" in page.content.decode()
    items = client.get(reverse("my_items")).content.decode()
    assert existing.reference in items and 'data-testid="linked-report"' in items
    link = AuditEvent.objects.get(object_id=str(existing.pk), action="link")
    assert link.changes["draft"] == str(draft.token) and link.actor == people["aphiri"]


def test_the_linked_incident_stays_hidden_from_those_who_did_not_link(client, people, make_incident):
    existing = make_incident(reporter=people["responsible"], responsible=people["supervisor"])
    client.force_login(people["bzulu"])
    assert client.get(reverse("incident_detail", args=[existing.reference])).status_code == 404
