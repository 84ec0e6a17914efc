"""Delegation of responsibility (the ARC trace): who handed what to whom, why, and when accepted."""

from __future__ import annotations

import pytest

from arc.choices import DelegationReason, DelegationScope, DelegationStatus
from arc.models import Delegation
from arc.services import accept_delegation, decline_delegation, delegate_responsibility, revoke_delegation
from iwms.audit import verify_chain
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOTE = "Barricade is up at level 8; the geotechnical engineer visits at 14:00."


def _delegate(org, from_person, to_person, *, requires_acceptance=False, **overrides):
    fields = dict(
        tenant=org.tenant,
        subject_type="incidents.incident",
        subject_id="42",
        scope=DelegationScope.RESPONSIBILITY,
        from_person=from_person,
        to_person=to_person,
        reason_code=DelegationReason.SHIFT_CHANGE,
        handoff_note=NOTE,
        requires_acceptance=requires_acceptance,
    )
    fields.update(overrides)
    return delegate_responsibility(**fields)


def _delegate_events(delegation):
    return list(
        AuditEvent.objects.filter(
            object_type="arc.delegation", object_id=str(delegation.pk), action="delegate"
        ).order_by("seq")
    )


def test_a_delegation_without_acceptance_takes_effect_at_once(org):
    delegation = _delegate(org, org.supervisor_a, org.miner_a)

    stored = Delegation.objects.get(pk=delegation.pk)
    assert stored.status == DelegationStatus.ACCEPTED
    assert stored.accepted_at is not None
    assert (stored.from_person, stored.to_person, stored.reason_code, stored.handoff_note) == (
        org.supervisor_a,
        org.miner_a,
        DelegationReason.SHIFT_CHANGE,
        NOTE,
    )
    [event] = _delegate_events(delegation)
    assert event.actor == org.supervisor_a
    assert event.changes["status"] == "accepted"


def test_a_delegation_needing_acceptance_waits_for_the_recipient(org):
    delegation = _delegate(org, org.supervisor_a, org.miner_a, requires_acceptance=True)

    stored = Delegation.objects.get(pk=delegation.pk)
    assert (stored.status, stored.accepted_at) == (DelegationStatus.PROPOSED, None)

    accepted = accept_delegation(delegation=delegation, actor=org.miner_a, note="On it.")

    stored = Delegation.objects.get(pk=delegation.pk)
    assert stored.status == accepted.status == DelegationStatus.ACCEPTED
    assert stored.accepted_at is not None and stored.decided_note == "On it."
    assert [e.changes["status"] for e in _delegate_events(delegation)] == ["proposed", ["proposed", "accepted"]]


def test_only_the_recipient_can_accept_a_delegation(org):
    delegation = _delegate(org, org.supervisor_a, org.miner_a, requires_acceptance=True)

    for bystander in (org.supervisor_a, org.head):
        with pytest.raises(PolicyError) as refused:
            accept_delegation(delegation=delegation, actor=bystander)
        assert refused.value.code == "transition.forbidden"

    stored = Delegation.objects.get(pk=delegation.pk)
    assert (stored.status, stored.accepted_at) == (DelegationStatus.PROPOSED, None)


def test_an_accepted_delegation_cannot_be_accepted_again(org):
    delegation = _delegate(org, org.supervisor_a, org.miner_a)

    with pytest.raises(PolicyError) as refused:
        accept_delegation(delegation=delegation, actor=org.miner_a)

    assert refused.value.code == "transition.not_allowed"


def test_the_recipient_may_decline_and_the_giver_may_revoke(org):
    declined = decline_delegation(
        delegation=_delegate(org, org.supervisor_a, org.miner_a, requires_acceptance=True),
        actor=org.miner_a,
        note="I am on leave from tomorrow.",
    )
    revoked = revoke_delegation(
        delegation=_delegate(org, org.supervisor_a, org.miner_b), actor=org.supervisor_a, note="Handled it myself."
    )

    assert Delegation.objects.get(pk=declined.pk).status == DelegationStatus.DECLINED
    assert Delegation.objects.get(pk=revoked.pk).status == DelegationStatus.REVOKED


def test_delegating_to_oneself_is_refused(org):
    with pytest.raises(PolicyError) as refused:
        _delegate(org, org.supervisor_a, org.supervisor_a)

    assert refused.value.code == "arc.self_delegation"
    assert not Delegation.objects.exists()


@pytest.mark.parametrize("note", ["", "see above", "   too short    ", "x" * 14])
def test_a_hand_off_note_too_short_to_be_useful_is_refused(org, note):
    with pytest.raises(PolicyError) as refused:
        _delegate(org, org.supervisor_a, org.miner_a, handoff_note=note)

    assert refused.value.code == "validation.invalid"
    assert refused.value.context["field"] == "handoff_note"
    assert not Delegation.objects.exists()


def test_delegating_to_a_person_of_another_tenant_is_refused(org, other_tenant):
    outsider = UserFactory(organisation=other_tenant)

    with pytest.raises(PolicyError) as refused:
        _delegate(org, org.supervisor_a, outsider)

    assert refused.value.code == "tenant.cross_reference"
    assert not Delegation.objects.exists()


def test_a_chain_of_hand_offs_is_recorded_as_one_delegation_per_hand_off(org):
    first = _delegate(org, org.head, org.supervisor_a, reason_code=DelegationReason.WORKLOAD)
    second = _delegate(org, org.supervisor_a, org.miner_a, reason_code=DelegationReason.LOCATION)

    trace = Delegation.objects.filter(subject_type="incidents.incident", subject_id="42").order_by("created_at", "pk")
    assert [(d.from_person, d.to_person, d.reason_code, d.status) for d in trace] == [
        (org.head, org.supervisor_a, DelegationReason.WORKLOAD, DelegationStatus.ACCEPTED),
        (org.supervisor_a, org.miner_a, DelegationReason.LOCATION, DelegationStatus.ACCEPTED),
    ]
    for delegation, giver, taker in [(first, org.head, org.supervisor_a), (second, org.supervisor_a, org.miner_a)]:
        [event] = _delegate_events(delegation)
        assert event.actor == giver
        assert (event.changes["from"], event.changes["to"], event.changes["subject"]) == (
            giver.pk,
            taker.pk,
            "incidents.incident:42",
        )
    assert verify_chain(org.tenant).ok


def test_a_delegation_has_no_field_through_which_accountability_could_move():
    names = {field.name for field in Delegation._meta.get_fields()}

    assert not {name for name in names if "owner" in name or "accountab" in name}
    assert {"from_person", "to_person", "scope", "reason_code", "handoff_note", "accepted_at"} <= names
