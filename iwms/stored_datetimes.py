"""Reading dates and times that Python cannot hold without failing the page.

PostgreSQL stores years before 1 AD and after 9999; Python's datetime cannot hold them, and
psycopg refuses the whole row. One such row (issue 13: evidence "collected at" 0001-01-01,
which is 1 BC in UTC) made every page and pack that read it fail for everyone. The forms and
services now refuse such values (`iwms.date_bounds`), but a row written before that, or by
hand, must still not take pages down: these loaders read an out-of-range value as the nearest
instant Python holds — a day inside the edge, so converting it to any local time zone still
works — and log it, so it shows as an obviously wrong date instead of an error.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

logger = logging.getLogger("iwms.stored_datetimes")

EARLIEST_READABLE = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST_READABLE = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
EARLIEST_READABLE_DAY = date.min + timedelta(days=1)
LATEST_READABLE_DAY = date.max - timedelta(days=1)


def _too_early(data: Any) -> bool:
    return bytes(data).rstrip().endswith(b"BC")


def install(connection: Any) -> None:
    """Register the forgiving loaders on a new PostgreSQL connection (psycopg 3)."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg import DataError
    from psycopg.types.datetime import DateLoader

    # Django checks the loader's `timezone` and registers its own per cursor when it differs.
    zone = connection.timezone

    class ReadableTzLoader(BaseTzLoader):
        timezone = zone

        def load(self, data: Any) -> datetime:
            try:
                return super().load(data)
            except DataError:
                edge = EARLIEST_READABLE if _too_early(data) else LATEST_READABLE
                logger.warning("timestamp %r is outside Python's range; read as %s", bytes(data), edge)
                return edge.replace(tzinfo=self.timezone)

    class ReadableDateLoader(DateLoader):
        def load(self, data: Any) -> date:
            try:
                return super().load(data)
            except DataError:
                edge = EARLIEST_READABLE_DAY if _too_early(data) else LATEST_READABLE_DAY
                logger.warning("date %r is outside Python's range; read as %s", bytes(data), edge)
                return edge

    adapters = connection.connection.adapters
    adapters.register_loader("timestamptz", ReadableTzLoader)
    adapters.register_loader("date", ReadableDateLoader)


def install_on_connect(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver."""
    install(connection)
