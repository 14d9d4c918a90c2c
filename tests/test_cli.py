"""The `forum` command as operators run it: real processes on a fresh data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def forum(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env["FORUM_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "forum.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_serve_refuses_an_unmigrated_database_naming_forum_migrate(tmp_path: Path) -> None:
    result = forum(tmp_path, "serve", "--port", "1", check=False)
    assert result.returncode == 1
    assert "forum migrate" in result.stderr.replace("\n", " ")


def test_migrate_demo_and_a_worker_pass(tmp_path: Path) -> None:
    forum(tmp_path, "migrate")
    first = forum(tmp_path, "demo")
    assert "21 partnerships (21 new)" in first.stderr
    again = forum(tmp_path, "demo")
    assert "21 partnerships (0 new)" in again.stderr
    worker = forum(tmp_path, "worker", "--once")
    assert "ran 1 tasks and jobs" in worker.stderr  # the housekeeping task was due
    assert (tmp_path / "secret_key").exists()


def test_demo_synthetic_reports_progress_and_adds_rows(tmp_path: Path) -> None:
    result = forum(tmp_path, "demo", "--synthetic", "600")
    assert "synthetic partnerships" in result.stderr


def test_unknown_command_exits_non_zero_with_usage(tmp_path: Path) -> None:
    result = forum(tmp_path, "no-such-command", check=False)
    assert result.returncode != 0
    assert "No such command" in result.stderr
