"""Seed 002 §12 edge cases as they meet merge and split. §12.3 (evidence found unreliable
re-opens the decisions that relied on it) is held by tests/incidents/test_closure.py's
invalidation tests; §12.5 (telemetry unavailable) by test_known_gaps.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from arc.choices import Role
from arc.services import grant_role
from incidents.choices import IncidentStatus
from incidents.closure.services import closure
from incidents.controls.services import merge as merging
from incidents.controls.services.split import split_incident
from incidents.demo.builder import build_second_tenant
from incidents.intake.selectors import duplicates_of
from incidents.models import Incident, PoleEntity
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification, User
from tests.incidents.test_closure import CHECKLIST
from tests.incidents.test_work import add_photo, own_steps

pytestmark = pytest.mark.django_db
REASON = "The same fall of ground reported twice by two crews."


def test_12_1_concurrent_duplicates_get_a_merge_recommendation(make_incident, people, client):
    # Two analysts reported the same event at the same moment: neither saw the other's report.
    first = make_incident(reporter=people["reporter"])
    second = make_incident(reporter=people["lmabuza"], title="Hanging wall slab fell at the loading box")
    assert [c.incident for c in duplicates_of(first)] == [second]
    client.force_login(people["depthead"])
    page = client.get(reverse("incident_detail", args=[first.reference]))
    assert b'data-testid="merge-recommendation"' in page.content and second.reference.encode() in page.content
    merging.merge_incidents(primary=first, others=[second], actor=people["depthead"], reason=REASON)
    # Once merged it is no candidate any more: the recommendation goes away.
    assert duplicates_of(Incident.objects.get(pk=first.pk)) == []


def test_12_2_a_closed_incident_takes_no_evidence_or_merge_but_reopens_with_approval(pending, people):
    incident = pending()
    closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    closed = Incident.objects.get(pk=incident.pk)
    step = own_steps(closed, people["responsible"])[0]
    with pytest.raises(PolicyError) as appended:
        add_photo(closed, step, people["responsible"])
    assert appended.value.code == "transition.not_allowed"
    with pytest.raises(PolicyError) as merged:
        merging.merge_incidents(primary=closed, others=[], actor=people["depthead"], reason=REASON)
    assert merged.value.code == "validation.invalid"
    with pytest.raises(PolicyError) as refused:
        closure.reopen_incident(incident=closed, actor=people["supervisor"], reason="New critical evidence arrived.")
    assert refused.value.code == "reopen.approver_not_elevated"
    closure.reopen_incident(incident=closed, actor=people["depthead"], reason="New critical evidence arrived today.")
    reopened = Incident.objects.get(pk=closed.pk)
    assert reopened.status == IncidentStatus.IN_PROGRESS and reopened.resolve_due_at > timezone.now()
    assert reopened.reopened_count == 1  # a new clock cycle, with its own deadlines and decisions


@pytest.fixture
def outsider(mine, settings):
    settings.IWMS_CROSS_TENANT_ALERT_THRESHOLD = 2
    karoo = build_second_tenant(password="pw-demo-12345")
    grant_role(tenant=karoo, user=User.objects.get(username="karoo.sales"), role=Role.TENANT_ADMIN, reason="Admin")
    return User.objects.get(username="karoo.md")


def test_12_4_cross_tenant_merge_and_split_are_refused_and_alerted(pair, people, outsider):
    primary, earlier = pair
    with pytest.raises(PolicyError) as merge:
        merging.merge_incidents(primary=primary, others=[earlier], actor=outsider, reason=REASON)
    pole = PoleEntity.objects.filter(incident=primary).first()
    with pytest.raises(PolicyError) as split:
        split_incident(incident=primary, actor=outsider, title="Conveyor damaged", reason=REASON, pole_ids=[pole.pk])
    assert merge.value.code == split.value.code == "tenant.cross_reference"
    assert Incident.objects.get(pk=earlier.pk).status == IncidentStatus.IN_PROGRESS
    assert not Incident.objects.filter(source="split").exists()
    denials = AuditEvent.objects.filter(
        organisation=outsider.organisation, actor=outsider, changes__code="tenant.cross_reference"
    )
    assert denials.count() == 2
    # Repeated attempts alert security: the admins of both organisations.
    alerted = Notification.objects.filter(event="security.cross_tenant")
    assert set(alerted.values_list("organisation_id", flat=True)) == {outsider.organisation_id, primary.organisation_id}


def test_12_4_a_row_of_another_incident_is_refused_in_a_split(pair, people):
    primary, earlier = pair
    photo = add_photo(earlier, own_steps(earlier, people["responsible"])[0], people["responsible"])
    with pytest.raises(PolicyError) as refused:
        split_incident(
            incident=primary, actor=people["depthead"], title="Conveyor", reason=REASON, evidence_ids=[photo.pk]
        )
    assert refused.value.code == "validation.invalid" and f"evidence {photo.pk}" in refused.value.message
    assert timezone.now() - photo.collected_at < timedelta(hours=1)
