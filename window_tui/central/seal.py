"""Sealing an applicant's contact at rest: a 办不成事 report's name and phone, and the
outbox's recipients and texts (a 12345 work order carries the contact), are stored
encrypted (AES-256-GCM) so a copied database file or a backup does not give them away;
only the outbox reads them back, to send them.

A key file holds one or more keys, one per line as 64 hex digits, each with an id (the
first 8 hex digits of its SHA-256). New values are sealed with the first key; any key in
the file opens what it sealed, so a hall moved into a city platform keeps its old key as
a further line. Every `serve` process of one platform must use the same file."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "s1:"


class SealError(Exception):
    """One Chinese line: what is wrong with the key or a sealed value."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


@dataclass(frozen=True)
class Sealer:
    keys: tuple[bytes, ...]  # the first seals; all open
    _by_id: dict[str, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys or any(len(k) != 32 for k in self.keys):
            raise SealError("联系方式密钥须为 32 字节（64 位十六进制）")
        object.__setattr__(self, "_by_id", {key_id(k): k for k in self.keys})

    @classmethod
    def ephemeral(cls) -> Sealer:
        """A key that lives as long as the process (tests and throwaway platforms)."""
        return cls((secrets.token_bytes(32),))

    def seal(self, text: str) -> str:
        nonce = secrets.token_bytes(12)
        kid = key_id(self.keys[0])
        sealed = AESGCM(self.keys[0]).encrypt(nonce, text.encode("utf-8"), kid.encode())
        return f"{PREFIX}{kid}:{base64.b64encode(nonce + sealed).decode()}"

    def unseal(self, value: str) -> str:
        if not value.startswith(PREFIX):
            raise SealError("该字段未加密存放（不应出现）：请检查数据来源")
        kid, _, payload = value[len(PREFIX):].partition(":")
        key = self._by_id.get(kid)
        if key is None:
            raise SealError(f"联系方式由另一密钥（编号 {kid}）加密：请把写入它的平台的密钥加入本平台的密钥文件")
        raw = base64.b64decode(payload)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], kid.encode()).decode("utf-8")
        except InvalidTag as exc:
            raise SealError(f"联系方式密文已损坏（密钥编号 {kid}）") from exc


def load_key_file(path: Path, *, create: bool) -> tuple[Sealer, bool]:
    """The platform's keys; a missing file is made (owner-only) when `create`. Returns the
    sealer and whether the file was just made."""
    made = False
    if not path.exists():
        if not create:
            raise SealError(f"找不到联系方式密钥文件：{path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked in: two servers starting at once
        # never read a half-written key, and the second one uses the first one's key.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
            made = True
        except FileExistsError:
            pass  # another server made it a moment ago: use that one
        finally:
            draft.unlink()
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        keys = tuple(bytes.fromhex(line) for line in lines if line and not line.startswith("#"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SealError(f"联系方式密钥文件无法读取：{path}（每行一个 64 位十六进制密钥）") from exc
    return Sealer(keys), made


def default_key_path(db: Path | str) -> Path:
    """Beside a SQLite file; for PostgreSQL in the platform's data folder."""
    if isinstance(db, Path):
        return db.with_name(db.name + ".seal-key")
    from platformdirs import user_data_path

    return user_data_path("window-tui") / "seal-key"
