"""Several files uploaded at once are added all together or not at all: one refused file
refuses the upload, so the accepted ones are not kept and a retry duplicates nothing
(issue 13). On the work page, on the provider's page, and in the service itself."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.work.services import execution as work
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from tests.incidents.test_work import own_steps, png
from workflows.choices import EvidenceKind, EvidenceSource
from workflows.models import Evidence, Step


def not_a_photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("site.jpg", b"%PDF-1.4\n%%EOF\n", content_type="image/jpeg")


@pytest.fixture
def started(make_incident, people):
    incident = make_incident()
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


def _upload(prefix: str, files: list) -> dict:
    return {
        f"{prefix}-kind": "photo",
        f"{prefix}-files": files,
        f"{prefix}-relevance": "Barricade across the drive",
        f"{prefix}-source": "upload",
        f"{prefix}-collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        f"{prefix}-location": "Shaft 2, level 8",
    }


def test_work_page_one_refused_file_adds_nothing_and_the_retry_adds_each_once(client, started, people):
    step = own_steps(started, people["responsible"])[0]
    client.force_login(people["responsible"])
    url = reverse("step_evidence", args=[started.reference, step.pk])
    refused = client.post(url, _upload(f"s{step.pk}", [png("red"), not_a_photo()]), HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "site.jpg" in body and "Nothing of this upload was added" in body
    assert Evidence.objects.filter(step=step).count() == 0
    assert AuditEvent.objects.filter(changes__code="evidence.content_mismatch").count() == 1

    retried = client.post(url, _upload(f"s{step.pk}", [png("red"), png("green")]), HTTP_HX_REQUEST="true")
    assert retried.status_code == 200
    assert Evidence.objects.filter(step=step).count() == 2


def test_provider_page_one_refused_file_adds_nothing(client, started, people):
    step = own_steps(started, people["responsible"])[1]
    Step.objects.filter(pk=step.pk).update(assignee=people["provider"])
    client.force_login(people["provider"])
    url = reverse("portal_provider_step", args=[step.pk])
    data = _upload("evidence", [png("blue"), not_a_photo()])
    del data["evidence-source"]
    response = client.post(url, data)
    assert response.status_code == 422 and "site.jpg" in response.content.decode()
    assert Evidence.objects.filter(step=step).count() == 0
    data["evidence-files"] = [png("blue"), png("green")]
    assert client.post(url, data).status_code == 302
    assert Evidence.objects.filter(step=step, submitted_by=people["provider"]).count() == 2


def test_the_service_writes_no_row_when_any_file_is_refused(started, people):
    step = Step.objects.select_related("run__responsible", "assignee").get(
        pk=own_steps(started, people["responsible"])[0].pk
    )
    with pytest.raises(PolicyError) as refusal:
        work.add_step_evidence_items(
            incident=started,
            step=step,
            actor=people["responsible"],
            kind=EvidenceKind.PHOTO,
            source=EvidenceSource.UPLOAD,
            collected_at=timezone.now(),
            relevance="Shows the barricade",
            uploads=[png("red"), png("green"), not_a_photo()],
            text="",
        )
    assert refusal.value.code == "evidence.content_mismatch" and refusal.value.context["file"] == "site.jpg"
    assert not Evidence.objects.filter(step=step).exists()
