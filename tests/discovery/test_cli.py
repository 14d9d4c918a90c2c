"""`forum search reindex` and `forum search status`, as operators run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def forum(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env["FORUM_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "forum.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_demo_leaves_an_index_that_reindex_rebuilds_and_status_reports(tmp_path: Path) -> None:
    demo = forum(tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "search index rebuilt:" in demo.stderr
    status = forum(tmp_path, "search", "status", "--json")
    assert status.returncode == 0, status.stderr
    state = json.loads(status.stdout)
    assert state["engine"] == "embedded" and state["ok"] is True
    assert state["documents"] > 100
    assert state["outbox_depth"] == 0 and state["oldest_pending_seconds"] is None
    generation = json.loads((tmp_path / "search" / "CURRENT").read_text())["generation"]

    again = forum(tmp_path, "search", "reindex")
    assert again.returncode == 0, again.stderr
    assert f"{state['documents']} documents" in again.stderr
    switched = json.loads((tmp_path / "search" / "CURRENT").read_text())["generation"]
    assert switched != generation
    assert not (tmp_path / "search" / generation).exists()  # the old one is gone


def test_status_exits_1_and_says_why_when_the_index_is_outdated(tmp_path: Path) -> None:
    assert forum(tmp_path, "migrate").returncode == 0
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "CURRENT").write_text('{"generation": "gen-000001", "schema": 0}')
    status = forum(tmp_path, "search", "status")
    assert status.returncode == 1
    assert "forum search reindex" in status.stdout
    rebuilt = forum(tmp_path, "search", "reindex")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert forum(tmp_path, "search", "status").returncode == 0
