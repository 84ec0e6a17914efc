"""Closure decisions notify through the one notification path: an inbox row and, after commit,
an e-mail rendered from the decision's template under templates/notifications/."""

from __future__ import annotations

import pytest
from django.core import mail

from incidents.choices import DecisionKind
from incidents.closure.services import closure
from iwms.models import Notification
from tests.incidents import test_closure

pytestmark = pytest.mark.django_db

CHECKLIST = test_closure.CHECKLIST


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _decide(kind: str, incident, people):
    supervisor = people["supervisor"]
    if kind == DecisionKind.APPROVE:
        return closure.approve_closure(incident=incident, actor=supervisor, checklist=CHECKLIST)
    if kind == DecisionKind.REJECT:
        return closure.reject_closure(
            incident=incident, actor=supervisor, instructions="Re-bolt the hanging wall and photograph the result."
        )
    return closure.request_more_evidence(
        incident=incident,
        actor=supervisor,
        items=[{"step": "make_safe", "item": "A photo of the barricade from the second access way"}],
    )


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        (DecisionKind.APPROVE, "its closure is approved"),
        (DecisionKind.REJECT, "rejected the closure"),
        (DecisionKind.MORE_EVIDENCE, "asks for more evidence"),
    ],
)
def test_a_closure_decision_lands_in_the_inbox_and_is_emailed(
    kind, phrase, pending, people, django_capture_on_commit_callbacks
):
    incident = pending()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decision = _decide(kind, incident, people)
    responsible = people["responsible"]
    note = Notification.objects.get(recipient=responsible, event=f"closure.{kind}", object_id=str(decision.pk))
    assert note.emailed_at is not None
    sent = [message for message in mail.outbox if message.to == [responsible.email]]
    assert len(sent) == 1
    assert sent[0].subject == f"[IWMS] {note.subject}"
    assert phrase in sent[0].body and incident.reference in sent[0].body
    assert f"http://127.0.0.1:8000{note.url}" in sent[0].body


def test_every_decision_kind_has_an_email_template():
    from django.template.loader import get_template

    for kind in DecisionKind.values:
        assert get_template(f"notifications/closure.{kind}.txt")
