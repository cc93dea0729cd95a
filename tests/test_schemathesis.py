"""schemathesis against the OpenAPI document of `window-tui serve`, with a clerk's and an
admin's token: generated requests for every operation (bounded: 30 examples each, a few
thousand requests, about a minute a run) and not one server error. The event stream is
left out: it never ends by design."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.platform_process import ServeProcess

ST = Path(sys.executable).parent / "st"


@pytest.mark.skipif(not ST.exists(), reason="schemathesis is not installed (pip install -e '.[test]')")
@pytest.mark.timeout(600)
def test_generated_requests_never_cause_a_server_error(tmp_path: Path) -> None:
    with ServeProcess(tmp_path / "central.db", windows=8, persons=300) as server:
        tokens = {"clerk": server.post("/auth/login", {"clerk": "1005", "password": "demo1005", "window": 5,
                                                        "device": "schemathesis"})["token"],
                  "admin": server.post("/auth/login", {"clerk": "9000", "password": "demo9000"})["token"]}
        for who, token in tokens.items():
            run = subprocess.run(
                [str(ST), "run", server.url + "/openapi.json", "--checks", "not_a_server_error",
                 "--max-examples", "30", "--generation-deterministic", "--request-timeout", "10",
                 "--exclude-path", "/api/v1/events/stream", "--header", f"Authorization: Bearer {token}"],
                capture_output=True, text=True, timeout=500, env={**os.environ, "NO_COLOR": "1"})
            summary = run.stdout[-3000:]
            assert run.returncode == 0, f"{who}: {summary}\n{run.stderr[-2000:]}"
            generated = re.search(r"(\d+) generated, (\d+) passed", summary)
            assert generated and generated.group(1) == generated.group(2) and int(generated.group(1)) > 500, summary
