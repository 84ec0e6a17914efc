"""Exactly one Celery beat: a second beat would send every periodic task twice (two sweeps at
once are safe, but every digest and checkpoint would be doubled). Beat takes a lock when it
starts and holds it for its life; a second beat finds it taken and exits with a clear message.

On PostgreSQL the lock is a session advisory lock on a connection of beat's own (released by
the server when the process dies, wherever it ran); on the embedded SQLite default, where
everything runs on one machine, an exclusive lock on a file under `IWMS_VAR_DIR`.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

# pg_try_advisory_lock's key: "IWMSBEAT" read as a 64-bit integer.
ADVISORY_KEY = int.from_bytes(b"IWMSBEAT", "big") - 2**63


class BeatAlreadyRunning(SystemExit):
    def __init__(self, where: str) -> None:
        super().__init__(f"Another Celery beat holds {where}; exactly one beat may run. Stop it first.")


_held: list[Any] = []  # what keeps the lock for the process's life


def hold_the_beat_lock() -> None:
    """Take the beat lock or raise BeatAlreadyRunning."""
    if connections["default"].vendor == "postgresql":
        connection = connections.create_connection("default")  # not pooled, never closed by Django
        connection.connect()
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
            (taken,) = cursor.fetchone()
        if not taken:
            connection.close()
            raise BeatAlreadyRunning("the PostgreSQL advisory lock")
        _held.append(connection)
        return
    path = Path(settings.VAR_DIR) / "beat.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise BeatAlreadyRunning(str(path)) from None
    _held.append(handle)


def release() -> None:
    while _held:
        held = _held.pop()
        held.close()
