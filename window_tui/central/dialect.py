"""The two databases the platform runs on, and every difference between them.

The platform's SQL is written once, in the form SQLite reads (`?` placeholders,
the `window` column unquoted). On PostgreSQL a connection translates each
statement once (cached): placeholders become `%s`, the reserved word `window` is
quoted, and the schema's few types are mapped. Rows answer by name and by
position on both. Nothing outside this module knows which database it talks to,
except through `is_postgres` and the helpers here.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg

PG_SCHEMES = ("postgresql://", "postgres://")
# Every platform write in PostgreSQL holds its hall's advisory lock (derived from this and the
# schema) until it commits: the single-writer order SQLite's BEGIN IMMEDIATE gives, across
# processes and hosts, one hall at a time.
WRITER_LOCK = 0x57494E44  # "WIND"
EVENTS_CHANNEL = "window_tui_events"
# How the platform's connections show in pg_stat_activity, for a DBA (and the tests).
PLATFORM_APPLICATION = "window-tui platform"
LISTENER_APPLICATION = "window-tui events"

IntegrityError: tuple[type[Exception], ...] = (sqlite3.IntegrityError, psycopg.IntegrityError)
DatabaseError: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(PG_SCHEMES)


def redact(url: str) -> str:
    """A database URL fit for a log line or the console: never the password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


# --- SQL translation -------------------------------------------------------------------------

