"""Communications (templates, recipients, cadence, reminders, late records), the response's
moments, the post-incident review gating closure, and the KPIs computed from what is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents.response.choices import Audience, GroupKind, Moment, RoleKind
from incidents.response.gating import review_in_place, review_problems
from incidents.response.models import Communication, IncidentResponse, RecipientGroup, ResponseSettings, UpdateLapse
from incidents.response.selectors import response_kpis
from incidents.response.services import comms, moments, review, roles
from iwms.errors import PolicyError
from iwms.models import Notification


@pytest.fixture
def commanded(sev1, people):
    roles.assign_role(incident=sev1, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"])
    roles.assign_role(
        incident=sev1, role=RoleKind.COMMUNICATIONS_LEAD, holder=people["kmokoena"], actor=people["supervisor"]
    )
    return sev1


def test_a_template_is_filled_from_the_incident_and_unknown_fields_stay(commanded):
    template = comms.template_for(commanded, Audience.MANAGEMENT)
    text = comms.fill(template.body + " {nonsense}", commanded)
    assert "A SEV-1 incident is being handled at Shaft 2, level 8. Commander: Pieter Botha." in text
    assert text.endswith("{nonsense}")


def test_an_update_goes_to_its_groups_and_is_recorded_with_recipients(
    commanded, people, django_capture_on_commit_callbacks
):
    staff = RecipientGroup.objects.get(organisation=commanded.organisation, kind=GroupKind.AFFECTED_STAFF)
    staff.members.set([people["reporter"]])
    staff.addresses = "union.rep@example.org\n"
    staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        message = comms.send_message(
            incident=commanded,
            actor=people["kmokoena"],
            audience=Audience.INTERNAL_TECHNICAL,
            groups=[staff],
            subject="Shaft 2 closed",
            body="Shaft 2 is closed until the hoist rope is inspected.",
        )
    assert message.recipients == [people["reporter"].email, "union.rep@example.org"]
    assert message.sender == people["kmokoena"] and not message.late
    assert Notification.objects.filter(recipient=people["reporter"], event="response.update").exists()
    assert any("union.rep@example.org" in m.bcc for m in mail.outbox)
    response = IncidentResponse.objects.get(incident=commanded)
    assert response.next_update_due_at == message.sent_at + timedelta(minutes=30)


def test_only_the_communications_lead_commander_or_owner_send(commanded, people):
    group = RecipientGroup.objects.filter(organisation=commanded.organisation).first()
    with pytest.raises(PolicyError):
        comms.send_message(
            incident=commanded,
            actor=people["responsible"],
            audience=Audience.MANAGEMENT,
            groups=[group],
            subject="x",
            body="y",
        )


def test_the_sweep_reminds_the_lead_then_records_the_late_update_once(commanded, people):
    due = IncidentResponse.objects.get(incident=commanded).next_update_due_at
    assert comms.sweep_updates(now=due - timedelta(minutes=10)) == {"reminded": 0, "late": 0}
    assert comms.sweep_updates(now=due - timedelta(minutes=4)) == {"reminded": 1, "late": 0}
    assert Notification.objects.filter(recipient=people["kmokoena"], event="response.update_due").count() == 1
    assert comms.sweep_updates(now=due + timedelta(minutes=1)) == {"reminded": 0, "late": 1}
    assert comms.sweep_updates(now=due + timedelta(minutes=2)) == {"reminded": 0, "late": 0}
    assert UpdateLapse.objects.get(incident=commanded).lead == people["kmokoena"]
    # the update sent after its due time is recorded as late
    group = RecipientGroup.objects.get(organisation=commanded.organisation, kind=GroupKind.EXECUTIVES)
    Communication.objects.filter(incident=commanded).update(sent_at=due - timedelta(minutes=40))
    IncidentResponse.objects.filter(incident=commanded).update(next_update_due_at=timezone.now() - timedelta(minutes=5))
    late = comms.send_message(
        incident=commanded,
        actor=people["kmokoena"],
        audience=Audience.MANAGEMENT,
        groups=[group],
        subject="Late",
        body="Sorry",
    )
    assert late.late
    kpis = response_kpis(commanded.organisation_id)
    assert (kpis["updates_due"], kpis["updates_on_time"], kpis["late_updates"]) == (2, 1, 1)
    assert kpis["communication_compliance"] == 50.0


def test_moments_are_checked_in_order(commanded, people):
    with pytest.raises(PolicyError) as early:
        moments.record_moment(
            incident=commanded,
            moment=Moment.DETECTED,
            actor=people["supervisor"],
            at=commanded.occurred_at - timedelta(minutes=1),
        )
    assert early.value.context["field"] == "at"
    detected = commanded.occurred_at + timedelta(minutes=5)
    moments.record_moment(incident=commanded, moment=Moment.DETECTED, actor=people["supervisor"], at=detected)
    moments.record_moment(
        incident=commanded, moment=Moment.MITIGATED, actor=people["supervisor"], at=detected + timedelta(minutes=10)
    )
    with pytest.raises(PolicyError):
        moments.record_moment(
            incident=commanded, moment=Moment.RESOLVED, actor=people["supervisor"], at=detected + timedelta(minutes=5)
        )
    moments.record_moment(incident=commanded, moment=Moment.RESOLVED, actor=people["supervisor"])
    kpis = response_kpis(commanded.organisation_id)
    assert kpis["mttd"] == 5.0 and kpis["mttc"] == 10.0 and kpis["mttr"] > 10


def test_resolution_opens_a_blameless_review_that_gates_closure(commanded, people):
    assert review_problems(commanded) == ["The post-incident review has not been opened (record the resolution)."]
    moments.record_moment(incident=commanded, moment=Moment.RESOLVED, actor=people["supervisor"])
    pir = commanded.post_incident_review
    assert pir.owner == people["supervisor"] and "Pieter Botha designated incident commander." in pir.record
    assert pir.due_at.weekday() < 5 and pir.due_at > timezone.now() + timedelta(days=5)
    with pytest.raises(PolicyError) as incomplete:
        review.submit_review(review=pir, actor=people["supervisor"])
    assert incomplete.value.code == "response.review_incomplete" and "root_cause" in incomplete.value.context["errors"]
    sections = dict(
        summary="The hoist rope parted at the drum.",
        root_cause="Inspection interval longer than the rope's wear.",
        contributing_factors="Sipho Dlamini skipped the check.",
        what_worked="Barricading.",
        what_failed="Alarms.",
    )
    pir = review.save_review(review=pir, actor=people["supervisor"], depth="detailed_technical", **sections)
    assert pir.named_people == ["Sipho Dlamini"]
    review.submit_review(review=pir, actor=people["supervisor"])
    with pytest.raises(PolicyError):
        review.accept_review(review=pir, actor=people["supervisor"])  # nobody accepts a review they own
    item = review.add_action_item(
        review=pir,
        actor=people["supervisor"],
        description="Shorten the rope inspection interval",
        owner=None,
        due_at=None,
    )
    review.accept_review(review=pir, actor=people["depthead"])
    assert review_problems(commanded) == ["Every open action item needs an owner and a due date."]
    with pytest.raises(PolicyError) as blocked:
        review_in_place(commanded)
    assert blocked.value.code == "response.review_required"
    ResponseSettings.objects.filter(organisation=commanded.organisation).update(closure_rule="items_done")
    assert review_problems(commanded) == ["1 action item(s) are not done."]
    review.complete_action_item(item=item, actor=people["supervisor"])
    assert review_problems(commanded) == []
    kpis = response_kpis(commanded.organisation_id)
    assert (kpis["reviews_accepted"], kpis["reviews_on_time"], kpis["action_items_done"]) == (1, 1, 1)


def test_an_overdue_action_item_is_told_once_to_its_owner_and_the_reviews_owner(commanded, people):
    moments.record_moment(incident=commanded, moment=Moment.RESOLVED, actor=people["supervisor"])
    pir = commanded.post_incident_review
    review.add_action_item(
        review=pir,
        actor=people["supervisor"],
        description="Replace the rope",
        owner=people["zndlovu"],
        due_at=timezone.localdate(),
    )
    assert review.sweep_overdue_action_items(today=timezone.localdate()) == 0
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert review.sweep_overdue_action_items(today=tomorrow) == 1
    assert review.sweep_overdue_action_items(today=tomorrow) == 0
    told = set(
        Notification.objects.filter(event="response.action_overdue").values_list("recipient__username", flat=True)
    )
    assert told == {"zndlovu", "supervisor"}
