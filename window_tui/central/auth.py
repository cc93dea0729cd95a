"""Accounts, password hashing (scrypt) and expiring bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

ROLES = ("clerk", "display", "kiosk", "rater", "admin")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32,
                              n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(computed.hex(), digest)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    subject: str  # clerk number or device name
    role: str
    window: int | None


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def add_clerk(connection: sqlite3.Connection, number: str, name: str, password: str,
              role: str = "clerk") -> None:
    if role not in ("clerk", "admin"):
        raise ValueError("角色应为 clerk 或 admin")
    connection.execute(
        "INSERT INTO clerks (number, name, password_hash, role) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (number) DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash,"
        " role = excluded.role, active = 1",
        (number, name, hash_password(password), role),
    )


def add_device(connection: sqlite3.Connection, role: str, name: str, now: datetime,
               window: int | None = None, token: str | None = None) -> str:
    if role not in ("display", "kiosk", "rater"):
        raise ValueError("设备角色应为 display、kiosk 或 rater")
    token = token or secrets.token_urlsafe(24)
    connection.execute(
        "INSERT INTO devices (token_hash, role, name, window, created_at) VALUES (?, ?, ?, ?, ?)",
        (token_hash(token), role, name, window, now.isoformat()),
    )
    return token


def login(connection: sqlite3.Connection, number: str, password: str, window: int | None,
          now: datetime, ttl: timedelta = timedelta(hours=12), device: str = "") -> tuple[str, datetime, sqlite3.Row]:
    row = connection.execute("SELECT * FROM clerks WHERE number = ? AND active = 1", (number,)).fetchone()
    if row is None or not verify_password(password, row["password_hash"]):
        raise AuthError(401, "工号或密码错误")
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    connection.execute(
        "INSERT INTO sessions (token_hash, clerk, role, window, expires_at) VALUES (?, ?, ?, ?, ?)",
        (token_hash(token), number, row["role"], window, expires.isoformat()),
    )
    connection.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
    return token, expires, row


def authenticate(connection: sqlite3.Connection, token: str, now: datetime) -> Principal:
    hashed = token_hash(token)
    row = connection.execute("SELECT * FROM sessions WHERE token_hash = ?", (hashed,)).fetchone()
    if row is not None:
        if row["expires_at"] < now.isoformat():
            raise AuthError(401, "登录已过期，请重新登录")
        return Principal(row["clerk"], row["role"], row["window"])
    device = connection.execute("SELECT * FROM devices WHERE token_hash = ?", (hashed,)).fetchone()
    if device is not None:
        return Principal(device["name"], device["role"], device["window"])
    raise AuthError(401, "令牌无效")
