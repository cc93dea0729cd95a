"""Accounts, password hashing (scrypt) and expiring bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from window_tui.central.dialect import AnyRow, Connection

ROLES = ("clerk", "supervisor", "display", "kiosk", "rater", "admin")
STAFF_ROLES = ("clerk", "supervisor", "admin")
DEVICE_ROLES = ("display", "kiosk", "rater", "backoffice")  # backoffice: an approval system
# Failed logins: growing delays from the 5th failure; a clerk is locked after 10 until an
# admin lifts it (`window-tui admin unlock`). Checked before any hashing, so a flood costs
# the platform a lookup, not a scrypt.
DELAY_AFTER = 5
LOCK_AFTER = 10
MAX_DELAY = timedelta(minutes=15)
ADMIN_LOCK = "9999-12-31T00:00:00+00:00"
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
    device: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class AuthError(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def add_clerk(connection: Connection, number: str, name: str, password: str,
              role: str = "clerk", windows: list[int] | None = None) -> None:
    """Adds a clerk or changes one's name, password and role (`windows`: the windows the
    clerk may take; None keeps the current assignment, [] means any window)."""
    if role not in STAFF_ROLES:
        raise ValueError("角色应为 clerk、supervisor 或 admin")
    connection.execute(
        "INSERT INTO clerks (number, name, password_hash, role, windows) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (number) DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash,"
        " role = excluded.role, active = 1",
        (number, name, hash_password(password), role, json.dumps(windows or [])),
    )
    if windows is not None:
        connection.execute("UPDATE clerks SET windows = ? WHERE number = ?", (json.dumps(windows), number))


def add_device(connection: Connection, role: str, name: str, now: datetime,
               window: int | None = None, token: str | None = None, days: int = 365) -> str:
    """A device token (shown once): expires after `days`; rotate or revoke by name."""
    if role not in DEVICE_ROLES:
        raise ValueError("设备角色应为 display、kiosk、rater 或 backoffice")
    if role == "rater" and window is None:
        raise ValueError("评价器必须绑定窗口：--window N")
    if connection.execute("SELECT 1 FROM devices WHERE name = ? AND revoked_at IS NULL", (name,)).fetchone():
        raise ValueError(f"已有名为“{name}”的设备；更换令牌请用 rotate-device，停用请用 revoke-device")
    token = token or secrets.token_urlsafe(24)
    connection.execute(
        "INSERT INTO devices (token_hash, role, name, window, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash(token), role, name, window, now.isoformat(), (now + timedelta(days=days)).isoformat()),
    )
    return token


def rotate_device(connection: Connection, name: str, now: datetime, days: int = 365) -> str:
    """A new token for a device; the old one stops working at once."""
    row = connection.execute("SELECT * FROM devices WHERE name = ? AND revoked_at IS NULL", (name,)).fetchone()
    if row is None:
        raise ValueError(f"没有名为“{name}”的有效设备")
    revoke_device(connection, name, now)
    return add_device(connection, row["role"], name, now, row["window"], days=days)


def revoke_device(connection: Connection, name: str, now: datetime) -> int:
    changed = connection.execute("UPDATE devices SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                                 (now.isoformat(), name)).rowcount
    if not changed:
        raise ValueError(f"没有名为“{name}”的有效设备")
    return changed


def audit(connection: Connection, now: datetime, actor: str, action: str, detail: str = "",
          address: str = "") -> None:
    connection.execute("INSERT INTO security_audit (at, actor, address, action, detail) VALUES (?, ?, ?, ?, ?)",
                       (now.isoformat(timespec="seconds"), actor, address, action, detail))


# --- failed-login limits --------------------------------------------------------------------

def login_blocked(connection: Connection, keys: list[str], now: datetime) -> AuthError | None:
    """Refuse before hashing when a clerk or address is locked or must wait."""
    for key in keys:
        row = connection.execute("SELECT * FROM login_failures WHERE key = ?", (key,)).fetchone()
        if row is None or not row["locked_until"]:
            continue
        if row["locked_until"] == ADMIN_LOCK:
            return AuthError(423, "该工号因多次密码错误已锁定，请联系管理员解锁（window-tui admin unlock）")
        until = datetime.fromisoformat(row["locked_until"])
        if until > now:
            wait = int((until - now).total_seconds()) + 1
            return AuthError(429, f"登录失败次数过多，请 {wait} 秒后再试", retry_after=wait)
    return None


def record_failure(connection: Connection, key: str, now: datetime, *, admin_lock: bool) -> None:
    row = connection.execute("SELECT failures FROM login_failures WHERE key = ?", (key,)).fetchone()
    failures = (row["failures"] if row else 0) + 1
    locked: str | None = None
    if admin_lock and failures >= LOCK_AFTER:
        locked = ADMIN_LOCK
    elif failures >= DELAY_AFTER:
        delay = min(MAX_DELAY, timedelta(seconds=2 ** (failures - DELAY_AFTER)))
        locked = (now + delay).isoformat()
    connection.execute(
        "INSERT INTO login_failures (key, failures, last_at, locked_until) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at,"
        " locked_until = excluded.locked_until", (key, failures, now.isoformat(), locked))


def clear_failures(connection: Connection, key: str) -> None:
    connection.execute("DELETE FROM login_failures WHERE key = ?", (key,))


# --- sessions -----------------------------------------------------------------------------

def live_holder(connection: Connection, window: int, now: datetime) -> AnyRow | None:
    """The live clerk session holding a window, if any."""
    return connection.execute(
        "SELECT s.clerk, s.device, c.name FROM sessions s JOIN clerks c ON c.number = s.clerk"
        " WHERE s.window = ? AND s.expires_at > ? ORDER BY s.expires_at DESC LIMIT 1",
        (window, now.isoformat())).fetchone()


def live_holders(connection: Connection, now: datetime) -> dict[int, AnyRow]:
    """Every window's live clerk session (as live_holder, for all windows in one read)."""
    holders: dict[int, AnyRow] = {}
    for row in connection.execute(
            "SELECT s.window, s.clerk, s.device, c.name FROM sessions s JOIN clerks c ON c.number = s.clerk"
            " WHERE s.window IS NOT NULL AND s.expires_at > ? ORDER BY s.expires_at", (now.isoformat(),)):
        holders[row["window"]] = row  # the latest-expiring one wins, as in live_holder
    return holders


