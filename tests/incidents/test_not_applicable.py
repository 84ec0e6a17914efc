"""Not applicable, issue 13: one test of a justification's substance, a template flag that asks
for it on optional steps, and undoing a not-applicable mark before Complete."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from incidents.choices import IncidentStatus
from incidents.work.services import execution as work
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from workflows.choices import StepStatus
from workflows.models import Step, TemplateStep


def step_of(incident, key: str) -> Step:
    return Step.objects.select_related("run__responsible", "assignee", "template_step").get(
        run=work.workflow_of(incident), key=key
    )


def mark(incident, step: Step, actor, justification: str) -> Step:
    return work.mark_step_not_applicable(incident=incident, step=step, actor=actor, justification=justification)


@pytest.mark.parametrize("justification", ["n/a", "N/A", "-", "none", "na", "Not needed.", "see hint"])
def test_an_optional_step_refuses_n_a(acknowledged, people, justification):
    plan = step_of(acknowledged, "record_on_plan")
    assert not plan.mandatory and plan.template_step.substantive_justification
    with pytest.raises(PolicyError) as refused:
        mark(acknowledged, plan, people["responsible"], justification)
    assert refused.value.code == "step.justification_required"
    assert refused.value.context["field"] == "justification"
    assert "'n/a' is not a reason" in refused.value.message
    plan.refresh_from_db()
    assert plan.status == StepStatus.PENDING


def test_the_flag_asks_an_optional_step_for_a_justification_of_substance(acknowledged, people):
    plan = step_of(acknowledged, "record_on_plan")
    with pytest.raises(PolicyError) as refused:
        mark(acknowledged, plan, people["responsible"], "Small fall only")
    assert "too short to say why" in refused.value.message
    TemplateStep.objects.filter(pk=plan.template_step_id).update(substantive_justification=False)
    unflagged = step_of(acknowledged, "record_on_plan")
    assert mark(acknowledged, unflagged, people["responsible"], "Small fall only").status == StepStatus.NOT_APPLICABLE


def test_the_step_s_own_hint_copied_back_is_no_justification(acknowledged, people):
    plan = step_of(acknowledged, "record_on_plan")
    with pytest.raises(PolicyError) as refused:
        mark(
            acknowledged,
            plan,
            people["responsible"],
            "This step is optional for a small fall fully within the existing support pattern.",
        )
    assert "repeats the step's own instructions" in refused.value.message
    reason = "The slab was 0.5 m by 1.2 m, between two bolts of the existing pattern, so there is no cavity to survey."
    assert mark(acknowledged, plan, people["responsible"], reason).justification == reason


def test_not_applicable_is_undone_before_complete_and_audited(acknowledged, people):
    notify = step_of(acknowledged, "notify_inspector")
    reason = "Not reportable: nobody was injured and the fall stayed inside the barricaded end of the drive."
    mark(acknowledged, notify, people["responsible"], reason)
    assert not any(
        "3." in blocker for blocker in work.completion_blockers(acknowledged, work.workflow_of(acknowledged))
    )

    undone = work.undo_step_not_applicable(
        incident=acknowledged, step=step_of(acknowledged, "notify_inspector"), actor=people["responsible"]
    )
    assert undone.status == StepStatus.PENDING and undone.justification == "" and undone.completed_by is None
    event = AuditEvent.objects.filter(object_type="workflows.step", object_id=str(notify.pk)).latest("seq")
    assert event.changes["status"] == ["not_applicable", "pending"]
    assert event.changes["justification"] == [reason, ""] and reason in event.message
    blockers = work.completion_blockers(acknowledged, work.workflow_of(acknowledged))
    assert any("3. Notify the Inspector" in blocker for blocker in blockers), blockers


def test_undo_is_refused_to_others_and_once_the_work_is_completed(people, worked):
    plan = step_of(worked, "record_on_plan")
    mark(
        worked, plan, people["responsible"], "The slab was 0.5 m by 1.2 m inside the bolt pattern; no cavity to survey."
    )
    with pytest.raises(PolicyError) as refused:
        work.undo_step_not_applicable(
            incident=worked, step=step_of(worked, "record_on_plan"), actor=people["supervisor"]
        )
    assert refused.value.code == "access_denied"
    assert AuditEvent.objects.filter(action="access_denied", object_id=str(plan.pk)).exists()

    with TestCase.captureOnCommitCallbacks(execute=False):
        work.complete_work(incident=worked, actor=people["responsible"])
    with pytest.raises(PolicyError) as late:
        work.undo_step_not_applicable(
            incident=worked, step=step_of(worked, "record_on_plan"), actor=people["responsible"]
        )
    assert late.value.code == "transition.not_allowed"
    worked.refresh_from_db()
    assert worked.status == IncidentStatus.HALF_CLOSED
    assert step_of(worked, "record_on_plan").status == StepStatus.NOT_APPLICABLE


def test_the_work_page_offers_undo_and_answers_with_the_step(client, acknowledged, people):
    notify = step_of(acknowledged, "notify_inspector")
    mark(
        acknowledged,
        notify,
        people["responsible"],
        "Not reportable: nobody was injured and the fall stayed inside the barricade.",
    )
    client.force_login(people["responsible"])
    page = client.get(reverse("incident_work", args=[acknowledged.reference])).content.decode()
    url = reverse("step_undo_not_applicable", args=[acknowledged.reference, notify.pk])
    assert f'hx-post="{url}"' in page and 'data-testid="undo-not-applicable"' in page
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="step-{notify.pk}"' in body and "undo-not-applicable" not in body and "Mark not applicable" in body
    assert step_of(acknowledged, "notify_inspector").status == StepStatus.PENDING
