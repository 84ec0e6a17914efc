"""ORM queries compiled to SQL once per process and then run with the values of the moment.

Some queries run on every page (the header's) and are cheap for the database but dear to
build: the ORM spends longer turning a query with half a dozen EXISTS clauses into SQL than
the database spends answering it. A `PreparedQuery` builds its queryset once with sentinel
values in place of the per-request ones (a person, a time), finds where they landed among the
statement's parameters, and from then on only swaps the real values in. It keeps SQL text,
which depends on the code alone; never a result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Values no request carries: a person id below any primary key, and a time before the product existed.
SENTINEL_ID = -7_340_117
SENTINEL_TIME = datetime(1901, 3, 7, 11, 13, 17, 190_123, tzinfo=UTC)


class PreparedQuery:
    """`build(**sentinels)` returns a `.values(...)` or `.values_list(...)` queryset;
    `row(**values)` runs its SQL with each sentinel replaced by the value of the same name and
    returns the first row as a dict (or None), `rows(**values)` every row as tuples. Values
    are adapted as the ORM adapts them (a time becomes text on SQLite) but read back raw: the
    caller converts them (`bool()` for an EXISTS on SQLite)."""

    def __init__(self, build: Callable[..., QuerySet[Any]], **sentinels: Any) -> None:
        self.build = build
        self.sentinels = sentinels
        self._compiled: dict[str, tuple[str, list[Any], dict[int, str], list[str]]] = {}

    def _adapt(self, alias: str, value: Any) -> Any:
        if isinstance(value, datetime):
            return connections[alias].ops.adapt_datetimefield_value(value)
        return value

    def _compile(self, alias: str) -> tuple[str, list[Any], dict[int, str], list[str]]:
        queryset = self.build(**self.sentinels).using(alias)
        sql, params = queryset.query.get_compiler(using=alias).as_sql()
        adapted = {name: self._adapt(alias, value) for name, value in self.sentinels.items()}
        slots = {}
        for index, param in enumerate(params):
            for name, sentinel in adapted.items():
                if type(param) is type(sentinel) and param == sentinel:
                    slots[index] = name
        missing = set(self.sentinels) - set(slots.values())
        if missing:
            raise ValueError(f"the compiled query takes no parameter for {sorted(missing)}")
        # The columns in the order the SELECT lists them (`selected` follows `.values()`).
        return sql, list(params), slots, list(queryset.query.selected)

    def _run(self, using: str, values: dict[str, Any]) -> tuple[list[str], Any]:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        sql, params, slots, columns = compiled
        bound = list(params)
        for index, name in slots.items():
            bound[index] = self._adapt(using, values[name])
        cursor = connections[using].cursor()
        cursor.execute(sql, bound)
        return columns, cursor

    def row(self, *, using: str = "default", **values: Any) -> dict[str, Any] | None:
        columns, cursor = self._run(using, values)
        with cursor:
            found = cursor.fetchone()
        return None if found is None else dict(zip(columns, found, strict=True))

    def rows(self, *, using: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        """Every row, as tuples in the order of the queryset's `.values_list()`."""
        _, cursor = self._run(using, values)
        with cursor:
            return cursor.fetchall()
