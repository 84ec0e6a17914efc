"""A real Celery worker process, on the configured broker (Redis in CI), runs a task against
the test database. Skipped unless IWMS_REAL_WORKER=1, because it needs a broker both the test
process and the worker can reach (the embedded filesystem broker works too)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from iwms.celery import app as celery_app
from iwms.models import Heartbeat

pytestmark = [
    pytest.mark.skipif(os.environ.get("IWMS_REAL_WORKER") != "1", reason="set IWMS_REAL_WORKER=1 to run"),
    pytest.mark.django_db(transaction=True),
]


def worker_environment() -> dict[str, str]:
    """Point the worker at the test database, not the development one."""
    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "0"}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        env["IWMS_SQLITE_PATH"] = str(db["NAME"])
    return env


def test_worker_consumes_a_task_from_the_broker_and_writes_to_the_database():
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "iwms",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            f"--hostname=test-{os.getpid()}@%h",
        ],
        cwd=Path(settings.BASE_DIR),
        env=worker_environment(),
    )
    try:
        celery_app.send_task("iwms.tasks.record_heartbeat")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Heartbeat.objects.filter(component="worker").exists():
            assert worker.poll() is None, f"worker exited early with code {worker.returncode}"
            time.sleep(0.5)
        beat = Heartbeat.objects.get(component="worker")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert (time.time() - beat.seen_at.timestamp()) < 120
