"""Beat's organogram-governance task through a real Celery worker on the configured broker:
on the first working day it starts each department head's verification and the day's
structural check, once, however often it is sent. Skipped unless IWMS_REAL_WORKER=1 (see
tests/integration/test_real_worker.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from incidents.governance.models import CheckRun, Verification
from incidents.governance.tasks import run_organogram_governance
from iwms.celery import app as celery_app
from tests.incidents.test_review_worker import queue_drained, wait_for
from tests.integration.test_real_worker import worker_environment

pytestmark = [
    pytest.mark.skipif(os.environ.get("IWMS_REAL_WORKER") != "1", reason="set IWMS_REAL_WORKER=1 to run"),
    pytest.mark.django_db(transaction=True),
]

FIRST_WORKING_DAY = "2026-12-01T09:00:00+02:00"


@pytest.fixture
def _through_the_broker():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.mark.usefixtures("_through_the_broker")
def test_a_worker_starts_the_months_verifications_and_the_check_once(mine):
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "iwms", "worker", "--pool=solo", "--loglevel=WARNING",
         f"--hostname=governance-{os.getpid()}@%h"],
        cwd=Path(settings.BASE_DIR),
        env=worker_environment(),
    )  # fmt: skip
    try:
        run_organogram_governance.delay(FIRST_WORKING_DAY)
        wait_for(lambda: CheckRun.objects.filter(organisation=mine).exists(), seconds=120)
        started = Verification.objects.count()
        run_organogram_governance.delay(FIRST_WORKING_DAY)  # the next hour's run
        wait_for(queue_drained)
        assert worker.poll() is None, f"worker exited with code {worker.returncode}"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert started >= 5 and Verification.objects.count() == started
    assert Verification.objects.filter(unit__code="mining", incident_reference__startswith="INC-").exists()
    assert CheckRun.objects.filter(organisation=mine).count() == 1
