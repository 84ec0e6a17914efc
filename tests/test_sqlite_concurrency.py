"""The embedded SQLite configuration (WAL, busy timeout, IMMEDIATE transactions) lets
concurrent writers — the web server and the Celery worker — queue for the write lock
instead of failing with "database is locked"."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from iwms.audit import record_event, verify_chain

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_runs_in_wal_mode_with_immediate_transactions():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_concurrent_writers_never_see_database_is_locked_and_never_fork_the_chain(tenant):
    writers, per_writer = 4, 25
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(per_writer):
                record_event(tenant=tenant, action="update", object_type="test.item", object_id=str(n))
        except BaseException as exc:  # recorded and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    report = verify_chain(tenant)
    assert report.ok
    assert report.events == writers * per_writer
