"""Encryption of personal data at rest (AES-GCM, `cryptography`). The key lives
outside the data directory with mode 0600."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class KeyFileError(RuntimeError):
    pass


class SealBroken(ValueError):
    """A sealed record that does not open: tampered, truncated, or another key."""


def load_or_create_key(path: Path, *, sealed_records_exist: bool = False) -> bytes:
    """The store key. A new one is made only where nothing sealed exists yet: a missing
    key beside sealed records means those records could never be opened again."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyFileError(f"密钥文件 {path} 权限过宽（{oct(mode)}），应为 0600：chmod 600 {path}")
        try:
            key = base64.b64decode(path.read_bytes(), validate=True)
        except (ValueError, OSError) as exc:
            raise KeyFileError(f"密钥文件 {path} 已损坏（{exc}）：请从备份恢复该文件；"
                               "没有它，本机保存的案件无法解密") from exc
        if len(key) != 32:
            raise KeyFileError(f"密钥文件 {path} 内容无效（应为 32 字节密钥的 base64）：请从备份恢复该文件；"
                               "没有它，本机保存的案件无法解密")
        return key
    if sealed_records_exist:
        raise KeyFileError(f"密钥文件 {path} 不存在，但数据目录中有加密保存的记录：请从备份恢复密钥文件"
                           "（不会自动生成新密钥，否则这些记录将永远无法解密）")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key))
        handle.flush()
        os.fsync(handle.fileno())
    return key


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, value: Any, context: str) -> str:
        nonce = os.urandom(12)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plain, context.encode())).decode("ascii")

    def open(self, sealed: str, context: str) -> Any:
        """Raises SealBroken when the record was changed or sealed with another key."""
        try:
            raw = base64.b64decode(sealed)
            return json.loads(self._aead.decrypt(raw[:12], raw[12:], context.encode()))
        except (InvalidTag, ValueError, TypeError) as exc:
            raise SealBroken("记录无法解密（内容被改动，或由另一把密钥加密）") from exc
