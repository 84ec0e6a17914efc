"""Seed 002 §12.5: a critical incident whose telemetry source is unavailable — recorded as a
known gap on the timeline, escalated with precautionary containment, never silently passed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.controls.models import KnownGap
from incidents.controls.services.gaps import record_known_gap, resolve_known_gap
from incidents.core.selectors import timeline_for
from iwms.errors import PolicyError
from iwms.models import Notification

pytestmark = pytest.mark.django_db
IMPACT = "The seismic array's feed is down: no event magnitudes for level 8 since 09:00."


def test_12_5_an_unavailable_telemetry_source_is_a_known_gap_escalated(make_incident, people):
    critical = make_incident(severity="sev1")
    with pytest.raises(PolicyError) as refused:
        record_known_gap(incident=critical, actor=people["reporter"], source="Seismic array", impact=IMPACT)
    assert refused.value.code == "access_denied"
    gap = record_known_gap(incident=critical, actor=people["responsible"], source="Seismic array", impact=IMPACT)
    event = timeline_for(critical).filter(message__startswith="Known gap").get()
    assert event.changes["precautionary_containment"] is True and "Seismic array" in event.message
    told = Notification.objects.filter(event="incident.known_gap")
    # The owner and the responsible person's manager (the mine overseer), with the precaution.
    assert {people["depthead"].pk, people["supervisor"].pk} <= set(told.values_list("recipient_id", flat=True))
    assert "Contain it on precaution now" in told.first().body
    resolve_known_gap(gap=gap, actor=people["responsible"], resolution="Feed restored by the vendor at 11:20.")
    assert KnownGap.objects.get(pk=gap.pk).resolved_by == people["responsible"]
    with pytest.raises(PolicyError):
        resolve_known_gap(gap=gap, actor=people["responsible"], resolution="Feed restored by the vendor again.")


def test_the_gap_is_shown_and_recorded_from_the_incident_page(make_incident, people, client):
    incident = make_incident()
    client.force_login(people["responsible"])
    short = client.post(reverse("incident_known_gap", args=[incident.reference]), {"source": "CCTV", "impact": "x"})
    assert short.status_code == 422 and b"field-error" in short.content
    done = client.post(
        reverse("incident_known_gap", args=[incident.reference]), {"source": "CCTV shaft 2", "impact": IMPACT}
    )
    assert done.status_code == 302
    page = client.get(reverse("incident_detail", args=[incident.reference]))
    assert b'data-testid="known-gap"' in page.content and b"CCTV shaft 2 is unavailable" in page.content
