"""Many rows as one statement parameter on PostgreSQL: a JSON array of objects, read back
with `json_to_recordset`. Quoting one string costs next to nothing, where psycopg's
client-side binding quotes array parameters element by element in Python (most of a bulk
statement's cost at thousands of rows)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any


def _plain(value: Any) -> Any:
    # Full precision: a timestamp read back must equal the one written (DjangoJSONEncoder keeps milliseconds).
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def rows_json(rows: Sequence[dict[str, Any]]) -> str:
    """The parameter: `rows`, each a {column: value} mapping, as JSON."""
    return json.dumps(rows, default=_plain, separators=(",", ":"), ensure_ascii=False)


def recordset(columns: Sequence[tuple[str, str]], alias: str = "t") -> str:
    """SQL for the rows of a `rows_json` parameter (its placeholder included), as `alias` with
    the given (column, PostgreSQL type) pairs."""
    definition = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
    return f"json_to_recordset(%s::json) AS {alias}({definition})"
