"""Shared-data registries on the platform: loading the synthetic registries
and answering lookups, each lookup written to the audit log (who, when, for
which case, which attributes were returned — never their values)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from window_tui.central.auth import Principal
from window_tui.central.db import transaction
from window_tui.central.dialect import Connection
from window_tui.domain.prefill import REGISTRY_SOURCES
from window_tui.domain.synthetic import Registry

LOOKUP_REGISTRIES = tuple(r for r in REGISTRY_SOURCES if r != "clock")


def load_registry(connection: Connection, registry: Registry) -> int:
    rows = [
        (name, key, json.dumps(value, ensure_ascii=False), REGISTRY_SOURCES[name], record_date)
        for name, key, value, record_date in registry.rows()
    ]
    with transaction(connection):
        connection.execute("DELETE FROM registry_records")
        connection.executemany(
            "INSERT INTO registry_records (registry, key, attributes, source, record_date) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def lookup(connection: Connection, principal: Principal, registry: str, key: str, case_id: str,
           now: datetime) -> dict[str, Any] | None:
    row = connection.execute(
        "SELECT * FROM registry_records WHERE registry = ? AND key = ?", (registry, key)
    ).fetchone()
    attributes: Any = json.loads(row["attributes"]) if row else None
    names: list[str]
    if attributes is None:
        names = []
    elif registry == "elicence":
        names = sorted({licence["type"] for licence in attributes})
    else:
        names = sorted(attributes)
    connection.execute(
        "INSERT INTO lookup_audit (at, clerk, window, case_id, registry, subject_key, attributes, found)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (now.isoformat(), principal.subject, principal.window, case_id, registry, key,
         json.dumps(names, ensure_ascii=False), int(row is not None)),
    )
    if row is None:
        return None
    if registry == "elicence":
        attributes = {"licences": attributes}
    return {"registry": registry, "key": key, "attributes": attributes, "source": row["source"],
            "record_date": row["record_date"], "fetched_at": now.isoformat(timespec="seconds")}


def audit_entries(connection: Connection, case_id: str | None = None,
                  subject: str | None = None) -> list[dict[str, Any]]:
    """Who looked up what, when, and why (the case it was for: its bundle and ticket)."""
    query = ("SELECT a.*, c.bundle AS purpose_bundle, c.ticket AS purpose_ticket FROM lookup_audit a"
             " LEFT JOIN case_access c ON c.case_id = a.case_id")
    conditions, args = [], []
    if case_id:
        conditions.append("a.case_id = ?")
        args.append(case_id)
    if subject:
        conditions.append("a.subject_key = ?")
        args.append(subject)
    if conditions:
        query += " WHERE " + " AND ".join(conditions)
    rows = connection.execute(query + " ORDER BY a.id", args)
    return [{**dict(r), "attributes": json.loads(r["attributes"])} for r in rows]