_LITERAL = re.compile(r"('(?:[^']|'')*')")
_WINDOW = re.compile(r'(?<![\w"])window(?![\w"])', re.IGNORECASE)
_DDL = [
    (re.compile(r"INTEGER PRIMARY KEY AUTOINCREMENT", re.IGNORECASE), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
]


@lru_cache(maxsize=1024)
def to_postgres(sql: str, with_params: bool = True) -> str:
    """One statement in SQLite's form → the same statement for PostgreSQL (text inside
    quotes is left as it is)."""
    parts = _LITERAL.split(sql)
    for i in range(0, len(parts), 2):  # the even parts are outside string literals
        part = parts[i]
        for pattern, replacement in _DDL:
            part = pattern.sub(replacement, part)
        part = _WINDOW.sub('"window"', part)
        if with_params:
            part = part.replace("%", "%%").replace("?", "%s")
        parts[i] = part
    if with_params:
        for i in range(1, len(parts), 2):
            parts[i] = parts[i].replace("%", "%%")
    return "".join(parts)


def json_text(connection: Any, column: str, *path: str) -> str:
    """SQL for the text at `path` inside a JSON text column."""
    if is_postgres(connection):
        return f"({column}::jsonb #>> '{{{','.join(path)}}}')"
    return f"json_extract({column}, '$.{'.'.join(path)}')"


# --- rows and connections ------------------------------------------------------------------


class Row:
    """A result row by name (`row["label"]`), by position (`row[0]`) and as `dict(row)`,
    like sqlite3.Row."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: tuple[Any, ...], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key] if isinstance(key, int) else self._values[self._index[key]]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=True))!r})"


def _plain(value: Any) -> Any:
    # SUM and AVG come back as Decimal in PostgreSQL; the platform works in int and float.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@lru_cache(maxsize=512)
def _index(names: tuple[str, ...]) -> dict[str, int]:
    return {name: i for i, name in enumerate(names)}


def _row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    result = cursor.pgresult
    count = result.nfields if result is not None else 0
    # Read the names straight from the result: building `description` costs more than the query.
    index = _index(tuple((result.fname(i) or b"").decode() for i in range(count)))  # type: ignore[union-attr]

    def make(values: Sequence[Any]) -> Row:
        return Row(tuple(_plain(v) for v in values), index)

    return make


def _params(params: Sequence[Any]) -> tuple[Any, ...]:
    # The schema keeps flags as 0/1 integers on both databases.
    return tuple(int(p) if isinstance(p, bool) else p for p in params)


class _Link:
    """The one PostgreSQL connection a process holds, shared by every hall it serves. A hall
    is a schema; the link switches `search_path` only between transactions (the platform's
    database work runs on one thread, statement after statement)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.closed = False
        self._lock = threading.RLock()
        self.raw: psycopg.Connection[Any] = self._open()
        row = self.raw.execute("SELECT current_schema()").fetchone()
        if row is None or row[0] is None:
            raise psycopg.OperationalError("数据库地址的 search_path 中没有可用的 schema")
        self.home: str = row[0]
        self._path = self.home

    def _open(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, row_factory=_row_factory, connect_timeout=10,
                               application_name=PLATFORM_APPLICATION)

    def cursor(self, schema: str) -> psycopg.Cursor[Any]:
        with self._lock:
            # After the server restarted or the network dropped, the request that met the broken
            # connection failed (503); the next one connects again, never in a transaction's middle.
            if (self.raw.broken or self.raw.closed) and not self.closed:
                self.raw = self._open()
                self._path = self.home
            if self._path != schema:
                if self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    raise RuntimeError(f"事务进行中不能切换到 schema {schema}")
                self.raw.execute(f"SET search_path TO {quote_identifier(schema)}")
                self._path = schema
            return self.raw.cursor()

    def close(self) -> None:
        self.closed = True
        self.raw.close()


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def writer_lock_key(schema: str) -> int:
    """The advisory lock of one schema (one hall): halls never wait for each other."""
    digest = hashlib.blake2b(f"{WRITER_LOCK}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgConnection:
    """A PostgreSQL connection with the part of sqlite3.Connection's interface the
    platform uses, on one schema (the URL's own, or a hall's: `in_schema`). Autocommit,
    so `transaction()` decides where transactions begin."""

    dialect = "postgresql"

    def __init__(self, url: str, *, link: _Link | None = None, schema: str | None = None) -> None:
        self.url = url
        self._link = link or _Link(url)
        self.schema = schema or self._link.home
        self._begin = f"BEGIN; SELECT pg_advisory_xact_lock({writer_lock_key(self.schema)})"

    @property
    def home_schema(self) -> str:
        """The schema the URL reaches (the city's registry lives there)."""
        return self._link.home

    def in_schema(self, schema: str) -> PgConnection:
        """The same server connection, working in another schema."""
        return PgConnection(self.url, link=self._link, schema=schema)

    def _cursor(self) -> psycopg.Cursor[Any]:
        return self._link.cursor(self.schema)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        cursor = self._cursor()
        if params:
            cursor.execute(to_postgres(sql, True), _params(params))
        else:
            cursor.execute(to_postgres(sql, False))  # type: ignore[arg-type]
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cursor = self._cursor()
        cursor.executemany(to_postgres(sql, True), [_params(r) for r in rows])
        return cursor

    def begin_locked(self) -> None:
        """BEGIN and this schema's writer lock in one round trip (two statements, no parameters)."""
        self._cursor().execute(self._begin, prepare=False)  # type: ignore[arg-type]

    def close(self) -> None:
        self._link.close()


def is_postgres(connection: Any) -> bool:
    return getattr(connection, "dialect", "sqlite") == "postgresql"


def begin_write(connection: Any) -> None:
    """Start a write transaction that no other writer interleaves with."""
    if is_postgres(connection):
        connection.begin_locked()
    else:
        connection.execute("BEGIN IMMEDIATE")


def after_migrate(connection: Any) -> None:
    """What PostgreSQL has beyond the shared schema: each committed event wakes every
    platform process's event streams (LISTEN/NOTIFY), wherever it was written."""
    if not is_postgres(connection):
        return
    connection.execute(
        "CREATE OR REPLACE FUNCTION window_tui_notify_events() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{EVENTS_CHANNEL}', TG_TABLE_SCHEMA); RETURN NULL; END $$")
    connection.execute("CREATE OR REPLACE TRIGGER events_notify AFTER INSERT ON events "
                       "FOR EACH STATEMENT EXECUTE FUNCTION window_tui_notify_events()")


# What the platform's functions take and give, whichever database is underneath.
Connection = sqlite3.Connection | PgConnection
AnyRow = sqlite3.Row | Row
