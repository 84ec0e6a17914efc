"""Celery queues per kind of work, and exactly one beat."""

from __future__ import annotations

import pytest

from iwms import beat_guard, queues
from iwms.celery import app


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("incidents.tasks.sweep_sla_clocks", "sweep"),
        ("iwms.tasks.send_notification_emails", "notifications"),
        ("iwms.tasks.send_notification_digests", "notifications"),
        ("incidents.tasks.review_submission", "reviews"),
        ("incidents.portal.build_audit_pack", "packs"),
        ("iwms.tasks.record_heartbeat", "default"),
        ("iwms.tasks.checkpoint_ledger", "default"),
    ],
)
def test_each_kind_of_work_is_routed_to_its_queue(task, queue):
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == queue


def test_every_registered_task_lands_in_a_declared_queue():
    app.loader.import_default_modules()
    declared = {q.name for q in app.conf.task_queues}
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours and {app.amqp.router.route({}, name)["queue"].name for name in ours} <= declared
    assert declared == set(queues.QUEUES)


@pytest.fixture
def _no_lock_held():
    beat_guard.release()
    yield
    beat_guard.release()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_no_lock_held")
def test_a_second_beat_finds_the_lock_taken_and_exits():
    beat_guard.hold_the_beat_lock()
    held = list(beat_guard._held)
    beat_guard._held.clear()  # as if another process: its lock stays held by `held`
    try:
        with pytest.raises(SystemExit, match="exactly one beat may run"):
            beat_guard.hold_the_beat_lock()
    finally:
        beat_guard._held.extend(held)
    beat_guard.release()
    beat_guard.hold_the_beat_lock()  # released: the next beat takes it
    assert len(beat_guard._held) == 1
