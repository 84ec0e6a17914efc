"""Changes to an incident's clocks made by people: a severity change (the open clocks recomputed
under the new targets), marking the incident contained (the contain clock stops) and the
mitigation note a SEV-1/SEV-2 warning asks for."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from incidents.choices import Severity
from incidents.core.clocks import MIN_MITIGATION_NOTE, MIN_REASON, SUBJECT, duration_text, refresh_next_clock
from incidents.core.deadlines import deadlines_for, decision_target, policy_for
from incidents.models import BreachWarning, Incident
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals
from workflows.choices import RunStatus
from workflows.selectors import main_run
from workflows.services.runs import fit_open_steps

# --- severity change -------------------------------------------------------------------------

# Rules of higher slices on every severity change, called inside the lock with
# (incident, actor, severity, approval); each may refuse with a PolicyError. The triage slice
# registers its rule here (re-prioritisation after triage needs a manager above a tenant-set impact).
SEVERITY_CHANGE_GUARDS: list = []


def change_severity(
    *, incident: Incident, actor: User, severity: str, reason: str, approval: object = None
) -> Incident:
    """Change the severity and recompute the open clocks from the start of the incident's clock
    cycle (its report, or its last reopen) under the new severity's targets: acknowledge,
    contain, resolve, the closure decision when pending closure, and the open steps' due dates
    (fitted inside the new resolve deadline). Breaches and warnings already recorded stay recorded,
    even when the new deadline is later (seed 002 §6: breach records are facts). `approval` is
    what a guard of `SEVERITY_CHANGE_GUARDS` accepts in place of asking (an approved request)."""
    from incidents.core.policy import may_change_severity

    with audited_refusals(actor=actor):
        may_change_severity(actor, incident).enforce(incident, state=incident.status)
        reason = " ".join(reason.split())
        if severity not in Severity.values:
            raise PolicyError.on(
                "validation.invalid", "Choose a severity from SEV-1 to SEV-4.", incident, field="severity"
            )
        if len(reason) < MIN_REASON:
            raise PolicyError.on(
                "validation.invalid", "Say why the severity changes (at least 10 characters).", incident, field="reason"
            )
        with transaction.atomic():
            locked = Incident.objects.select_for_update().select_related("category").get(pk=incident.pk)
            may_change_severity(actor, locked).enforce(locked, state=locked.status)
            if severity == locked.severity:
                raise PolicyError.on(
                    "validation.invalid", f"The severity already is {locked.get_severity_display()}.", locked
                )
            for guard in SEVERITY_CHANGE_GUARDS:
                guard(locked, actor, severity, approval)
            policy = policy_for(locked.category)
            targets = deadlines_for(severity, locked.clock_start, policy)
            before = {
                name: getattr(locked, name)
                for name in ("severity", "ack_due_at", "contain_due_at", "resolve_due_at", "decision_due_at")
            }
            locked.severity = severity
            if locked.acknowledged_at is None:
                locked.ack_due_at = targets.ack_due_at
            locked.contain_due_at = targets.contain_due_at
            locked.resolve_due_at = targets.resolve_due_at
            if locked.decision_started_at is not None:
                locked.decision_due_at = locked.decision_started_at + decision_target(severity, policy)
            locked.save(update_fields=[*before, "updated_at"])
            run = main_run(subject_type=SUBJECT, subject_id=locked.pk, tenant=locked.organisation_id)
            if run is not None and run.status == RunStatus.OPEN:
                fit_open_steps(run=run, started_at=locked.clock_start, finish_by=locked.resolve_due_at)
            changes = {
                name: [value, getattr(locked, name)] for name, value in before.items() if value != getattr(locked, name)
            }
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                message=f"Severity {Severity(before['severity']).label} → {locked.get_severity_display()}: {reason}; "
                "open clocks recomputed from the start of the clock cycle.",
                changes=changes,
            )
            refresh_next_clock(locked)
    return locked


# --- containment -----------------------------------------------------------------------------------

MIN_CONTAINMENT_NOTE = 10


def mark_contained(*, incident: Incident, actor: User, note: str) -> Incident:
    """The responsible person or the owner says the incident is contained (the harm no longer
    spreads): `contained_at` is set now, the contain clock stops (the time to contain is kept
    for MTTC), and the ledger records who said so and how. Refused once it is marked, on a
    closed incident, and for anyone else (`incidents.policy.may_mark_contained`)."""
    from incidents.core.policy import may_mark_contained

    with audited_refusals(actor=actor):
        note = " ".join(note.split())
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            may_mark_contained(actor, locked).enforce(locked, state=locked.status)
            if len(note) < MIN_CONTAINMENT_NOTE:
                raise PolicyError.on(
                    "validation.invalid",
                    f"Say how it was contained (at least {MIN_CONTAINMENT_NOTE} characters).",
                    locked,
                    field="note",
                )
            now = timezone.now()
            locked.contained_at = now
            locked.save(update_fields=["contained_at", "updated_at"])
            took = now - locked.clock_start
            on_time = locked.contain_due_at is None or now <= locked.contain_due_at
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                message=f"Marked contained after {duration_text(took)}"
                + ("" if on_time else ", after the contain deadline")
                + f": {note}",
                changes={"contained_at": [None, now], "time_to_contain_seconds": int(took.total_seconds())},
            )
    return locked


# --- the mitigation note asked for by a SEV-1/SEV-2 warning ----------------------------------------


def record_mitigation_note(*, warning: BreachWarning, actor: User, note: str) -> BreachWarning:
    """The responsible person says how the deadline will still be met (or why it cannot be).
    A later note replaces the earlier one; the ledger keeps both."""
    from incidents.core.policy import may_write_mitigation_note

    with audited_refusals(actor=actor):
        note = note.strip()
        incident = warning.incident
        decision = may_write_mitigation_note(actor, warning)
        if not decision:
            raise PolicyError.on("access_denied", decision.reason, incident, warning=warning.pk)
        if len(note) < MIN_MITIGATION_NOTE:
            raise PolicyError.on(
                "validation.invalid",
                f"Say what you are doing to meet the deadline (at least {MIN_MITIGATION_NOTE} characters).",
                incident,
                field="note",
            )
        with transaction.atomic():
            Incident.objects.select_for_update().get(pk=incident.pk)
            locked = BreachWarning.objects.select_for_update().get(pk=warning.pk)
            previous = locked.mitigation_note
            locked.mitigation_note = note
            locked.save(update_fields=["mitigation_note", "updated_at"])
            record_event(
                tenant=incident.organisation_id,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=incident,
                message=f"Mitigation note for the {locked.get_clock_display()} deadline: {note}",
                changes={"breach_warning": locked.pk, "mitigation_note": [previous, note]},
            )
    return locked
