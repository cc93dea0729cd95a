"""Moving a hall's platform from its SQLite file to PostgreSQL
(`window-tui admin migrate --from PATH.db --to postgresql://…`).

Every table is copied row by row in primary-key order; a row already in the
target is left alone, so the command can be re-run after an interruption and
copies only what is missing. Afterwards each table is compared on both sides —
row count and a hash over all its rows — and the move is good only when every
table matches. Serial ids continue after the copied ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from window_tui.central.db import transaction
from window_tui.central.dialect import Connection, is_postgres

BATCH = 1000
SKIP = {"schema_version", "sqlite_sequence"}


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    copied: int
    source_hash: str
    target_hash: str

    @property
    def matches(self) -> bool:
        return self.source_rows == self.target_rows and self.source_hash == self.target_hash


def _tables(source: Connection) -> list[tuple[str, list[str], list[str]]]:
    """(table, columns, primary-key columns) of the SQLite database, in name order."""
    out = []
    for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        if name in SKIP:
            continue
        info = source.execute(f"PRAGMA table_info({name})").fetchall()
        columns = [r["name"] for r in info]
        key = [r["name"] for r in sorted(info, key=lambda r: r["pk"]) if r["pk"]] or columns
        out.append((name, columns, key))
    return out


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _rows(connection: Connection, table: str, columns: list[str], order: list[str] | None = None
          ) -> Iterator[tuple[Any, ...]]:
    """The table's rows, a batch in memory at a time."""
    sql = f"SELECT {_quoted(columns)} FROM {table}" + (f" ORDER BY {_quoted(order)}" if order else "")
    cursor = connection.execute(sql)
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            yield tuple(row)


def _digest(connection: Connection, table: str, columns: list[str]) -> tuple[int, str]:
    """Row count and a hash of the table's rows in any order (the sum of the rows' SHA-256
    modulo 2^256: the databases sort text by different collations, the sum does not care)."""
    total = 0
    count = 0
    for row in _rows(connection, table, columns):
        encoded = json.dumps(row, ensure_ascii=False, default=repr).encode("utf-8")
        total = (total + int.from_bytes(hashlib.sha256(encoded).digest(), "big")) % 2**256
        count += 1
    return count, f"{total:064x}"


def _count(connection: Connection, table: str) -> int:
    return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def copy_database(source: Connection, target: Connection,
                  progress: Callable[[str, int, int], None] | None = None) -> list[TableCheck]:
    """Copy every row of `source` (SQLite) missing from `target` (PostgreSQL), then compare."""
    if is_postgres(source) or not is_postgres(target):
        raise ValueError("迁移方向应为：SQLite 文件 → PostgreSQL")
    checks = []
    tables = _tables(source)
    for number, (table, columns, key) in enumerate(tables, 1):
        if progress:
            progress(table, number, len(tables))
        before = _count(target, table)
        insert = (f"INSERT INTO {table} ({_quoted(columns)}) VALUES ({', '.join('?' * len(columns))})"
                  f" ON CONFLICT DO NOTHING")
        rows = _rows(source, table, columns, key)
        while True:
            batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
            if not batch:
                break
            with transaction(target):
                target.executemany(insert, batch)
        if "id" in columns and key == ["id"]:
            # The serial ids go on after the copied ones (a sequence does not see explicit ids).
            target.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                           f" GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))")
        source_rows, source_hash = _digest(source, table, columns)
        target_rows, target_hash = _digest(target, table, columns)
        checks.append(TableCheck(table, source_rows, target_rows, target_rows - before, source_hash, target_hash))
    return checks
