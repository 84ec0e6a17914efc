"""The SLA sweep with a controlled clock: each warning and breach happens once, to the right
people, with a mitigation note asked on SEV-1/SEV-2; a batch that fails leaves nothing and is
redone exactly once; two sweepers at once never double anything."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.choices import ClockKind, Severity
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import Breach, BreachWarning, Escalation, Incident
from incidents.sla.services import escalation, sweep
from incidents.sla.services.sweep import sweep_due
from incidents.work.services import execution as work
from iwms import notifications
from iwms.audit import record_event, verify_chain
from iwms.models import AuditEvent, Notification


def sweep_at(moment, **options):
    with time_machine.travel(moment, tick=False):
        return sweep_due(**options)


def notified(obj, event):
    rows = Notification.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), event=event)
    return sorted(rows.values_list("recipient__username", flat=True))


def test_nothing_happens_before_the_warning_time(make_incident):
    incident = make_incident(severity=Severity.SEV2)
    report = sweep_at(incident.next_clock_at - timedelta(seconds=1))
    assert report.incidents == 0
    assert not BreachWarning.objects.exists() and not Breach.objects.exists()


def test_warning_fires_once_to_owner_responsible_and_supervisor(make_incident):
    incident = make_incident(severity=Severity.SEV3)
    at = incident.next_clock_at
    first = sweep_at(at)
    again = sweep_at(at + timedelta(seconds=30))
    warning = BreachWarning.objects.get(incident=incident)
    assert (first.warnings, again.warnings, again.incidents) == (1, 0, 0)
    assert warning.clock == ClockKind.ACKNOWLEDGE and warning.due_at == incident.ack_due_at
    assert warning.mitigation_requested is False
    assert notified(warning, "breach.warning") == ["depthead", "responsible", "supervisor"]
    assert notified(warning, "mitigation.requested") == []
    assert AuditEvent.objects.filter(object_id=str(incident.pk), action="notify").count() == 1
    assert Incident.objects.get(pk=incident.pk).next_clock_at == incident.ack_due_at


def test_sev2_warning_asks_the_responsible_person_for_a_mitigation_note(make_incident):
    incident = make_incident(severity=Severity.SEV2)
    sweep_at(incident.next_clock_at)
    warning = BreachWarning.objects.get(incident=incident)
    assert warning.mitigation_requested is True
    assert notified(warning, "mitigation.requested") == ["responsible"]
    note = Notification.objects.get(event="mitigation.requested")
    assert note.url == f"/warnings/{warning.pk}/mitigation/"


def test_breach_is_recorded_once_and_audited(make_incident):
    incident = make_incident(severity=Severity.SEV3)
    past_ack = incident.ack_due_at + timedelta(seconds=1)
    sweep_at(past_ack)
    sweep_at(past_ack + timedelta(minutes=1))
    breach = Breach.objects.get(incident=incident)
    assert (breach.clock, breach.severity, breach.due_at) == (ClockKind.ACKNOWLEDGE, Severity.SEV3, incident.ack_due_at)
    # The sweep came after the deadline: the breach is recorded, a warning now would say nothing.
    assert not BreachWarning.objects.filter(incident=incident, clock=ClockKind.ACKNOWLEDGE).exists()
    assert notified(breach, "breach.recorded") == ["depthead", "responsible", "supervisor"]
    assert AuditEvent.objects.filter(object_id=str(incident.pk), message__startswith="Breach:").count() == 1


def test_step_and_information_request_clocks_warn_and_breach(make_incident, people):
    incident = make_incident(severity=Severity.SEV4)
    incident_workflows.start_incident_workflow(incident=incident)
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    run = work.workflow_of(incident)
    make_safe = run.steps.get(key="make_safe")
    request = work.pause_step(
        incident=incident,
        step=make_safe,
        actor=people["responsible"],
        responsible=people["supervisor"],
        request="Which support was installed in this drive last month?",
        due_at=timezone.now() + timedelta(minutes=30),
    )
    sweep_at(request.due_at + timedelta(seconds=1))
    sweep_at(incident.reported_at + timedelta(hours=1, seconds=1))
    assert Breach.objects.filter(incident=incident, clock=ClockKind.SUBWORKFLOW, subject_key=str(request.pk)).exists()
    step_breaches = Breach.objects.filter(incident=incident, clock=ClockKind.STEP)
    assert {b.subject_key for b in step_breaches} == {
        str(s.pk) for s in run.steps.filter(key__in=["make_safe", "account_for_persons"])
    }
    request_breach = Breach.objects.get(clock=ClockKind.SUBWORKFLOW)
    # The person the request waits on hears about it too.
    assert "supervisor" in notified(request_breach, "breach.recorded")
    geotech_step = run.steps.get(key="geotechnical_inspection")
    sweep_at(incident.reported_at + timedelta(hours=6, seconds=1))
    geotech_warning = BreachWarning.objects.get(clock=ClockKind.STEP, subject_key=str(geotech_step.pk))
    assert "zndlovu" in notified(geotech_warning, "breach.warning")


def test_emails_go_out_once_after_commit(make_incident, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    incident = make_incident(severity=Severity.SEV2)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_at(incident.next_clock_at)
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 4 and all(s.startswith("[IWMS] ") for s in subjects)
    assert sum("Mitigation note needed" in s for s in subjects) == 1
    to_responsible = next(m for m in mail.outbox if "Mitigation note needed" in m.subject)
    assert to_responsible.to == [incident.responsible.email]
    assert "http://127.0.0.1:8000/warnings/" in to_responsible.body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert notifications.send_emails(list(Notification.objects.values_list("pk", flat=True))) == 0
    assert len(mail.outbox) == 4


def test_a_failed_email_is_released_for_the_retry(make_incident, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    incident = make_incident(severity=Severity.SEV3)
    sweep_at(incident.next_clock_at)
    ids = list(Notification.objects.values_list("pk", flat=True))

    def refuse(self, fail_silently=False):
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    with pytest.raises(OSError):
        notifications.send_emails(ids)
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 3
    monkeypatch.undo()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.send_emails(ids) == 3


def test_a_clock_someone_else_recorded_is_neither_notified_nor_audited_again(make_incident):
    incident = make_incident(severity=Severity.SEV3)
    Breach(
        organisation=incident.organisation,
        incident=incident,
        clock=ClockKind.ACKNOWLEDGE,
        due_at=incident.ack_due_at,
        breached_at=incident.ack_due_at,
        severity=incident.severity,
    ).save()
    report = sweep_at(incident.ack_due_at + timedelta(seconds=1))
    assert (report.incidents, report.breaches) == (1, 0)
    assert Breach.objects.filter(incident=incident).count() == 1
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(actor_label=sweep.SWEEP_ACTOR).exists()
    assert Incident.objects.get(pk=incident.pk).next_clock_at > incident.ack_due_at


def test_a_batch_that_fails_leaves_nothing_and_is_redone_exactly_once(make_incident, monkeypatch):
    incidents = [make_incident(severity=Severity.SEV3) for _ in range(3)]
    moment = max(i.ack_due_at for i in incidents) + timedelta(seconds=1)
    real = notifications.notify_many

    def die(drafts):
        raise RuntimeError("worker lost mid-batch")

    monkeypatch.setattr(notifications, "notify_many", die)
    with pytest.raises(RuntimeError):
        sweep_at(moment)
    assert not Breach.objects.exists() and not Notification.objects.exists()
    assert not AuditEvent.objects.filter(actor_label=sweep.SWEEP_ACTOR).exists()
    monkeypatch.setattr(notifications, "notify_many", real)
    sweep_at(moment)
    sweep_at(moment)
    assert Breach.objects.count() == 3
    assert Notification.objects.filter(event="breach.recorded").count() == 9


def test_a_failing_escalation_is_retried_later_without_holding_up_the_batch(make_incident, monkeypatch):
    late, other = make_incident(severity=Severity.SEV1), make_incident(severity=Severity.SEV3)
    moment = late.resolve_due_at + timedelta(seconds=1)

    def broken(**kwargs):
        [(incident, _missed)] = kwargs["late"]
        record_event(tenant=incident.organisation_id, action="escalate", obj=incident, message="half")
        raise RuntimeError("organogram service down")

    monkeypatch.setattr(escalation, "escalate_many", broken)
    report = sweep_at(moment)
    assert report.failures == 1
    assert not Breach.objects.filter(incident=late, clock=ClockKind.RESOLVE).exists()
    # What the failed escalation had written, to the ledger too, went with it.
    late_events = AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(late.pk))
    assert not late_events.filter(action="escalate").exists()
    assert not late_events.filter(message__startswith="Breach: the resolve").exists()
    assert verify_chain(late.organisation).ok
    assert Breach.objects.filter(incident=other, clock=ClockKind.ACKNOWLEDGE).exists()
    assert Incident.objects.get(pk=late.pk).next_clock_at == moment + sweep.RETRY_AFTER
    monkeypatch.undo()
    sweep_at(moment + sweep.RETRY_AFTER)
    assert Breach.objects.filter(incident=late, clock=ClockKind.RESOLVE).count() == 1
    assert Escalation.objects.filter(incident=late).count() == 1


def test_when_escalating_a_batch_together_fails_the_others_still_escalate_one_by_one(make_incident, monkeypatch):
    late, also_late = make_incident(severity=Severity.SEV1), make_incident(severity=Severity.SEV1)
    moment = max(late.resolve_due_at, also_late.resolve_due_at) + timedelta(seconds=1)
    real = escalation.escalate_many

    def broken_for_late(**kwargs):
        if any(incident.pk == late.pk for incident, _ in kwargs["late"]):
            raise RuntimeError("organogram service down")
        return real(**kwargs)

    monkeypatch.setattr(escalation, "escalate_many", broken_for_late)
    report = sweep_at(moment)
    assert (report.failures, report.escalations) == (1, 1)
    assert not Escalation.objects.filter(incident=late).exists()
    assert Escalation.objects.filter(incident=also_late, level=1).count() == 1
    assert Incident.objects.filter(parent=also_late, system_reason="overdue").count() == 1
    assert Incident.objects.get(pk=late.pk).next_clock_at == moment + sweep.RETRY_AFTER
    assert verify_chain(late.organisation).ok


def test_batches_work_through_every_due_incident(make_incident):
    incidents = [make_incident(severity=Severity.SEV3) for _ in range(7)]
    report = sweep_at(max(i.ack_due_at for i in incidents) + timedelta(seconds=1), batch_size=3)
    assert (report.batches, report.incidents, report.breaches) == (3, 7, 7)


def test_queries_per_batch_do_not_grow_with_the_due_rows(make_incident, mine):
    def queries_for(count):
        Incident.objects.update(next_clock_at=None)
        made = [make_incident(severity=Severity.SEV3) for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            report = sweep_at(max(i.ack_due_at for i in made) + timedelta(seconds=1))
        assert report.breaches == count
        return len(captured)

    assert queries_for(12) == queries_for(2)
    # The ledger got one event per breach, appended in bulk, and the chain still proves itself.
    assert AuditEvent.objects.filter(actor_label=sweep.SWEEP_ACTOR, message__startswith="Breach:").count() == 14
    assert verify_chain(mine).ok


def test_a_closed_incident_is_not_swept(make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    Incident.objects.filter(pk=incident.pk).update(status="closed")
    report = sweep_at(incident.resolve_due_at + timedelta(hours=1))
    assert report.breaches == 0 and not Breach.objects.exists()
    assert Incident.objects.get(pk=incident.pk).next_clock_at is None


@pytest.mark.postgres_only(reason="two connections taking row locks with SKIP LOCKED")
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only: SKIP LOCKED across connections")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_act_exactly_once(make_incident, settings):
    settings.IWMS_SWEEP_TEST_DELAY_MS = 150  # keep batches open so the two sweepers overlap
    incidents = [make_incident(severity=Severity.SEV1) for _ in range(12)]
    moment = max(i.resolve_due_at for i in incidents) + timedelta(seconds=1)
    reports, errors = [], []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            reports.append(sweep_due(now=moment, batch_size=4))
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(moment, tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert all(r.incidents > 0 for r in reports), "both sweepers took a share of the due rows"
    assert sum(r.incidents for r in reports) == 12
    late_ids = [i.pk for i in incidents]
    for kind in (ClockKind.ACKNOWLEDGE, ClockKind.CONTAIN, ClockKind.RESOLVE):
        assert Breach.objects.filter(incident_id__in=late_ids, clock=kind).count() == 12
    assert Escalation.objects.filter(incident_id__in=late_ids, level=1).count() == 12
    assert Incident.objects.filter(parent_id__in=late_ids, system_reason="overdue").count() == 12
    assert Notification.objects.filter(event="escalation.raised", recipient__username="supervisor").count() == 12


@pytest.mark.postgres_only(reason="two connections taking row locks with SKIP LOCKED")
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only: SKIP LOCKED across connections")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_write_each_warning_and_breach_and_its_messages_once(make_incident, mine, settings):
    # The set-based writes (one statement each for a batch's warnings, breaches, notifications,
    # ledger events and next clocks) under two sweepers sharing the due rows.
    settings.IWMS_SWEEP_TEST_DELAY_MS = 100
    warned = [make_incident(severity=Severity.SEV3) for _ in range(8)]
    moment = max(i.next_clock_at for i in warned) + timedelta(seconds=1)
    breached = [make_incident(severity=Severity.SEV3) for _ in range(8)]
    Incident.objects.filter(pk__in=[i.pk for i in breached]).update(
        ack_due_at=moment - timedelta(minutes=1), next_clock_at=moment - timedelta(minutes=1)
    )
    reports, errors = [], []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            reports.append(sweep_due(now=moment, batch_size=3))
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(moment, tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert all(r.incidents > 0 for r in reports), "both sweepers took a share of the due rows"
    assert sum(r.incidents for r in reports) == 16
    assert sum(r.warnings for r in reports) == 8 and sum(r.breaches for r in reports) == 8
    for incident in warned:
        [warning] = BreachWarning.objects.filter(incident=incident)
        assert warning.clock == ClockKind.ACKNOWLEDGE and warning.due_at == incident.ack_due_at
        assert notified(warning, "breach.warning") == ["depthead", "responsible", "supervisor"]
        assert AuditEvent.objects.filter(object_id=str(incident.pk), action="notify").count() == 1
    for incident in breached:
        [breach] = Breach.objects.filter(incident=incident)
        assert breach.clock == ClockKind.ACKNOWLEDGE
        assert notified(breach, "breach.recorded") == ["depthead", "responsible", "supervisor"]
        assert AuditEvent.objects.filter(object_id=str(incident.pk), message__startswith="Breach:").count() == 1
    assert not Incident.objects.filter(next_clock_at__lte=moment).exists()
    assert verify_chain(mine).ok
