"""Notifications on the core flow (issue 13): who is told what — a new incident's owner and
responsible person, hand-offs, information requests, the deciders when it enters the closure
queue, the responsible person on a decision and the reporter on closure, tenant admins on a
waiting grant request — in the inbox and by e-mail after commit, never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from incidents.access.services import grants
from incidents.closure.services import closure
from incidents.work.services import execution as work
from iwms.models import Notification
from tests.incidents.test_closure import CHECKLIST
from tests.incidents.test_duplicates import confirm_url
from tests.incidents.test_report_views import fill_all_steps
from tests.incidents.test_work import own_steps, started  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def told(event: str) -> dict[str, Notification]:
    return {n.recipient.username: n for n in Notification.objects.filter(event=event).select_related("recipient")}


def test_a_new_report_tells_its_owner_and_responsible_person_once_by_inbox_and_email(
    client, people, django_capture_on_commit_callbacks
):
    client.force_login(people["reporter"])
    draft = fill_all_steps(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url(draft))
        client.post(confirm_url(draft))  # a second confirmation creates nothing and tells nobody again
    assigned = told("incident.assigned")
    assert set(assigned) == {"depthead", "responsible"}
    assert "you are accountable" in assigned["depthead"].subject
    assert "you are responsible" in assigned["responsible"].subject
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people["depthead"].email, people["responsible"].email])
    assert all(n.emailed_at is not None for n in assigned.values())


def test_an_information_request_tells_the_person_asked_and_the_answer_the_asker(people, started):  # noqa: F811
    step = own_steps(started, people["responsible"])[0]
    request = work.pause_step(
        incident=started,
        step=step,
        actor=people["responsible"],
        responsible=people["supervisor"],
        request="Which crew was at the loading box at 06:40?",
        due_at=timezone.now() + timedelta(hours=2),
    )
    asked = told("information.requested")
    assert set(asked) == {"supervisor"}
    assert asked["supervisor"].url == reverse("information_request", args=[request.pk])
    work.resolve_information_request(request=request, actor=people["supervisor"], resolution="Crew 4, Shift A.")
    assert set(told("information.answered")) == {"responsible"}


def test_a_whole_handoff_tells_the_person_taking_over(people, started):  # noqa: F811
    work.delegate_incident(
        incident=started,
        actor=people["responsible"],
        to_person=people["supervisor"],
        reason_code="absence",
        handoff_note="On leave from tomorrow; the crew list is on step 2.",
    )
    proposed = told("handoff.proposed")
    assert set(proposed) == {"supervisor"} and proposed["supervisor"].url == reverse("my_items")


def test_entering_the_closure_queue_tells_the_decider_and_not_the_responsible_person(pending, people):
    incident = pending()
    queued = told("closure.pending")
    assert set(queued) == {"supervisor"}
    assert queued["supervisor"].url == reverse("closure_decision", args=[incident.reference])


def test_approval_tells_the_responsible_person_and_the_reporter_and_emails_them(
    pending,
    people,
    django_capture_on_commit_callbacks,
):
    incident = pending()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    assert set(told("closure.approve")) == {"responsible"}
    closed = told("incident.closed")
    assert set(closed) == {"reporter"} and incident.reference in closed["reporter"].subject
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people["responsible"].email, people["reporter"].email])


def test_a_rejection_tells_the_responsible_person_by_email_too(pending, people, django_capture_on_commit_callbacks):
    incident = pending()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        closure.reject_closure(
            incident=incident, actor=people["supervisor"], instructions="Add the pull-test results to step 5."
        )
    assert set(told("closure.reject")) == {"responsible"}
    assert [m.to for m in mail.outbox] == [[people["responsible"].email]]
    assert "corrective" in mail.outbox[0].body


def test_a_grant_request_tells_the_tenant_admins(mine, people, started):  # noqa: F811
    grant = grants.request_grant(
        tenant=mine,
        actor=people["depthead"],
        grantee=people["regulator"],
        purpose="Inspection of the fall of ground",
        expires_at=timezone.now() + timedelta(days=30),
        incidents=[started],
    )
    waiting = told("grant.requested")
    assert set(waiting) == {"admin"}
    assert waiting["admin"].url == reverse("manage_grants") and waiting["admin"].object_id == str(grant.pk)


def test_every_event_of_the_core_flow_has_an_email_template():
    from django.template.loader import get_template

    for event in [
        "incident.assigned",
        "handoff.proposed",
        "handoff.received",
        "handoff.accepted",
        "handoff.declined",
        "handoff.withdrawn",
        "step.completed",
        "information.requested",
        "information.answered",
        "closure.pending",
        "incident.closed",
        "grant.requested",
        *(
            f"closure.{kind}"
            for kind in ["approve", "override", "reject", "more_evidence", "organogram_mismatch", "reopen"]
        ),
    ]:
        assert get_template(f"notifications/{event}.txt")