def open_session(connection: Connection, row: AnyRow, window: int | None, device: str,
                 now: datetime, ttl: timedelta = timedelta(hours=12)) -> tuple[str, datetime]:
    """A session for a clerk whose password was verified. A window has one holder at a time:
    the same counter (device) may log in again (after an expiry, a restart); another is
    refused with who holds the window, until that session ends or a supervisor releases it."""
    if window is not None:
        allowed = json.loads(row["windows"] or "[]")
        if allowed and window not in allowed and row["role"] == "clerk":
            raise AuthError(403, f"工号 {row['number']} 未被分配到 {window} 号窗口（可用：{'、'.join(map(str, allowed))}）")
        holder = live_holder(connection, window, now)
        if holder is not None and (holder["device"] != device or holder["clerk"] != row["number"]):
            raise AuthError(409, f"{window} 号窗口已由 {holder['clerk']}（{holder['name']}）在另一台电脑登录；"
                                 "如需接管，请值班长释放该窗口")
        connection.execute("UPDATE windows SET clerk = ?, device = ? WHERE number = ?", (row["number"], device, window))
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    connection.execute(
        "INSERT INTO sessions (token_hash, clerk, role, window, expires_at, device) VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash(token), row["number"], row["role"], window, expires.isoformat(), device),
    )
    connection.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
    return token, expires


def release_window(connection: Connection, window: int) -> int:
    """A supervisor frees a window: its sessions end, the next clerk may log in."""
    ended = connection.execute("DELETE FROM sessions WHERE window = ?", (window,)).rowcount
    connection.execute("UPDATE windows SET device = NULL WHERE number = ?", (window,))
    return ended


def login(connection: Connection, number: str, password: str, window: int | None,
          now: datetime, ttl: timedelta = timedelta(hours=12), device: str = "") -> tuple[str, datetime, AnyRow]:
    """Synchronous login (admin tools, tests); the API hashes off its event loop."""
    row = connection.execute("SELECT * FROM clerks WHERE number = ? AND active = 1", (number,)).fetchone()
    if row is None or not verify_password(password, row["password_hash"]):
        raise AuthError(401, "工号或密码错误")
    token, expires = open_session(connection, row, window, device, now, ttl)
    return token, expires, row


def authenticate(connection: Connection, token: str, now: datetime) -> Principal:
    hashed = token_hash(token)
    row = connection.execute("SELECT * FROM sessions WHERE token_hash = ?", (hashed,)).fetchone()
    if row is not None:
        if row["expires_at"] < now.isoformat():
            raise AuthError(401, "登录已过期，请重新登录")
        return Principal(row["clerk"], row["role"], row["window"], row["device"])
    device = connection.execute("SELECT * FROM devices WHERE token_hash = ?", (hashed,)).fetchone()
    if device is not None:
        if device["revoked_at"]:
            raise AuthError(401, "设备令牌已停用，请向管理员申请新令牌")
        if device["expires_at"] and device["expires_at"] < now.isoformat():
            raise AuthError(401, "设备令牌已过期，请向管理员申请新令牌（window-tui admin rotate-device）")
        return Principal(device["name"], device["role"], device["window"])
    raise AuthError(401, "令牌无效")
