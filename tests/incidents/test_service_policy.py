"""Every public service of incidents checks its own policy: called directly — no view in
front of it — by someone who may not, it refuses with the policy's code and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from arc.choices import DelegationReason
from incidents.choices import IncidentStatus, Severity
from incidents.closure.services import closure, invalidation, mismatches
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import ClosureDecision, Incident
from incidents.sla.services import clock_changes as clocks
from incidents.work.services import execution as work
from incidents.work.services import review
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from tests.incidents.test_closure import CHECKLIST
from tests.incidents.test_work import add_photo
from workflows.models import Step

pytestmark = pytest.mark.django_db


def refused(call) -> str:
    with pytest.raises(PolicyError) as refusal:
        call()
    return refusal.value.code


def test_the_responsible_persons_services_refuse_everyone_else(make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    incident_workflows.start_incident_workflow(incident=incident)
    supervisor, reporter = people["supervisor"], people["reporter"]
    assert refused(lambda: lifecycle.acknowledge_incident(incident=incident, actor=supervisor)) == "access_denied"
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    assert refused(lambda: lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])) == (
        "transition.not_allowed"
    )
    step = Step.objects.select_related("run__responsible", "assignee").filter(run=work.workflow_of(incident))[0]
    item = add_photo(incident, step, people["responsible"])
    calls = {
        "complete_work": lambda: work.complete_work(incident=incident, actor=supervisor),
        "send_review_again": lambda: review.send_review_again(incident=incident, actor=supervisor),
        "correct_account": lambda: work.correct_account(
            incident=incident,
            actor=supervisor,
            narrative="x" * 40,
            location="Shaft 2, level 8",
            reason="The supervisor rewrites it.",
        ),
        "delegate_incident": lambda: work.delegate_incident(
            incident=incident,
            actor=supervisor,
            to_person=reporter,
            reason_code=DelegationReason.WORKLOAD,
            handoff_note="Taking it off his hands.",
        ),
        "change_severity": lambda: clocks.change_severity(
            incident=incident, actor=reporter, severity=Severity.SEV1, reason="It looks worse to me."
        ),
        "invalidate_evidence": lambda: invalidation.invalidate_evidence(
            incident=incident, evidence=item, actor=reporter, reason="I do not like this photo at all."
        ),
        "add_step_evidence": lambda: work.add_step_evidence(
            incident=incident,
            step=step,
            actor=reporter,
            kind="narrative",
            source="upload",
            collected_at=timezone.now(),
            relevance="Mine",
            location="here",
            text="Not my step.",
        ),
        "pause_step": lambda: work.pause_step(
            incident=incident,
            step=step,
            actor=reporter,
            responsible=supervisor,
            request="Which bolts were installed on this drive?",
            due_at=timezone.now() + timedelta(hours=1),
        ),
    }
    codes = {name: refused(call) for name, call in calls.items()}
    assert codes == dict.fromkeys(calls, "access_denied")
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.status, fresh.severity, fresh.responsible) == (
        IncidentStatus.IN_PROGRESS,
        Severity.SEV3,
        people["responsible"],
    )
    # each refusal is on the ledger, as an access refusal
    denied = AuditEvent.objects.filter(action="access_denied", changes__kind="access").count()
    assert denied >= len(calls) + 1


def test_the_deciders_services_refuse_everyone_else(pending, people):
    incident = pending()
    depthead = people["depthead"]  # above the decider, but not the decider
    calls = {
        "approve_closure": lambda: closure.approve_closure(incident=incident, actor=depthead, checklist=CHECKLIST),
        "override_review": lambda: closure.override_review(
            incident=incident, actor=depthead, checklist=CHECKLIST, justification="y" * 40
        ),
        "reject_closure": lambda: closure.reject_closure(
            incident=incident, actor=depthead, instructions="Photograph the extra bolts."
        ),
        "request_more_evidence": lambda: closure.request_more_evidence(
            incident=incident, actor=depthead, items=[{"step": "make_safe", "item": "A photo of the barricade."}]
        ),
        "report_organogram_mismatch": lambda: mismatches.report_organogram_mismatch(
            incident=incident, actor=depthead, note="The line is out of date here."
        ),
    }
    codes = {name: refused(call) for name, call in calls.items()}
    assert codes == dict.fromkeys(calls, "closure.not_supervisor")
    assert refused(
        lambda: closure.approve_closure(incident=incident, actor=people["responsible"], checklist=CHECKLIST)
    ) == ("closure.segregation_of_duties")
    assert refused(
        lambda: closure.reopen_incident(incident=incident, actor=people["top"], reason="It is not even closed yet.")
    ) == ("transition.not_allowed")
    assert refused(lambda: mismatches.reroute_incident(incident=incident, actor=depthead)) == "transition.not_allowed"
    assert not ClosureDecision.objects.exists()
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.PENDING_CLOSURE
