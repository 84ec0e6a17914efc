"""Many rows as one statement parameter on PostgreSQL: a JSON array of objects, read back
with `json_to_recordset`. Quoting one string costs next to nothing, where psycopg's
client-side binding quotes array parameters element by element in Python (most of a bulk
statement's cost at thousands of rows)."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from psycopg.types.json import Json, Jsonb
from simple_history.utils import bulk_create_with_history, get_history_model_for_model

# The columns simple-history adds to a historical model, besides the tracked ones.
_HISTORY_COLUMNS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def _plain(value: Any) -> Any:
    # Full precision: a timestamp read back must equal the one written (DjangoJSONEncoder keeps milliseconds).
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Json | Jsonb):
        return value.obj
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def rows_json(rows: Sequence[dict[str, Any]]) -> str:
    """The parameter: `rows`, each a {column: value} mapping, as JSON."""
    return json.dumps(rows, default=_plain, separators=(",", ":"), ensure_ascii=False)


def recordset(columns: Sequence[tuple[str, str]], alias: str = "t") -> str:
    """SQL for the rows of a `rows_json` parameter (its placeholder included), as `alias` with
    the given (column, PostgreSQL type) pairs."""
    definition = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
    return f"json_to_recordset(%s::json) AS {alias}({definition})"


@dataclass(frozen=True)
class _HistoryInsert:
    """What `create_with_history` needs of a model, worked out once per model."""

    history: type[models.Model]
    fields: tuple[models.Field, ...]
    sql: str | None  # None: the history model is not a plain copy; the library writes it


@functools.cache
def _history_insert(model: type[models.Model]) -> _HistoryInsert:
    history = get_history_model_for_model(model)
    tracked = [f.attname for f in history.tracked_fields]
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    if {f.attname for f in history._meta.concrete_fields} - _HISTORY_COLUMNS != set(tracked):
        return _HistoryInsert(history, fields, None)
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    copied = ", ".join(quote(history._meta.get_field(name).column) for name in tracked)
    sql = (
        f"WITH new AS (INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608 - model metadata
        f"SELECT {names} FROM {recordset([(f.column, f.db_type(connection)) for f in fields])} RETURNING *) "
        f"INSERT INTO {quote(history._meta.db_table)} ({copied}, history_date, history_type, history_change_reason, "
        f"history_user_id) SELECT {copied}, %s, '+', NULL, %s FROM new RETURNING {quote(model._meta.pk.column)}"
    )
    return _HistoryInsert(history, fields, sql)


def create_with_history(model: type[models.Model], objs: list[models.Model]) -> list[models.Model]:
    """`simple_history.utils.bulk_create_with_history` for new rows, on PostgreSQL in one
    statement: the rows go in from one JSON parameter and their '+' history rows are copied
    from what the insert returned (no ORM compilation, no second round trip). Same rows, same
    history user and date as the library writes; elsewhere, or when rows carry their own
    history user, date or change reason, the library itself. Like any bulk insert it skips
    `save()` and its signals; the tenant references `save()` checks are checked here too."""
    from iwms.tenancy import check_tenant_references

    for obj in objs:
        check_tenant_references(obj)
    if connection.vendor != "postgresql" or not objs:
        return bulk_create_with_history(objs, model)
    plan = _history_insert(model)
    users = {getattr(plan.history.get_default_history_user(obj), "pk", None) for obj in objs}
    own = any(hasattr(obj, "_history_date") or hasattr(obj, "_change_reason") for obj in objs)
    if plan.sql is None or len(users) > 1 or own:
        return bulk_create_with_history(objs, model)
    rows = [{f.column: f.get_db_prep_save(f.pre_save(obj, True), connection) for f in plan.fields} for obj in objs]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(plan.sql, [rows_json(rows), timezone.now(), users.pop()])
        ids = [row[0] for row in cursor.fetchall()]
    assert len(ids) == len(objs), "every new row has its history row"
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
