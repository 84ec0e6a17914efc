"""One refusal, one answer, whatever the page: an access refusal is a 403 (page, or fragment
for HTMX) with its code on every page; an input refusal is a 422 with the message next to its
field and its code; the ledger says which kind it was."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.work.services import execution as work
from iwms.models import AuditEvent
from workflows.models import Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(make_incident, people):
    incident = make_incident()
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


def test_an_access_refusal_is_the_same_403_on_every_page(client, started, people):
    """The reporter sees the incident he reported but may act on none of it."""
    step = Step.objects.filter(run=work.workflow_of(started)).order_by("position")[0]
    ref = started.reference
    posts = {
        "severity": (reverse("incident_severity", args=[ref]), {"severity": "sev1", "reason": "It is much worse."}),
        "delegate": (reverse("incident_delegate", args=[ref]), {}),
        "complete": (reverse("incident_complete", args=[ref]), {}),
        "review": (reverse("incident_review", args=[ref]), {}),
        "account": (reverse("incident_account", args=[ref]), {"narrative": "", "location": "", "reason": ""}),
        "step_complete": (reverse("step_complete", args=[ref, step.pk]), {}),
        "approve": (reverse("closure_approve", args=[ref]), {}),
        "reopen": (reverse("incident_reopen", args=[ref]), {"reason": "x"}),
    }
    client.force_login(people["reporter"])
    for htmx in (False, True):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        statuses = {}
        for name, (url, data) in posts.items():
            response = client.post(url, data, **headers)
            statuses[name] = response.status_code
            assert 'data-error-code="' in response.content.decode(), name
            if htmx:
                assert response["HX-Retarget"] == "#refusals", name
        # access refusals (403) everywhere; only the state of the incident gives 409
        assert statuses == {**dict.fromkeys(posts, 403), "approve": 409, "reopen": 409}, htmx


def test_an_input_refusal_is_a_422_next_to_its_field_and_recorded_as_input(client, started, people):
    client.force_login(people["responsible"])
    ref = started.reference
    severity = client.post(reverse("incident_severity", args=[ref]), {"severity": "sev1", "reason": "no"})
    delegate = client.post(reverse("incident_delegate", args=[ref]), {})
    htmx = client.post(
        reverse("incident_severity", args=[ref]), {"severity": "sev1", "reason": "no"}, HTTP_HX_REQUEST="true"
    )
    assert (severity.status_code, delegate.status_code, htmx.status_code) == (422, 422, 422)
    assert "validation.invalid" in delegate.content.decode()
    assert "at least 10 characters" in severity.content.decode() or "reason" in severity.content.decode()
    assert not AuditEvent.objects.filter(action="access_denied", actor=people["responsible"]).exists()
    refused = AuditEvent.objects.filter(action="input_refused", actor=people["responsible"])
    assert refused.exists() and all(event.changes["kind"] == "input" for event in refused)


def test_an_auditors_timeline_says_input_refused_for_a_form_mistake_not_access_denied(client, started, people):
    client.force_login(people["responsible"])
    assert client.post(reverse("incident_delegate", args=[started.reference]), {}).status_code == 422
    client.force_login(people["depthead"])  # the owner reads the timeline
    body = client.get(reverse("incident_detail", args=[started.reference])).content.decode()
    assert "<strong>input refused</strong>" in body
    assert "<strong>access denied</strong>" not in body
