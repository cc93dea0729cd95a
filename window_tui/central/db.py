"""Storage for the central platform: one schema and one list of migrations for
SQLite (one hall, the embedded default: a file in WAL mode) and PostgreSQL (a
city: `postgresql://…`). The schema is created and migrated on open; what
differs between the two lives in `dialect`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from window_tui.central.dialect import PgConnection, after_migrate, begin_write, is_postgres_url

# Each entry migrates from version i to i + 1. Never edit a shipped step; append.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE services (
        code TEXT PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL UNIQUE, sort INTEGER NOT NULL
    );
    CREATE TABLE windows (
        number INTEGER PRIMARY KEY, name TEXT NOT NULL, services TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0, clerk TEXT, priority_streak INTEGER NOT NULL DEFAULT 0,
        current_ticket INTEGER
    );
    CREATE TABLE clerks (
        number TEXT PRIMARY KEY, name TEXT NOT NULL, password_hash TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'clerk', active INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE devices (
        token_hash TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, window INTEGER,
        created_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY, clerk TEXT NOT NULL, role TEXT NOT NULL, window INTEGER,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        day TEXT NOT NULL, service TEXT NOT NULL, number INTEGER NOT NULL, label TEXT NOT NULL,
        priority TEXT NOT NULL DEFAULT 'normal', priority_kind TEXT NOT NULL DEFAULT '',
        appointment_code TEXT NOT NULL DEFAULT '', slot_start TEXT, slot_end TEXT,
        issued_at TEXT NOT NULL, order_key REAL NOT NULL, status TEXT NOT NULL,
        window INTEGER, pinned_window INTEGER, called_at TEXT, started_at TEXT, finished_at TEXT,
        call_reason TEXT NOT NULL DEFAULT '', recalls INTEGER NOT NULL DEFAULT 0,
        no_shows INTEGER NOT NULL DEFAULT 0, case_numbers TEXT NOT NULL DEFAULT '[]',
        original_service TEXT NOT NULL DEFAULT '',
        UNIQUE (day, original_service, number)
    );
    CREATE INDEX tickets_waiting ON tickets (day, status, priority, service, order_key);
    CREATE INDEX tickets_pinned ON tickets (day, status, pinned_window, order_key);
    CREATE INDEX tickets_label ON tickets (day, label);
    CREATE INDEX tickets_order ON tickets (day, order_key);
    CREATE TABLE waiting_counts (
        day TEXT NOT NULL, service TEXT NOT NULL, waiting INTEGER NOT NULL, PRIMARY KEY (day, service)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL,
        ticket TEXT NOT NULL DEFAULT '', service TEXT NOT NULL DEFAULT '', window INTEGER,
        payload TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE registry_records (
        registry TEXT NOT NULL, key TEXT NOT NULL, attributes TEXT NOT NULL, source TEXT NOT NULL,
        record_date TEXT NOT NULL, PRIMARY KEY (registry, key)
    );
    CREATE TABLE lookup_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, clerk TEXT NOT NULL, window INTEGER,
        case_id TEXT NOT NULL, registry TEXT NOT NULL, subject_key TEXT NOT NULL,
        attributes TEXT NOT NULL, found INTEGER NOT NULL
    );
    CREATE TABLE cases (
        case_id TEXT PRIMARY KEY, case_number TEXT NOT NULL UNIQUE, content_hash TEXT NOT NULL,
        receipt_id TEXT NOT NULL UNIQUE, received_at TEXT NOT NULL, status TEXT NOT NULL,
        bundle TEXT NOT NULL, bundle_name TEXT NOT NULL, promised_date TEXT NOT NULL,
        accepted_at TEXT NOT NULL, window INTEGER NOT NULL, clerk TEXT NOT NULL, body TEXT NOT NULL
    );
    CREATE TABLE records (
        kind TEXT NOT NULL, record_id TEXT NOT NULL, content_hash TEXT NOT NULL, receipt_id TEXT NOT NULL,
        received_at TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, record_id)
    );
    CREATE TABLE ratings (
        rating_id TEXT PRIMARY KEY, case_number TEXT NOT NULL UNIQUE, window INTEGER NOT NULL,
        level TEXT NOT NULL, indicators TEXT NOT NULL, rated_at TEXT NOT NULL
    );
    CREATE TABLE appointments (
        code TEXT PRIMARY KEY, service TEXT NOT NULL, slot_start TEXT NOT NULL, slot_end TEXT NOT NULL,
        used INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE followups (
        rating_id TEXT PRIMARY KEY, case_number TEXT NOT NULL, window INTEGER NOT NULL,
        level TEXT NOT NULL, due_date TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open'
    );
    """,
    # 2: case-number blocks leased to windows (numbers never reused across devices)
    """
    CREATE TABLE case_number_blocks (
        window INTEGER NOT NULL, day TEXT NOT NULL, next_seq INTEGER NOT NULL, PRIMARY KEY (window, day)
    );
    CREATE TABLE case_number_leases (
        id INTEGER PRIMARY KEY AUTOINCREMENT, window INTEGER NOT NULL, day TEXT NOT NULL,
        first INTEGER NOT NULL, last INTEGER NOT NULL, clerk TEXT NOT NULL, leased_at TEXT NOT NULL
    );
    """,
    # 3: access control — window binding, assigned windows, login limits, device lifetimes,
    # lookup purposes, progress check codes, a security audit log
    """
    ALTER TABLE windows ADD COLUMN device TEXT;
    ALTER TABLE clerks ADD COLUMN windows TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
    ALTER TABLE devices ADD COLUMN expires_at TEXT;
    ALTER TABLE devices ADD COLUMN revoked_at TEXT;
    ALTER TABLE cases ADD COLUMN check_code TEXT NOT NULL DEFAULT '';
    CREATE TABLE login_failures (
        key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at TEXT NOT NULL, locked_until TEXT
    );
    CREATE TABLE case_access (
        case_id TEXT PRIMARY KEY, window INTEGER NOT NULL, clerk TEXT NOT NULL, ticket TEXT NOT NULL DEFAULT '',
        bundle TEXT NOT NULL DEFAULT '', opened_at TEXT NOT NULL
    );
    CREATE TABLE security_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, address TEXT NOT NULL DEFAULT '',
        action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX lookup_audit_subject ON lookup_audit (subject_key);
    """,
    # 4: the clerk who called a ticket (statistics per clerk)
    """
    ALTER TABLE tickets ADD COLUMN clerk TEXT NOT NULL DEFAULT '';
    """,
    # 5: the queue heads in index order down to the id, the tie-break call-next sorts by: the
    # head is one index entry on both databases, with or without planner statistics
    """
    DROP INDEX tickets_waiting;
    DROP INDEX tickets_pinned;
    CREATE INDEX tickets_waiting ON tickets (day, status, priority, service, order_key, id);
    CREATE INDEX tickets_pinned ON tickets (day, status, pinned_window, order_key, id);
    """,
    # 6: after intake: each matter's result from the back office, the results handed over
    # (出件) at a window or mailed, the messages that tell the applicant or go to 12345, and
    # the 办不成事 reports
    """
    CREATE TABLE matter_results (
        case_id TEXT NOT NULL, matter TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
        documents TEXT NOT NULL DEFAULT '[]', delivery TEXT NOT NULL DEFAULT 'counter', decided_at TEXT NOT NULL,
        content_hash TEXT NOT NULL, received_at TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (case_id, matter)
    );
    CREATE TABLE handovers (
        handover_id TEXT PRIMARY KEY, case_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, handed_at TEXT NOT NULL,
        window INTEGER NOT NULL, clerk TEXT NOT NULL, content_hash TEXT NOT NULL, body TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL, kind TEXT NOT NULL, recipient TEXT NOT NULL,
        text TEXT NOT NULL, created_at TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_at TEXT NOT NULL, last_error TEXT NOT NULL DEFAULT '', delivered_at TEXT,
        channel TEXT NOT NULL DEFAULT 'sms', UNIQUE (case_id, kind)
    );
    CREATE INDEX notifications_due ON notifications (state, next_at);
    CREATE TABLE reports (
        report_id TEXT PRIMARY KEY, report_number TEXT NOT NULL UNIQUE, category TEXT NOT NULL, wanted TEXT NOT NULL,
        contact_name TEXT NOT NULL, contact_phone TEXT NOT NULL, ticket TEXT NOT NULL DEFAULT '',
        case_number TEXT NOT NULL DEFAULT '', window INTEGER NOT NULL, clerk TEXT NOT NULL, raised_at TEXT NOT NULL,
        deadline TEXT NOT NULL, state TEXT NOT NULL, closure_note TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL,
        content_hash TEXT NOT NULL
    );
    CREATE TABLE report_numbers (day TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);
    """,
    # 7: a report's contact is sealed at rest (central.seal); lists show this masked copy.
    """
    ALTER TABLE reports ADD COLUMN contact_masked TEXT NOT NULL DEFAULT '';
    """,
    # 8: appointments are booked and cancelled, with a capacity per service and slot.
    """
    ALTER TABLE appointments ADD COLUMN state TEXT NOT NULL DEFAULT 'booked';
    ALTER TABLE appointments ADD COLUMN contact_masked TEXT NOT NULL DEFAULT '';
    ALTER TABLE appointments ADD COLUMN booked_at TEXT NOT NULL DEFAULT '';
    CREATE INDEX appointments_slot ON appointments (service, slot_start);
    CREATE TABLE appointment_slots (
        service TEXT NOT NULL, slot_start TEXT NOT NULL, slot_end TEXT NOT NULL, capacity INTEGER NOT NULL,
        PRIMARY KEY (service, slot_start)
    );
    """,
    # 9: how a 差评 follow-up ended (the manager's record of the return visit); why and since
    # when a window is paused (the manager's screen shows it).
    """
    ALTER TABLE windows ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE windows ADD COLUMN paused_at TEXT;
    ALTER TABLE followups ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
    ALTER TABLE followups ADD COLUMN note TEXT NOT NULL DEFAULT '';
    ALTER TABLE followups ADD COLUMN closed_at TEXT;
    ALTER TABLE followups ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';
    """,
]


