"""The transition wrapper with a real FSM model (a delegation of responsibility)."""

from __future__ import annotations

import pytest

from arc.choices import DelegationReason, DelegationScope, DelegationStatus
from arc.models import Delegation
from arc.services import accept_delegation, delegate_responsibility
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from iwms.transitions import condition, run_transition, unmet_conditions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delegation(tenant):
    giver, taker = UserFactory(organisation=tenant), UserFactory(organisation=tenant)
    return delegate_responsibility(
        tenant=tenant,
        subject_type="incidents.incident",
        subject_id="42",
        scope=DelegationScope.RESPONSIBILITY,
        from_person=giver,
        to_person=taker,
        reason_code=DelegationReason.SHIFT_CHANGE,
        handoff_note="Barricade is up; the geotech visit is booked for 14:00.",
        requires_acceptance=True,
    )


def test_transition_changes_state_and_writes_one_audit_event(delegation):
    accepted = accept_delegation(delegation=delegation, actor=delegation.to_person)
    assert accepted.status == DelegationStatus.ACCEPTED and accepted.accepted_at is not None
    events = AuditEvent.objects.filter(object_type="arc.delegation", object_id=str(delegation.pk), action="delegate")
    assert [e.changes.get("status") for e in events.order_by("seq")] == ["proposed", ["proposed", "accepted"]]


def test_wrong_actor_is_forbidden_audited_and_nothing_changes(delegation):
    with pytest.raises(PolicyError) as refused:
        accept_delegation(delegation=delegation, actor=delegation.from_person)
    assert refused.value.code == "transition.forbidden"
    assert Delegation.objects.get(pk=delegation.pk).status == DelegationStatus.PROPOSED
    denied = AuditEvent.objects.get(action="transition_denied")
    assert denied.actor == delegation.from_person and denied.changes["code"] == "transition.forbidden"


def test_on_commit_side_effect_runs_only_after_commit(delegation, django_capture_on_commit_callbacks):
    fired = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_transition(delegation, "accept", actor=delegation.to_person, on_commit=lambda: fired.append(1), at=None)
    assert fired == [] and len(callbacks) == 1
    callbacks[0]()
    assert fired == [1]


def test_condition_reasons_are_reported_for_greyed_out_buttons(delegation):
    @condition("The hand-off note must be read first.")
    def note_read(instance):
        return False

    meta = Delegation.accept._django_fsm
    spec = meta.get_transition(DelegationStatus.PROPOSED)
    spec.conditions.append(note_read)
    try:
        assert unmet_conditions(delegation, "accept") == ["The hand-off note must be read first."]
        with pytest.raises(PolicyError) as refused:
            accept_delegation(delegation=delegation, actor=delegation.to_person)
        assert refused.value.context["reasons"] == ["The hand-off note must be read first."]
    finally:
        spec.conditions.remove(note_read)
