"""ORM queries compiled to SQL once per process and then run with the values of the moment.

Some queries run on every page (the header's, the closure queue's) and are cheap for the
database but dear to build: the ORM spends longer turning a query with half a dozen EXISTS
clauses into SQL than the database spends answering it. A `PreparedQuery` builds its queryset
once with sentinel values in place of the per-request ones (a person, a time, a list of ids),
finds where they landed among the statement's parameters, and from then on only swaps the real
values in. It keeps SQL text, which depends on the code alone; never a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Values no request carries: person ids below any primary key, a time before the product existed.
SENTINEL_ID = -7_340_117
SENTINEL_TIME = datetime(1901, 3, 7, 11, 13, 17, 190_123, tzinfo=UTC)
SENTINEL_TEXT = "\x1fprepared-query-sentinel\x1f"


def sentinel_ids(count: int, start: int = SENTINEL_ID) -> list[int]:
    """`count` distinct sentinel ids, for a list of ids of that length."""
    return [start - 1 - index for index in range(count)]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: list[Any]
    slots: dict[int, tuple[str, int | None]]  # parameter index -> (sentinel name, index in its list)
    columns: list[str]
    converters: list[tuple[int, list[Callable[..., Any]], Any]]


class PreparedQuery:
    """`build(**sentinels)` returns a `.values(...)` or `.values_list(...)` queryset, each
    sentinel a value or a list of distinct values; `dicts(**values)` runs its SQL with each
    sentinel replaced by the value of the same name (a list by a list of the same length) and
    returns the rows as the ORM would (`.values()` dicts, converted); `row(**values)` the first
    row unconverted as a dict (or None) and `rows(**values)` every row as raw tuples (`bool()`
    an EXISTS read on SQLite). A sentinel of None or "" stands for an absent value and is
    passed as it is. A query the ORM knows to be empty runs nothing."""

    def __init__(self, build: Callable[..., QuerySet[Any]], **sentinels: Any) -> None:
        self.build = build
        self.sentinels = sentinels
        self._compiled: dict[str, _Compiled | None] = {}

    def _adapt(self, alias: str, value: Any) -> Any:
        if isinstance(value, datetime):
            return connections[alias].ops.adapt_datetimefield_value(value)
        return value

    def _compile(self, alias: str) -> _Compiled | None:
        queryset = self.build(**self.sentinels).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None
        adapted: dict[Any, tuple[str, int | None]] = {}
        for name, sentinel in self.sentinels.items():
            if isinstance(sentinel, list | tuple):
                adapted.update({self._adapt(alias, item): (name, index) for index, item in enumerate(sentinel)})
            elif sentinel is not None and sentinel != "":  # an absent filter is no sentinel
                adapted[self._adapt(alias, sentinel)] = (name, None)
        slots = {}
        for index, param in enumerate(params):
            for sentinel, slot in adapted.items():
                if type(param) is type(sentinel) and param == sentinel:
                    slots[index] = slot
        missing = set(adapted.values()) - set(slots.values())
        if missing:
            raise ValueError(f"the compiled query takes no parameter for {sorted(name for name, _ in missing)}")
        # The columns in the order the SELECT lists them (`selected` follows `.values()`).
        # The converters (a JSON text, a time or a boolean read back on SQLite) are worked out
        # once too; each is then called with the connection of the request that runs the query.
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = [(index, funcs, field) for index, (funcs, field) in compiler.get_converters(fields).items()]
        return _Compiled(sql, list(params), slots, list(queryset.query.selected), converters)

    def _run(self, using: str, values: dict[str, Any]) -> tuple[_Compiled | None, list[tuple[Any, ...]]]:
        if using not in self._compiled:
            self._compiled[using] = self._compile(using)
        compiled = self._compiled[using]
        if compiled is None:
            return None, []
        bound = list(compiled.params)
        for index, (name, position) in compiled.slots.items():
            value = values[name] if position is None else values[name][position]
            bound[index] = self._adapt(using, value)
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, bound)
            return compiled, cursor.fetchall()

    def rows(self, *, using: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        return self._run(using, values)[1]

    def row(self, *, using: str = "default", **values: Any) -> dict[str, Any] | None:
        compiled, found = self._run(using, values)
        return dict(zip(compiled.columns, found[0], strict=True)) if compiled and found else None

    def dicts(self, *, using: str = "default", **values: Any) -> list[dict[str, Any]]:
        compiled, found = self._run(using, values)
        if compiled is None:
            return []
        connection = connections[using]
        rows = []
        for raw in found:
            row = list(raw)
            for index, funcs, field in compiled.converters:
                for convert in funcs:
                    row[index] = convert(row[index], field, connection)
            rows.append(dict(zip(compiled.columns, row, strict=True)))
        return rows
