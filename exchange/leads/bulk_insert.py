"""Multi-row inserts of leads and their events in the session's transaction: COPY on PostgreSQL,
one executemany elsewhere.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from exchange.models import Lead
from exchange.models.base import StrEnum
from exchange.platform.extensions import db


def insert_leads(rows: list[dict[str, Any]]) -> list[int]:
    """Insert lead rows; returns their ids in order. PostgreSQL: ids are drawn from the sequence
    first and the rows go in with COPY. SQLite: one executemany (Core, not the ORM)."""
    table = Lead.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(
            db.session.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence('leads', 'id')) FROM generate_series(1, :n)"),
                {"n": len(rows)},
            ).scalars()
        )
        for row, lead_id in zip(rows, ids, strict=True):
            row["id"] = lead_id
        insert_rows(table, rows)
        return ids
    # Columns empty in every row of the batch are left to the database (NULL): less to bind.
    empty = [key for key in rows[0] if all(row[key] is None for row in rows)]
    if empty:
        rows = [{k: v for k, v in row.items() if k not in empty} for row in rows]
    # One executemany under the transaction's write lock: SQLite gives a rowid table's new rows
    # consecutive ids ending at last_insert_rowid() (INSERT ... RETURNING in parameter order would
    # cost a statement per row). Checked, so a surprise fails the batch instead of mislabelling it.
    db.session.execute(sa.insert(table), rows)
    last = db.session.execute(sa.text("SELECT last_insert_rowid()")).scalar_one()
    first = last - len(rows) + 1
    batch_ids = sa.select(sa.func.count()).where(
        Lead.id.between(first, last),
        Lead.manufacturer_id == rows[0]["manufacturer_id"],
        Lead.created_at == rows[0]["created_at"],
    )
    if db.session.execute(batch_ids).scalar_one() != len(rows):
        raise RuntimeError("the ids of an inserted batch are not consecutive")
    return list(range(first, last + 1))


def insert_rows(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys, in the session's transaction. PostgreSQL: COPY (the
    server and psycopg do a fraction of the work of INSERTs); elsewhere an executemany INSERT."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(sa.insert(table), rows)
        return
    columns = list(rows[0])
    # COPY runs no Python-side column defaults: add them for the columns the rows leave out.
    defaults = {}
    for column in table.columns:
        if column.name not in rows[0] and column.default is not None and not column.primary_key:
            default = column.default
            defaults[column.name] = default.arg if default.is_scalar else default.arg(None)
    columns += list(defaults)
    # Values as the column types would bind them (enums to strings, JSON to text).
    converters = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, sa.JSON):
            converters.append(lambda value: None if value is None else json.dumps(value, default=str))
        elif isinstance(column_type, StrEnum):
            converters.append(lambda value: None if value is None else getattr(value, "value", value))
        else:
            converters.append(None)
    quoted = ", ".join(f'"{name}"' for name in columns)
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            values = zip([*row.values(), *defaults.values()], converters, strict=True)
            copy.write_row([value if convert is None else convert(value) for value, convert in values])
