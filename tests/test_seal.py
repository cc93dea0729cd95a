"""The key file that seals applicants' contacts: made owner-only when missing, the same
one for two servers starting at once, several keys opening what each sealed, and one
Chinese line for a broken file — from `serve` too."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from window_tui.central.seal import PREFIX, Sealer, SealError, key_id, load_key_file


def test_a_missing_key_file_is_made_owner_only_and_used_again(tmp_path: Path) -> None:
    path = tmp_path / "hall" / "central.db.seal-key"
    sealer, made = load_key_file(path, create=True)
    assert made and stat.S_IMODE(path.stat().st_mode) == 0o600
    sealed = sealer.seal("13912345678")
    assert sealed.startswith(PREFIX) and "13912345678" not in sealed
    again, made_again = load_key_file(path, create=True)
    assert not made_again and again.unseal(sealed) == "13912345678"
    assert sealer.seal("13912345678") != sealed  # a fresh nonce each time: equal phones do not look equal


def test_servers_starting_at_once_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "seal-key"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: load_key_file(path, create=True), range(8)))
    assert sum(made for _, made in results) == 1
    assert len({sealer.keys for sealer, _ in results}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["seal-key"]  # no drafts left behind


def test_an_older_key_on_a_further_line_opens_what_it_sealed(tmp_path: Path) -> None:
    old, new = Sealer.ephemeral(), Sealer.ephemeral()
    moved = old.seal("赵大明")  # a hall's row, moved into the city's database
    path = tmp_path / "seal-key"
    path.write_text(f"{new.keys[0].hex()}\n# 秦淮大厅原密钥\n{old.keys[0].hex()}\n", encoding="utf-8")
    city, _ = load_key_file(path, create=False)
    assert city.unseal(moved) == "赵大明"
    assert city.seal("x").split(":")[1] == key_id(new.keys[0])  # new rows use the first key
    with pytest.raises(SealError, match=f"另一密钥（编号 {key_id(old.keys[0])}）"):
        new.unseal(moved)
    tampered = moved[:-4] + ("AAAA" if not moved.endswith("AAAA") else "BBBB")
    with pytest.raises(SealError, match="已损坏"):
        city.unseal(tampered)


def test_a_broken_key_file_stops_serve_in_one_line(tmp_path: Path) -> None:
    key = tmp_path / "broken-key"
    key.write_text("not a key\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[platform]\nseal_key_file = "{key}"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "window_tui.cli", "serve", "--db", str(tmp_path / "c.db"),
                           "--port", "0"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "WINDOW_TUI_CONFIG": str(config)})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"联系方式密钥文件无法读取：{key}（每行一个 64 位十六进制密钥）"]
