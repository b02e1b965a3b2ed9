"""Many rows in one statement: bound as one JSON parameter, read back as a table.

A JSON array of rows (each an array) is taken apart by `json_array_elements` (PostgreSQL) or
`json_each` (SQLite). Binding one JSON text instead of one parameter set per row is what makes
the import's writes cheap next to parsing the numbers: JSON is written in C, where an array of
text parameters would be quoted element by element in Python (and an object per row built there,
too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import JSON, String, bindparam, cast, func, select
from sqlalchemy.orm import Session


def rows_json(*columns: Sequence) -> str:
    """The rows made of these columns, as one JSON array of arrays."""
    return json.dumps(list(zip(*columns, strict=True)), ensure_ascii=False)


def rows_table(session: Session, columns: dict[str, Sequence], types: dict | None = None):
    """The columns' rows as a table, bound with the statement; text unless `types` says."""
    param = bindparam(None, rows_json(*columns.values()), type_=String)
    return table_of_rows(session.get_bind().dialect.name, param, list(columns), types)


def table_of_rows(dialect: str, param, names: Sequence[str], types: dict | None = None):
    """The rows in the JSON `param` as a table with columns `names`, for a statement built once
    (its rows given when it runs); text unless `types` names another type."""
    types = types or {}
    if dialect == "postgresql":
        each = func.json_array_elements(cast(param, JSON))
        value = each.table_valued("value").c.value
        picked = [
            cast(value.op("->>")(i), types.get(name, String)).label(name)
            for i, name in enumerate(names)
        ]
        return select(*picked).subquery()
    each = func.json_each(param).table_valued("value")
    picked = [func.json_extract(each.c.value, f"$[{i}]").label(n) for i, n in enumerate(names)]
    return select(*picked).select_from(each).subquery()
