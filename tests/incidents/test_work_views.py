"""The work page and its actions: who may see and do what, HTMX fragments, errors next to
their fields, evidence served only as attachments, and a query budget per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.work.services import execution as work
from iwms.models import AuditEvent
from tests.incidents.test_work import add_photo, own_steps, png
from workflows.choices import StepStatus


@pytest.fixture
def started(make_incident, people):
    incident = make_incident()
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


def work_url(incident) -> str:
    return reverse("incident_work", args=[incident.reference])


def test_anonymous_is_sent_to_login(client, started):
    response = client.get(work_url(started))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outsider_and_other_tenant_get_404(client, started, people):
    from incidents.demo.builder import build_second_tenant
    from iwms.models import User

    build_second_tenant(password="pw-demo-12345")
    client.force_login(User.objects.get(username="karoo.md"))
    assert client.get(work_url(started)).status_code == 404
    client.force_login(people["custodian"])
    assert client.get(work_url(started)).status_code == 404


def test_responsible_sees_steps_with_actions_and_reporter_sees_them_read_only(client, started, people):
    client.force_login(people["responsible"])
    page = client.get(work_url(started)).content.decode()
    assert "Make safe" in page or "make_safe" in page
    assert "Add evidence" in page and "Mark not applicable" in page
    client.force_login(people["reporter"])
    page = client.get(work_url(started)).content.decode()
    assert "Add evidence" not in page and "who executes this step" in page


def test_step_executor_from_another_position_can_open_the_page(client, started, people):
    from iwms.models import User

    client.force_login(User.objects.get(username="zndlovu"))
    assert client.get(work_url(started)).status_code == 200


def test_htmx_upload_of_several_photos_returns_the_step_fragment(client, started, people):
    step = own_steps(started, people["responsible"])[0]
    client.force_login(people["responsible"])
    prefix = f"s{step.pk}"
    response = client.post(
        reverse("step_evidence", args=[started.reference, step.pk]),
        {
            f"{prefix}-kind": "photo",
            f"{prefix}-files": [png("red"), png("green")],
            f"{prefix}-relevance": "Barricade across the drive",
            f"{prefix}-source": "upload",
            f"{prefix}-collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            f"{prefix}-location": "Shaft 2, level 8",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith(f'<article id="step-{step.pk}"') and "<html" not in body
    assert step.evidence.count() == 2
    assert 'hx-swap-oob="true"' in body  # the completion panel follows along


def test_wrong_bytes_for_a_photo_are_refused_next_to_the_file_field(client, started, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    step = own_steps(started, people["responsible"])[0]
    client.force_login(people["responsible"])
    prefix = f"s{step.pk}"
    response = client.post(
        reverse("step_evidence", args=[started.reference, step.pk]),
        {
            f"{prefix}-kind": "photo",
            f"{prefix}-files": [SimpleUploadedFile("site.jpg", b"%PDF-1.4\n%%EOF\n", content_type="image/jpeg")],
            f"{prefix}-relevance": "Typed relevance is kept",
            f"{prefix}-source": "upload",
            f"{prefix}-collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "evidence.content_mismatch" in body and "Typed relevance is kept" in body
    assert not step.evidence.exists()
    assert AuditEvent.objects.filter(action="input_refused", changes__code="evidence.content_mismatch").exists()


def test_boilerplate_justification_is_shown_next_to_the_field_and_kept(client, started, people):
    step = next(s for s in own_steps(started, people["responsible"]) if s.mandatory)
    client.force_login(people["responsible"])
    response = client.post(
        reverse("step_not_applicable", args=[started.reference, step.pk]),
        {f"s{step.pk}-justification": "n/a"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "step.justification_required" in body and "n/a</textarea>" in body
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING


def test_someone_else_cannot_complete_a_step(client, started, people):
    step = own_steps(started, people["responsible"])[0]
    client.force_login(people["reporter"])
    response = client.post(reverse("step_complete", args=[started.reference, step.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#refusals"


def test_evidence_is_served_as_an_attachment_with_nosniff(client, started, people):
    step = own_steps(started, people["responsible"])[0]
    item = add_photo(started, step, people["responsible"])
    client.force_login(people["reporter"])
    download = client.get(reverse("evidence_file", args=[started.reference, item.pk, "download"]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff" and download["Content-Type"] == "image/png"
    thumbnail = client.get(reverse("evidence_file", args=[started.reference, item.pk, "thumbnail"]))
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    client.force_login(people["custodian"])
    assert client.get(reverse("evidence_file", args=[started.reference, item.pk, "download"])).status_code == 404


def test_information_request_page_is_for_the_person_asked(client, started, people):
    step = own_steps(started, people["responsible"])[0]
    info = work.pause_step(
        incident=started,
        step=step,
        actor=people["responsible"],
        responsible=people["supervisor"],
        request="Which crew was working the panel at the time of the fall?",
        due_at=timezone.now() + timedelta(hours=2),
    )
    url = reverse("information_request", args=[info.pk])
    client.force_login(people["custodian"])
    assert client.get(url).status_code == 404
    client.force_login(people["supervisor"])
    assert info.title in client.get(reverse("my_items")).content.decode()
    short = client.post(url, {"resolution": "crew 7"})
    assert short.status_code == 422 and "at least" in short.content.decode()
    done = client.post(url, {"resolution": "Crew 7 under shift boss J. Mokoena was on the panel."})
    assert done.status_code == 302
    step.refresh_from_db()
    assert step.status == StepStatus.IN_PROGRESS


def test_work_page_query_count_does_not_grow_with_evidence(client, started, people, django_assert_max_num_queries):
    client.force_login(people["responsible"])
    steps = own_steps(started, people["responsible"])
    add_photo(started, steps[0], people["responsible"], colour="red")
    # +1 the "Closure queue" nav check, +1 the unread-notification count, +1 corrective steps blocking Complete
    with django_assert_max_num_queries(18) as few:
        client.get(work_url(started))
    for index, colour in enumerate(["green", "blue", "white", "black", "yellow"]):
        add_photo(started, steps[index % 3], people["responsible"], colour=colour)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(work_url(started))


def test_incident_page_shows_next_actions_and_workflow_events_on_the_timeline(client, started, people):
    step = own_steps(started, people["responsible"])[0]
    add_photo(started, step, people["responsible"])
    client.force_login(people["reporter"])
    page = client.get(reverse("incident_detail", args=[started.reference])).content.decode()
    assert f"Step {step.position} &#x27;{step.name}&#x27;: {people['responsible']}" in page
    assert "evidence" in page and "Photo added to step 1" in page
    assert reverse("incident_work", args=[started.reference]) in page


def test_sev2_handoff_waits_on_my_items_until_accepted(client, started, people):
    client.force_login(people["responsible"])
    response = client.post(
        reverse("incident_delegate", args=[started.reference]),
        {"whole-to_person": people["supervisor"].pk, "whole-reason_code": "absence", "whole-handoff_note": "On leave"},
    )
    assert response.status_code == 422  # the hand-off note is too short to brief anyone
    client.post(
        reverse("incident_delegate", args=[started.reference]),
        {
            "whole-to_person": people["supervisor"].pk,
            "whole-reason_code": "absence",
            "whole-handoff_note": "On leave from tomorrow; the crew list is on step 2.",
        },
    )
    started.refresh_from_db()
    assert started.responsible == people["responsible"]  # SEV-2: not before acceptance
    client.force_login(people["supervisor"])
    page = client.get(reverse("my_items")).content.decode()
    assert "Hand-offs waiting for your acceptance" in page and started.reference in page
    from arc.models import Delegation

    delegation = Delegation.objects.get(subject_id=str(started.pk))
    declined = client.post(reverse("delegation_decide", args=[delegation.pk]), {"decision": "decline"})
    assert declined.status_code == 422
    client.post(reverse("delegation_decide", args=[delegation.pk]), {"decision": "accept"})
    started.refresh_from_db()
    assert started.responsible == people["supervisor"] and started.owner == people["depthead"]


def test_account_correction_page_keeps_what_was_typed_and_saves(client, started, people):
    url = reverse("incident_account", args=[started.reference])
    client.force_login(people["responsible"])
    assert started.narrative in client.get(url).content.decode()
    bad = client.post(url, {"narrative": "Short", "location": "Shaft 2", "reason": "Review asked", "pole_type": ""})
    assert bad.status_code == 422 and "Short" in bad.content.decode()
    good = client.post(
        url,
        {
            "narrative": "At 09:40 a slab fell from the hanging wall at Shaft 2, level 8, during the day shift.",
            "location": "Shaft 2, level 8",
            "pole_type": "person",
            "pole_name": "Lerato Mabuza",
            "pole_role": "witness",
            "reason": "The review found the account too thin.",
        },
    )
    assert good.status_code == 302
    started.refresh_from_db()
    assert started.narrative.startswith("At 09:40") and started.pole_entities.filter(name="Lerato Mabuza").exists()
    client.force_login(people["reporter"])
    assert client.post(url, {"narrative": "x" * 40, "location": "y", "reason": "not my incident"}).status_code == 403


def test_admin_lists_how_often_each_template_step_is_skipped(client, started, people):
    from incidents.demo.builder import build_platform_admin

    step = next(s for s in own_steps(started, people["responsible"]) if s.mandatory)
    work.mark_step_not_applicable(
        incident=started,
        step=step,
        actor=people["responsible"],
        justification="Nobody was in the area at the time, so there was no one to account for.",
    )
    client.force_login(build_platform_admin(password="pw-platform-123"))
    page = client.get(reverse("admin:workflows_templatestep_changelist") + "?o=-5").content.decode()
    assert "Times skipped" in page
    row = next(r for r in page.split("<tr") if step.name in r and str(step.template_step.template) in r)
    assert '<td class="field-times_skipped">1</td>' in row
