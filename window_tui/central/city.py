"""Many halls on one PostgreSQL database (a city platform).

Each hall is a schema of its own with the one schema every platform has: its
services, windows, clerks, devices, tickets, cases and events carry the hall by
where they live, so a token, a query or a number of one hall can never reach
another's rows, each hall numbers its tickets from 1 every day, and halls never
wait for each other's writer lock. The city's registry (code, name, schema) is a
table in the schema the database URL reaches; that schema stays a hall too (the
one served at the root, as before halls existed). SQLite is one hall per file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from window_tui.central.db import connect, migrate, transaction
from window_tui.central.dialect import Connection, PgConnection, is_postgres, quote_identifier

HALL_CODE = re.compile(r"^[0-9A-Za-z]{1,20}$")
REGISTRY = """CREATE TABLE IF NOT EXISTS halls (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, schema_name TEXT NOT NULL UNIQUE, added_at TEXT NOT NULL
)"""


class HallError(ValueError):
    """A hall code that is malformed, unknown, or asked of a database that has no halls."""


@dataclass(frozen=True)
class Hall:
    code: str
    name: str
    schema: str


def check_code(code: str) -> str:
    if not HALL_CODE.match(code):
        raise HallError(f"大厅代码应为 1–20 位字母或数字：{code!r}")
    return code


def hall_schema(home: str, code: str) -> str:
    """Where a hall's tables live: hall_{code} beside the registry (prefixed by the
    registry's schema when that is not `public`, so two cities can share a server)."""
    prefix = "" if home == "public" else f"{home}_"
    return f"{prefix}hall_{check_code(code).lower()}"


def _city(connection: Connection) -> PgConnection:
    if not is_postgres(connection):
        raise HallError("多个大厅需要 PostgreSQL 数据库（--db postgresql://…）；SQLite 文件只存一个大厅")
    assert isinstance(connection, PgConnection)
    city = connection.in_schema(connection.home_schema)
    city.execute(REGISTRY)
    return city


def list_halls(connection: Connection) -> list[Hall]:
    rows = _city(connection).execute("SELECT code, name, schema_name FROM halls ORDER BY code").fetchall()
    return [Hall(r["code"], r["name"], r["schema_name"]) for r in rows]


def find_hall(connection: Connection, code: str) -> Hall | None:
    city = _city(connection)
    row = city.execute("SELECT code, name, schema_name FROM halls WHERE schema_name = ?",
                       (hall_schema(city.schema, code),)).fetchone()
    return Hall(row["code"], row["name"], row["schema_name"]) if row else None


def add_hall(connection: Connection, code: str, name: str, now: datetime) -> Hall:
    """Register a hall and create its schema (re-running with the same code keeps the hall,
    its data and its name unless a new name is given)."""
    city = _city(connection)
    schema = hall_schema(city.schema, code)
    if not name.strip():
        raise HallError("请给出大厅名称（--name）")
    existing = find_hall(city, code)
    if existing is not None and existing.code != code:
        raise HallError(f"大厅代码 {code} 与已有的 {existing.code} 只差大小写；请用 {existing.code}")
    city.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
    migrate(city.in_schema(schema))
    with transaction(city):
        city.execute("INSERT INTO halls (code, name, schema_name, added_at) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT (code) DO UPDATE SET name = excluded.name",
                     (code, name.strip(), schema, now.isoformat(timespec="seconds")))
    return Hall(code, name.strip(), schema)


def hall_connection(connection: Connection, code: str) -> PgConnection:
    """The hall's schema on the same server connection, migrated to the current version."""
    hall = find_hall(connection, code)
    if hall is None:
        raise HallError(f"没有大厅 {code}（先用 window-tui admin hall add {code} --name 名称 添加）")
    assert isinstance(connection, PgConnection)
    view = connection.in_schema(hall.schema)
    migrate(view)
    return view


def open_database(db: object, hall: str | None) -> Connection:
    """A command's database: the file or URL, or one hall of a city database (`--hall`)."""
    connection = connect(db)  # type: ignore[arg-type]
    if not hall:
        return connection
    try:
        return hall_connection(connection, hall)
    except HallError:
        connection.close()
        raise
