"""A PostgreSQL server for the tests: `WINDOW_TUI_TEST_PG`, else 127.0.0.1:5432 if it
answers, else a throwaway cluster started with the installed binaries. Each test gets
a schema of its own (dropped afterwards), reached through the URL's search_path."""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from urllib.parse import quote

import psycopg

LOCAL = "postgresql://postgres@127.0.0.1:5432/test"


class NoServer(Exception):
    """Why no PostgreSQL could be found or started (one line)."""


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class Cluster:
    """A private PostgreSQL cluster in a temporary directory, started with the installed
    binaries (as an unprivileged user when run as root: initdb refuses root)."""

    def __init__(self) -> None:
        initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if not initdb or not self.pg_ctl:
            raise NoServer("no PostgreSQL at WINDOW_TUI_TEST_PG or 127.0.0.1:5432, and no initdb/pg_ctl installed")
        self.base = tempfile.mkdtemp(prefix="window-tui-pg-")
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            user = "postgres" if _user_exists("postgres") else "nobody"
            shutil.chown(self.base, user)
            self.run_as = ["runuser", "-u", user, "--"]
        self.data = os.path.join(self.base, "data")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        subprocess.run([*self.run_as, initdb, "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True)
        subprocess.run([*self.run_as, self.pg_ctl, "-D", self.data, "-w", "-l", os.path.join(self.base, "log"),
                        "-o", f"-p {port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True)
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 20
        while not _answers(self.url):
            if time.monotonic() > deadline:
                self.stop()
                raise NoServer(f"a throwaway cluster in {self.base} did not answer")
            time.sleep(0.2)

    def stop(self) -> None:
        subprocess.run([*self.run_as, self.pg_ctl, "-D", self.data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def find_server() -> str:
    """The base URL of a PostgreSQL server the tests may create schemas on."""
    configured = os.environ.get("WINDOW_TUI_TEST_PG")
    if configured:
        if not _answers(configured):
            raise NoServer(f"WINDOW_TUI_TEST_PG={configured} does not answer")
        return configured
    if _answers(LOCAL):
        return LOCAL
    cluster = Cluster()
    atexit.register(cluster.stop)
    return cluster.url


class Schema:
    """One test's own schema on the server; `url` reaches only it."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {self.name}")
        separator = "&" if "?" in server else "?"
        self.url = f"{server}{separator}options={quote(f'-csearch_path={self.name}')}"

    def drop(self) -> None:
        """The schema and the halls a city platform made beside it ({name}_hall_{code})."""
        with psycopg.connect(self.server, autocommit=True) as connection:
            halls = connection.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                       (f"{self.name}\\_hall\\_%",)).fetchall()
            for (name,) in [(self.name,), *halls]:
                connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
