"""The review of a Complete through a real Celery worker on the configured broker (Redis in CI):
the task is sent only after the completing transaction commits, the worker judges the submission
and moves the incident, and the same task sent again changes nothing. Skipped unless
IWMS_REAL_WORKER=1 (see tests/integration/test_real_worker.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from amqp.exceptions import ChannelError
from django.conf import settings

from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.work.services import execution as work
from incidents.work.tasks import review_submission
from iwms.celery import app as celery_app
from iwms.queues import QUEUES
from tests.integration.test_real_worker import worker_environment
from workflows.models import Review, Submission

pytestmark = [
    pytest.mark.skipif(os.environ.get("IWMS_REAL_WORKER") != "1", reason="set IWMS_REAL_WORKER=1 to run"),
    pytest.mark.django_db(transaction=True),
]


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError("the worker did not get there in time")


def queue_drained() -> bool:
    """No message waits on any queue (Redis deletes an emptied queue's key)."""
    with celery_app.connection_for_read() as connection:
        for queue in QUEUES:
            try:
                if connection.default_channel.queue_declare(queue, passive=True).message_count:
                    return False
            except ChannelError:
                continue
        return True


@pytest.fixture
def _through_the_broker():
    """Tests send tasks eagerly; this one sends them to the broker, for the worker."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.mark.usefixtures("_through_the_broker")
def test_a_worker_reviews_the_submission_once(worked, people):
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "iwms", "worker", "--pool=solo", "--loglevel=WARNING",
         f"--hostname=review-{os.getpid()}@%h"],
        cwd=Path(settings.BASE_DIR),
        env=worker_environment(),
    )  # fmt: skip
    try:
        done = work.complete_work(incident=worked, actor=people["responsible"])
        assert done.status == IncidentStatus.HALF_CLOSED
        wait_for(lambda: Incident.objects.get(pk=worked.pk).status == IncidentStatus.PENDING_CLOSURE)
        submission = Submission.objects.get()
        review_submission.delay(submission.pk)  # a duplicate of the message
        review_submission.delay(submission.pk)
        wait_for(queue_drained)
        time.sleep(2)  # the last message taken is handled
        assert worker.poll() is None, f"worker exited with code {worker.returncode}"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert Review.objects.filter(submission__isnull=False).count() == 1
    assert Review.objects.get().submission == submission
    assert Incident.objects.get(pk=worked.pk).status == IncidentStatus.PENDING_CLOSURE
