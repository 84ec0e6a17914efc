"""`run_transition`, the one way a governed state changes, with a real FSM model: a delegation
of responsibility (protected `status` field). All or nothing, audited either way."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction
from django.utils import timezone

from arc.choices import DelegationStatus
from arc.models import Delegation
from arc.services import accept_delegation, revoke_delegation
from iwms import transitions
from iwms.audit import verify_chain
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from iwms.transitions import condition, run_transition, unmet_conditions

pytestmark = pytest.mark.django_db

ACCEPTED = ["proposed", "accepted"]


def transition_events(delegation):
    """The ledger's record of the delegation's transitions (its creation is a delegate event too)."""
    return AuditEvent.objects.filter(
        object_type="arc.delegation", object_id=str(delegation.pk), action="delegate", changes__has_key="status"
    ).exclude(changes__has_key="subject")


def denials(delegation):
    return AuditEvent.objects.filter(object_id=str(delegation.pk), action="transition_denied").order_by("seq")


def test_accepting_changes_the_state_saves_and_writes_one_audit_event(delegation, taker, tenant):
    events_before = AuditEvent.objects.count()
    accepted = accept_delegation(delegation=delegation, actor=taker, note="On it.")
    assert accepted.status == DelegationStatus.ACCEPTED
    stored = Delegation.objects.get(pk=delegation.pk)
    assert (stored.status, stored.decided_note) == (DelegationStatus.ACCEPTED, "On it.")
    assert stored.accepted_at is not None
    assert AuditEvent.objects.count() == events_before + 1
    event = transition_events(delegation).get()
    assert event.changes == {"status": ACCEPTED}
    assert (event.actor, event.message, event.organisation_id) == (taker, "Delegation accepted.", tenant.pk)
    assert verify_chain(tenant).ok


def test_a_transition_leaves_field_history_for_the_timeline(delegation, taker):
    accept_delegation(delegation=delegation, actor=taker)
    assert list(delegation.history.order_by("history_id").values_list("status", flat=True)) == ["proposed", "accepted"]


def test_extra_changes_and_action_are_recorded(delegation, taker):
    run_transition(delegation, "accept", actor=taker, action="update", extra_changes={"note": "ok"}, at=timezone.now())
    event = AuditEvent.objects.get(action="update", object_id=str(delegation.pk))
    assert event.changes == {"status": ACCEPTED, "note": "ok"}


def test_accepting_twice_is_not_allowed_and_the_refusal_is_audited(delegation, taker, tenant):
    accept_delegation(delegation=delegation, actor=taker)
    with pytest.raises(PolicyError) as refused:
        accept_delegation(delegation=delegation, actor=taker)  # the caller's copy still says proposed
    error = refused.value
    assert error.code == "transition.not_allowed" and error.http_status == 409
    assert error.message == "Delegation cannot accept while it is accepted."
    denied = denials(delegation).get()
    assert denied.actor == taker and denied.organisation_id == tenant.pk
    assert denied.message == error.message
    assert denied.changes == {
        "code": "transition.not_allowed",
        "kind": "state",
        "transition": "accept",
        "state": "accepted",
    }
    assert transition_events(delegation).count() == 1
    assert verify_chain(tenant).ok


def test_the_wrong_user_is_forbidden_audited_and_nothing_changes(delegation, giver):
    with pytest.raises(PolicyError) as refused:
        accept_delegation(delegation=delegation, actor=giver)
    assert refused.value.code == "transition.forbidden" and refused.value.http_status == 403
    assert Delegation.objects.get(pk=delegation.pk).status == DelegationStatus.PROPOSED
    denied = denials(delegation).get()
    assert denied.actor == giver
    assert denied.changes["code"] == "transition.forbidden" and denied.changes["state"] == "proposed"
    assert not transition_events(delegation).exists()


def test_an_outsider_from_another_tenant_is_forbidden_and_audited_in_this_tenant(delegation, outsider, tenant):
    with pytest.raises(PolicyError) as refused:
        accept_delegation(delegation=delegation, actor=outsider)
    assert refused.value.code == "transition.forbidden"
    denied = denials(delegation).get()
    assert (denied.organisation_id, denied.actor_id) == (tenant.pk, outsider.pk)
    assert Delegation.objects.get(pk=delegation.pk).status == DelegationStatus.PROPOSED


def test_a_failure_after_the_transition_rolls_everything_back(delegation, taker, monkeypatch):
    def ledger_down(**kwargs):
        raise RuntimeError("ledger unavailable")

    events_before = AuditEvent.objects.count()
    history_before = delegation.history.count()
    monkeypatch.setattr(transitions, "record_event", ledger_down)
    with pytest.raises(RuntimeError, match="ledger unavailable"):
        accept_delegation(delegation=delegation, actor=taker)
    stored = Delegation.objects.get(pk=delegation.pk)
    assert (stored.status, stored.accepted_at, stored.decided_note) == (DelegationStatus.PROPOSED, None, "")
    assert delegation.history.count() == history_before  # the saved row's history went too
    assert AuditEvent.objects.count() == events_before


def test_a_transition_inside_a_failing_outer_transaction_is_rolled_back_with_it(delegation, taker):
    with pytest.raises(RuntimeError), transaction.atomic():
        accept_delegation(delegation=delegation, actor=taker)
        raise RuntimeError("the enclosing service failed")
    assert Delegation.objects.get(pk=delegation.pk).status == DelegationStatus.PROPOSED
    assert not transition_events(delegation).exists()


def test_on_commit_side_effect_runs_only_after_commit(delegation, taker, django_capture_on_commit_callbacks):
    fired: list[int] = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_transition(
            delegation, "accept", actor=taker, on_commit=lambda: fired.append(delegation.pk), at=timezone.now()
        )
    assert fired == [] and len(callbacks) == 1  # not run inside the transaction
    callbacks[0]()
    assert fired == [delegation.pk]


def test_on_commit_side_effect_runs_when_the_transaction_commits(delegation, taker, django_capture_on_commit_callbacks):
    fired: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        run_transition(
            delegation,
            "accept",
            actor=taker,
            on_commit=lambda: fired.append(Delegation.objects.get(pk=delegation.pk).status),
            at=timezone.now(),
        )
    assert fired == ["accepted"]  # the callback sees the committed state


def test_no_side_effect_is_scheduled_for_a_refused_transition(delegation, giver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(PolicyError):
        run_transition(delegation, "accept", actor=giver, on_commit=lambda: None, at=timezone.now())
    assert callbacks == []


def test_no_side_effect_runs_when_an_outer_transaction_rolls_back(
    delegation, taker, django_capture_on_commit_callbacks
):
    fired: list[int] = []
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        run_transition(delegation, "accept", actor=taker, on_commit=lambda: fired.append(1), at=timezone.now())
        raise RuntimeError("rolled back")
    assert callbacks == [] and fired == []


def test_an_unmet_condition_refuses_with_its_reason(delegation, taker):
    @condition("The hand-off note must be read first.")
    def note_read(instance):
        return False

    spec = Delegation.accept._django_fsm.get_transition(DelegationStatus.PROPOSED)
    spec.conditions.append(note_read)
    try:
        assert unmet_conditions(delegation, "accept") == ["The hand-off note must be read first."]
        with pytest.raises(PolicyError) as refused:
            accept_delegation(delegation=delegation, actor=taker)
    finally:
        spec.conditions.remove(note_read)
    assert refused.value.code == "transition.not_allowed"
    assert refused.value.message == "The hand-off note must be read first."
    assert denials(delegation).get().changes["reasons"] == ["The hand-off note must be read first."]
    assert Delegation.objects.get(pk=delegation.pk).status == DelegationStatus.PROPOSED


def test_a_condition_without_a_reason_is_named_after_its_function(delegation):
    def handoff_acknowledged(instance):
        return False

    spec = Delegation.accept._django_fsm.get_transition(DelegationStatus.PROPOSED)
    spec.conditions.append(handoff_acknowledged)
    try:
        assert unmet_conditions(delegation, "accept") == ["handoff acknowledged"]
    finally:
        spec.conditions.remove(handoff_acknowledged)


def test_unmet_conditions_explains_a_wrong_state(delegation, taker):
    accepted = accept_delegation(delegation=delegation, actor=taker)
    assert unmet_conditions(accepted, "accept") == ["Not possible while the state is accepted."]
    assert unmet_conditions(delegation, "accept") == []  # a fresh proposal may be accepted


def test_a_method_that_is_not_a_transition_is_a_programming_error(delegation, taker):
    with pytest.raises(TypeError, match="not a django-fsm transition"):
        run_transition(delegation, "save", actor=taker)
    assert not denials(delegation).exists()


def test_a_system_actor_is_not_subject_to_user_permissions(delegation, tenant):
    accepted = run_transition(delegation, "accept", actor="system:auto-accept", at=timezone.now())
    assert accepted.status == DelegationStatus.ACCEPTED
    event = AuditEvent.objects.get(action="transition", object_id=str(delegation.pk))
    assert (event.actor_kind, event.actor_label, event.changes) == (
        "system",
        "system:auto-accept",
        {"status": ACCEPTED},
    )


def test_a_later_transition_from_the_new_state_works(delegation, giver, taker):
    accept_delegation(delegation=delegation, actor=taker)
    revoked = revoke_delegation(delegation=delegation, actor=giver, note="Back on shift.")
    assert revoked.status == DelegationStatus.REVOKED
    assert [e.changes for e in transition_events(delegation).order_by("seq")] == [
        {"status": ACCEPTED},
        {"status": ["accepted", "revoked"]},
    ]


def test_the_state_field_cannot_be_set_directly(delegation):
    with pytest.raises(AttributeError):
        delegation.status = DelegationStatus.ACCEPTED
    assert Delegation.objects.get(pk=delegation.pk).status == DelegationStatus.PROPOSED


@pytest.mark.postgres_only(reason="row locks held across connections")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_accepts_succeed_exactly_once(delegation, taker, tenant):
    attempts = 20
    start = threading.Barrier(attempts)
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept() -> None:
        try:
            start.wait()
            accept_delegation(delegation=delegation, actor=taker)
            outcome = "accepted"
        except PolicyError as exc:
            outcome = exc.code
        except BaseException as exc:  # asserted below
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=accept) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["accepted"] + ["transition.not_allowed"] * (attempts - 1)
    assert Delegation.objects.get(pk=delegation.pk).status == DelegationStatus.ACCEPTED
    assert transition_events(delegation).count() == 1
    assert denials(delegation).count() == attempts - 1
    assert delegation.history.filter(status=DelegationStatus.ACCEPTED).count() == 1
    assert verify_chain(tenant).ok
