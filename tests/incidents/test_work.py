"""The incident's workflow: generated at confirmation, worked step by step while in progress,
delegated, and invalidation re-opening decisions."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from simple_history.utils import bulk_create_with_history

from arc.choices import DelegationReason, DelegationStatus
from incidents.choices import IncidentStatus, Severity
from incidents.closure.services import invalidation
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.work.services import execution as work
from iwms.bulk_rows import create_with_history
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from workflows.choices import EvidenceKind, EvidenceSource, StepStatus
from workflows.models import Evidence, Step, WorkflowRun
from workflows.selectors import skipped_step_counts


def png(colour: str = "red", size: tuple[int, int] = (64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(f"{colour}.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def started(make_incident, people):
    """A fall-of-ground incident with its workflow, acknowledged by the responsible person."""
    incident = make_incident()
    incident_workflows.start_incident_workflow(incident=incident, actor=people["reporter"])
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


def steps_of(incident) -> dict[str, Step]:
    return {s.key: s for s in work.workflow_of(incident).steps.select_related("run__responsible", "assignee")}


def own_steps(incident, person) -> list[Step]:
    return [s for s in steps_of(incident).values() if s.executor_id == person.pk]


def add_photo(incident, step, actor, colour="red", **extra):
    fields = dict(
        kind=EvidenceKind.PHOTO,
        source=EvidenceSource.UPLOAD,
        collected_at=timezone.now() - timedelta(minutes=5),
        relevance="Shows the barricaded area",
        upload=png(colour),
        location=incident.location,
    )
    fields.update(extra)
    return work.add_step_evidence(incident=incident, step=step, actor=actor, **fields)


def test_workflow_follows_the_category_template_version(started):
    run = work.workflow_of(started)
    assert run.template.code == "fall_of_ground"
    steps = list(run.steps.order_by("position"))
    template_steps = list(run.template.steps.order_by("position"))
    assert [s.key for s in steps] == [t.key for t in template_steps]
    # Each step is due after its template duration, but never after the incident's resolve deadline.
    assert all(
        s.due_at == min(started.reported_at + t.due_offset, started.resolve_due_at)
        for s, t in zip(steps, template_steps, strict=True)
    )
    assert any(started.reported_at + t.due_offset > started.resolve_due_at for t in template_steps)


def test_position_steps_go_to_the_position_holder(started, people):
    geotech_steps = [s for s in steps_of(started).values() if s.template_step.responsible_position_id]
    assert geotech_steps
    assert all(s.assignee is not None and s.assignee != people["responsible"] for s in geotech_steps)


def test_running_workflow_keeps_its_template_version(started, mine):
    from workflows.services.templates import install_template, read_library_template

    spec = read_library_template("fall_of_ground")
    spec["steps"] = spec["steps"][:2]
    new_version, created = install_template(tenant=mine, spec=spec)
    assert created and new_version.version == 2
    run = work.workflow_of(started)
    assert run.template.version == 1
    assert run.steps.count() == len(read_library_template("fall_of_ground")["steps"])


def test_unchanged_template_is_not_installed_twice(mine):
    from workflows.services.templates import load_template_library

    assert not any(created for _, created in load_template_library(tenant=mine, codes=["fall_of_ground"]))


def test_completing_a_step_needs_its_required_evidence(started, people):
    step = next(s for s in own_steps(started, people["responsible"]) if EvidenceKind.PHOTO in s.required_evidence)
    with pytest.raises(PolicyError) as refused:
        work.complete_step(incident=started, step=step, actor=people["responsible"])
    assert refused.value.code == "evidence.missing"
    assert AuditEvent.objects.filter(action="transition_denied", changes__code="evidence.missing").exists()
    add_photo(started, step, people["responsible"])
    for kind in set(step.required_evidence) - {EvidenceKind.PHOTO}:
        work.add_step_evidence(
            incident=started,
            step=step,
            actor=people["responsible"],
            kind=kind,
            source=EvidenceSource.UPLOAD,
            collected_at=timezone.now(),
            relevance="Recorded for the step",
            text="Reading or statement recorded on site",
        )
    done = work.complete_step(incident=started, step=step, actor=people["responsible"])
    assert done.status == StepStatus.COMPLETED and done.completed_by == people["responsible"]


def test_only_the_executor_works_a_step(started, people):
    step = own_steps(started, people["responsible"])[0]
    with pytest.raises(PolicyError) as refused:
        add_photo(started, step, people["supervisor"])
    assert refused.value.code == "access_denied"
    assert not Evidence.objects.filter(step=step).exists()


def test_steps_are_worked_only_while_in_progress(make_incident, people):
    incident = make_incident()
    incident_workflows.start_incident_workflow(incident=incident)
    step = own_steps(incident, people["responsible"])[0]
    with pytest.raises(PolicyError) as refused:
        add_photo(incident, step, people["responsible"])
    assert refused.value.code == "transition.not_allowed"
    assert "Acknowledge" in refused.value.message


@pytest.mark.parametrize("justification", ["n/a", "N/A", "not applicable", "-", "none", "too short reason"])
def test_mandatory_step_not_applicable_needs_substance(started, people, justification):
    step = next(s for s in own_steps(started, people["responsible"]) if s.mandatory)
    with pytest.raises(PolicyError) as refused:
        work.mark_step_not_applicable(
            incident=started, step=step, actor=people["responsible"], justification=justification
        )
    assert refused.value.code == "step.justification_required"
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING


def test_justified_not_applicable_is_audited_and_counted(started, people, mine):
    step = next(s for s in own_steps(started, people["responsible"]) if s.mandatory)
    reason = "No persons were in the area and nobody was injured, so no medical treatment was needed."
    done = work.mark_step_not_applicable(incident=started, step=step, actor=people["responsible"], justification=reason)
    assert done.status == StepStatus.NOT_APPLICABLE and done.justification == reason
    event = AuditEvent.objects.filter(object_type="workflows.step", object_id=str(step.pk)).latest("seq")
    assert event.changes["justification"] == reason and event.changes["step_key"] == step.key
    counts = skipped_step_counts(mine)
    assert counts[0]["template_step__key"] == step.key and counts[0]["skipped"] == 1


def test_pause_creates_an_information_request_that_blocks_completion(started, people):
    step = own_steps(started, people["responsible"])[0]
    info = work.pause_step(
        incident=started,
        step=step,
        actor=people["responsible"],
        responsible=people["supervisor"],
        request="Which crew was working the panel at the time of the fall?",
        due_at=timezone.now() + timedelta(hours=2),
    )
    step.refresh_from_db()
    assert step.status == StepStatus.PAUSED and info.parent_step == step and info.responsible == people["supervisor"]
    assert "An information request is still open." in work.completion_blockers(started, work.workflow_of(started))
    with pytest.raises(PolicyError) as refused:
        work.complete_step(incident=started, step=step, actor=people["responsible"])
    assert refused.value.code == "access_denied"
    with pytest.raises(PolicyError):
        work.resolve_information_request(
            request=info, actor=people["responsible"], resolution="Crew 7 under J. Mokoena"
        )
    work.resolve_information_request(
        request=info, actor=people["supervisor"], resolution="Crew 7 under shift boss J. Mokoena was on the panel."
    )
    step.refresh_from_db()
    info.refresh_from_db()
    assert info.status == "resolved" and step.status == StepStatus.IN_PROGRESS


def test_complete_work_refuses_while_mandatory_steps_are_open(started, people):
    with pytest.raises(PolicyError) as refused:
        work.complete_work(incident=started, actor=people["responsible"])
    assert refused.value.code == "workflow.steps_incomplete"
    started.refresh_from_db()
    assert started.status == IncidentStatus.IN_PROGRESS


def test_evidence_content_is_immutable_in_the_database(started, people):
    step = own_steps(started, people["responsible"])[0]
    item = add_photo(started, step, people["responsible"])
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.filter(pk=item.pk).update(relevance="rewritten afterwards")
    item.refresh_from_db()
    assert item.relevance == "Shows the barricaded area"


def test_same_bytes_are_stored_once(started, people):
    steps = own_steps(started, people["responsible"])
    first = add_photo(started, steps[0], people["responsible"], colour="blue")
    second = add_photo(started, steps[1], people["responsible"], colour="blue")
    assert first.sha256 == second.sha256 and first.storage_name == second.storage_name


def test_invalidating_evidence_reopens_the_step_that_relied_on_it(started, people):
    step = next(s for s in own_steps(started, people["responsible"]) if s.required_evidence == [EvidenceKind.PHOTO])
    item = add_photo(started, step, people["responsible"])
    work.complete_step(incident=started, step=step, actor=people["responsible"])
    invalidation.invalidate_evidence(
        incident=started, evidence=item, actor=people["responsible"], reason="The photo shows the wrong cross-cut."
    )
    step.refresh_from_db()
    item.refresh_from_db()
    assert item.invalidated_at is not None and item.invalidation_reason.startswith("The photo")
    assert step.status == StepStatus.IN_PROGRESS
    with pytest.raises(PolicyError) as again:
        invalidation.invalidate_evidence(
            incident=started, evidence=item, actor=people["responsible"], reason="Invalidating it a second time."
        )
    assert again.value.code == "evidence.invalidated"


def test_delegating_a_sev1_step_waits_for_acceptance(make_incident, people):
    incident = make_incident(severity=Severity.SEV1)
    incident_workflows.start_incident_workflow(incident=incident)
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    step = own_steps(incident, people["responsible"])[0]
    delegation = work.delegate_step(
        incident=incident,
        step=step,
        actor=people["responsible"],
        to_person=people["reporter"],
        reason_code=DelegationReason.LOCATION,
        handoff_note="You are at the face; photograph the barricade before the next blast.",
    )
    assert delegation.status == DelegationStatus.PROPOSED
    step.refresh_from_db()
    assert step.assignee_id is None
    from workflows.services.steps import accept_step_delegation

    accept_step_delegation(delegation=delegation, actor=people["reporter"])
    step.refresh_from_db()
    assert step.assignee == people["reporter"]


def test_delegating_responsibility_keeps_the_owner(make_incident, people):
    started = make_incident(severity=Severity.SEV3)
    incident_workflows.start_incident_workflow(incident=started)
    owner = started.owner
    work.delegate_incident(
        incident=started,
        actor=people["responsible"],
        to_person=people["supervisor"],
        reason_code=DelegationReason.ABSENCE,
        handoff_note="On leave from tomorrow; the overseer takes the investigation.",
    )
    started.refresh_from_db()
    assert started.responsible == people["supervisor"] and started.owner == owner
    assert started.initial_responsible == people["responsible"]
    assert WorkflowRun.objects.get(pk=work.workflow_of(started).pk).responsible == people["supervisor"]


def test_generated_steps_have_history_from_the_start(started):
    run = work.workflow_of(started)
    assert Step.history.filter(run_id=run.pk, history_type="+").count() == run.steps.count()


def _history_values(rows) -> list[dict]:
    differing = {"id", "key", "position", "created_at", "updated_at"}
    tracked = [f.attname for f in Step.history.model.tracked_fields if f.attname not in differing]
    return [{name: getattr(row, name) for name in [*tracked, "history_type", "history_user_id"]} for row in rows]


def test_steps_and_their_history_are_written_as_the_history_library_writes_them(started, people):
    """`create_with_history` (one statement on PostgreSQL) leaves the same rows and history
    rows as simple-history's own `bulk_create_with_history`."""
    run = work.workflow_of(started)
    template = list(run.steps.order_by("template_step__position"))

    def copies(suffix: str, offset: int) -> list[Step]:
        return [
            Step(
                organisation_id=s.organisation_id,
                run=run,
                template_step_id=s.template_step_id,
                position=s.position + offset,
                key=f"{s.key}-{suffix}",
                name=s.name,
                instructions=s.instructions,
                mandatory=s.mandatory,
                required_evidence=s.required_evidence,
                due_at=s.due_at,
                assignee=people["responsible"] if n % 2 else None,
            )
            for n, s in enumerate(template)
        ]

    ours = create_with_history(Step, copies("ours", 100))
    theirs = bulk_create_with_history(copies("lib", 200), Step)
    assert all(step.pk for step in ours) and not any(step._state.adding for step in ours)
    for mine, lib in zip(ours, theirs, strict=True):
        stored = Step.objects.get(pk=mine.pk)
        assert stored.required_evidence == lib.required_evidence and stored.due_at == lib.due_at
        assert stored.key == mine.key and stored.assignee_id == lib.assignee_id
    history = Step.history.filter(history_type="+")
    assert _history_values(history.filter(key__endswith="-ours").order_by("id")) == _history_values(
        history.filter(key__endswith="-lib").order_by("id")
    )
    assert [h.id for h in history.filter(key__endswith="-ours").order_by("id")] == [s.pk for s in ours]