class DatabaseLocationError(ValueError):
    """The database file cannot be where it was asked to be."""


def connect(path: Path | str) -> Any:
    """Open (and create or migrate) the platform database: a `postgresql://` URL or a
    SQLite file. SQLite runs with synchronous=FULL: an acknowledged case survives a
    power cut (WAL with NORMAL may lose the last commits)."""
    if is_postgres_url(path):
        pg = PgConnection(str(path))
        migrate(pg)
        return pg
    if str(path) != ":memory:" and not Path(path).parent.is_dir():
        raise DatabaseLocationError(f"数据库所在目录不存在：{Path(path).parent}（请先创建该目录，或用 --db 指定）")
    connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA foreign_keys=ON")
    migrate(connection)
    return connection


def schema_version(connection: Any) -> int:
    connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = connection.execute("SELECT version FROM schema_version").fetchone()
    return row[0] if row else 0


def migrate(connection: Any) -> None:
    with transaction(connection):
        version = schema_version(connection)
        for step in MIGRATIONS[version:]:
            for statement in step.split(";"):
                if statement.strip():
                    connection.execute(statement)
        if version == 0:
            connection.execute("INSERT INTO schema_version (version) VALUES (?)", (len(MIGRATIONS),))
        else:
            connection.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))
        after_migrate(connection)


@contextmanager
def transaction(connection: Any) -> Iterator[Any]:
    """Take the write lock up front, so two writers never interleave (SQLite's BEGIN
    IMMEDIATE; in PostgreSQL an advisory lock every platform process shares)."""
    begin_write(connection)
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    else:
        connection.execute("COMMIT")
