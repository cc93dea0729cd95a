"""Encryption of personal data at rest (AES-GCM, `cryptography`). The key lives
outside the data directory with mode 0600."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class KeyFileError(RuntimeError):
    pass


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyFileError(f"密钥文件 {path} 权限过宽（{oct(mode)}），应为 0600：chmod 600 {path}")
        key = base64.b64decode(path.read_bytes())
        if len(key) != 32:
            raise KeyFileError(f"密钥文件 {path} 内容无效")
        return key
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
        raw = base64.b64decode(sealed)
        return json.loads(self._aead.decrypt(raw[:12], raw[12:], context.encode()))
