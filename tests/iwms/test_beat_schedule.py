"""Beat's schedule lives in the database (django-celery-beat): the SLA sweep and the worker
heartbeat are PeriodicTask rows from the first migrate on, and the scheduler beat runs reads
them with the sweep's expiry (a model field, not Celery's `expires` option)."""

from __future__ import annotations

import importlib

import pytest
from celery import current_app
from django.apps import apps
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

pytestmark = pytest.mark.django_db

registration = importlib.import_module("iwms.migrations.0005_register_periodic_tasks")


def test_migrate_registers_the_sweep_every_minute_and_the_heartbeat():
    sweep = PeriodicTask.objects.select_related("interval").get(name="sla-sweep")
    assert sweep.task == "incidents.tasks.sweep_sla_clocks" and sweep.enabled
    assert (sweep.interval.every, sweep.interval.period) == (60, "seconds")
    assert sweep.expire_seconds == 54
    heartbeat = PeriodicTask.objects.get(name="worker-heartbeat")
    assert heartbeat.task == "iwms.tasks.record_heartbeat" and heartbeat.interval.every == 60


def test_registration_is_idempotent_and_keeps_an_admins_switch():
    PeriodicTask.objects.filter(name="sla-sweep").update(enabled=False)
    registration.register(apps, None)
    registration.register(apps, None)
    assert PeriodicTask.objects.filter(name="sla-sweep").count() == 1
    assert not PeriodicTask.objects.get(name="sla-sweep").enabled


def test_registration_creates_what_is_missing():
    PeriodicTask.objects.all().delete()
    registration.register(apps, None)
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == set(settings.CELERY_BEAT_SCHEDULE)


def test_beat_uses_the_database_scheduler_and_sends_the_sweep_with_its_expiry():
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    assert current_app.conf.beat_scheduler == settings.CELERY_BEAT_SCHEDULER
    entry = ModelEntry(PeriodicTask.objects.get(name="sla-sweep"), app=current_app)
    assert entry.task == "incidents.tasks.sweep_sla_clocks"
    assert entry.options["expires"] == 54
    assert entry.schedule.run_every.total_seconds() == 60


def test_beat_start_brings_the_rows_in_step_with_the_settings(settings, monkeypatch):
    # The scheduler closes stale connections between ticks; here that would be the test's own.
    monkeypatch.setattr("django_celery_beat.schedulers.close_old_connections", lambda: None)
    settings.CELERY_BEAT_SCHEDULE = {
        **settings.CELERY_BEAT_SCHEDULE,
        "sla-sweep": {**settings.CELERY_BEAT_SCHEDULE["sla-sweep"], "schedule": 2.0},
    }
    current_app.conf.beat_schedule = settings.CELERY_BEAT_SCHEDULE
    try:
        scheduler = DatabaseScheduler(app=current_app, lazy=True)
        scheduler.setup_schedule()
    finally:
        current_app.conf.beat_schedule = None
    sweep = PeriodicTask.objects.select_related("interval").get(name="sla-sweep")
    assert sweep.interval.every == 2
    assert PeriodicTask.objects.filter(name="sla-sweep").count() == 1
