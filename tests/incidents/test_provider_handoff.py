"""A step handed to an external provider (issue 13): she is told, her portal lists it waiting
for acceptance and then as hers, she adds the evidence and completes it with the work page's
service and policy, and the person who handed it over sees it with her, is told what she
decided and did, and can take it back."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from arc.models import Delegation
from incidents.work.services import execution as work
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification
from tests.incidents.test_work import own_steps, png, started  # noqa: F401 - fixture
from workflows.models import Step

pytestmark = pytest.mark.django_db


def hand_to_provider(incident, people) -> tuple[Step, Delegation]:
    step = next(s for s in own_steps(incident, people["responsible"]) if s.required_evidence)
    delegation = work.delegate_step(
        incident=incident,
        step=step,
        actor=people["responsible"],
        to_person=people["provider"],
        reason_code="expertise",
        handoff_note="Rockfall Geotech installs and tests the support; photos of the bolts please.",
    )
    return step, delegation


def fresh(step: Step) -> Step:
    return Step.objects.select_related("run__responsible", "assignee").get(pk=step.pk)


def evidence_post(step: Step) -> dict:
    kind = step.required_evidence[0]
    return {
        "evidence-kind": kind,
        "evidence-files": [png("blue")] if kind == "photo" else [],
        "evidence-text": "" if kind == "photo" else "Pull test of 12 bolts: all held at 10 t.",
        "evidence-relevance": "Support installed and tested on the hanging wall",
        "evidence-collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "evidence-location": "Shaft 2, level 8",
    }


def test_provider_is_told_accepts_in_her_portal_adds_evidence_and_completes(client, people, started):  # noqa: F811
    step, delegation = hand_to_provider(started, people)
    assert delegation.status == "proposed"  # SEV-2: it moves when she accepts
    told = Notification.objects.get(recipient=people["provider"], event="handoff.proposed")
    assert told.url == reverse("portal_provider") and step.name in told.body

    client.force_login(people["provider"])
    portal = client.get(reverse("portal_provider")).content.decode()
    assert 'data-testid="provider-handoff"' in portal and step.name in portal
    assert "No step is assigned to you." not in portal
    response = client.post(reverse("portal_provider_handoff_decide", args=[delegation.pk]), {"decision": "accept"})
    assert response["Location"] == reverse("portal_provider_step", args=[step.pk])
    assert fresh(step).assignee == people["provider"]
    assert Notification.objects.filter(recipient=people["responsible"], event="handoff.accepted").exists()

    page = client.get(reverse("portal_provider_step", args=[step.pk])).content.decode()
    assert 'data-testid="complete-reason"' in page and "first." in page  # the evidence is still missing
    refused = client.post(reverse("portal_provider_step_complete", args=[step.pk]))
    assert refused.status_code in (403, 409, 422) and fresh(step).status != "completed"

    assert client.post(reverse("portal_provider_step", args=[step.pk]), evidence_post(step)).status_code == 302
    page = client.get(reverse("portal_provider_step", args=[step.pk])).content.decode()
    assert 'data-testid="provider-complete-step"' in page
    done = client.post(reverse("portal_provider_step_complete", args=[step.pk]))
    assert done.status_code == 302
    completed = fresh(step)
    assert completed.status == "completed" and completed.completed_by == people["provider"]
    assert AuditEvent.objects.filter(object_type="workflows.step", object_id=str(step.pk), action="resolve").exists()
    note = Notification.objects.get(recipient=people["responsible"], event="step.completed")
    assert "Elena Rossi completed step" in note.subject


def test_work_page_shows_the_step_with_the_provider_and_the_decline(client, people, started):  # noqa: F811
    step, delegation = hand_to_provider(started, people)
    client.force_login(people["responsible"])
    page = client.get(reverse("incident_work", args=[started.reference])).content.decode()
    assert "waiting for their acceptance" in page

    with pytest.raises(PolicyError) as refused:
        work.decide_delegation(delegation=delegation, actor=people["provider"], accept=False, note="no")
    assert refused.value.code == "validation.invalid"
    work.decide_delegation(
        delegation=delegation, actor=people["provider"], accept=False, note="No rig on site until next month."
    )
    assert fresh(step).assignee is None
    told = Notification.objects.get(recipient=people["responsible"], event="handoff.declined")
    assert "No rig on site" in told.body
    page = client.get(reverse("incident_work", args=[started.reference])).content.decode()
    assert "declined the hand-off" in page and "No rig on site" in page


def test_responsible_takes_an_accepted_step_back_and_the_provider_loses_it(client, people, started):  # noqa: F811
    step, delegation = hand_to_provider(started, people)
    work.decide_delegation(delegation=delegation, actor=people["provider"], accept=True)
    client.force_login(people["responsible"])
    page = client.get(reverse("incident_work", args=[started.reference])).content.decode()
    assert "With <strong>Elena Rossi</strong>" in page and "Take the step back" in page

    with pytest.raises(PolicyError) as refused:
        work.take_step_back(incident=started, step=fresh(step), actor=people["supervisor"], reason="I want it back.")
    assert refused.value.code in ("access_denied", "transition.not_allowed")
    short = client.post(reverse("step_take_back", args=[started.reference, step.pk]), {f"s{step.pk}-reason": "x"})
    assert short.status_code == 422 and fresh(step).assignee == people["provider"]

    response = client.post(
        reverse("step_take_back", args=[started.reference, step.pk]),
        {f"s{step.pk}-reason": "The provider's contract ended; our crew finishes it."},
    )
    assert response.status_code == 302
    assert fresh(step).assignee is None and fresh(step).executor_id == people["responsible"].pk
    assert Delegation.objects.get(pk=delegation.pk).status == "revoked"
    assert Notification.objects.filter(recipient=people["provider"], event="handoff.withdrawn").exists()
    client.force_login(people["provider"])
    assert client.get(reverse("portal_provider_step", args=[step.pk])).status_code == 404


def test_a_waiting_hand_off_is_withdrawn_before_acceptance(people, started):  # noqa: F811
    step, delegation = hand_to_provider(started, people)
    work.take_step_back(
        incident=started, step=fresh(step), actor=people["responsible"], reason="Found a crew of our own."
    )
    assert Delegation.objects.get(pk=delegation.pk).status == "revoked"
    with pytest.raises(PolicyError):
        work.decide_delegation(
            delegation=Delegation.objects.get(pk=delegation.pk), actor=people["provider"], accept=True
        )
    assert fresh(step).assignee is None
