"""The `forum` command as operators run it: real processes on a fresh data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from forum.core.db import make_engine
from forum.runner import load_jobs

pytestmark = pytest.mark.slow


def forum(
    data_dir: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env["FORUM_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "forum.cli", *args],
        env=env,
        input=stdin,
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
    # Every periodic task is due on a fresh database; no job is queued yet.
    assert f"ran {len(load_jobs().periodic_tasks)} tasks and jobs" in worker.stderr
    assert (tmp_path / "secret_key").exists()


def test_demo_synthetic_reports_progress_and_adds_rows(tmp_path: Path) -> None:
    result = forum(tmp_path, "demo", "--synthetic", "600")
    assert "synthetic posts" in result.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'forum.sqlite3'}")
    with engine.connect() as conn:
        synthetic = conn.execute(
            text(
                "select count(*) from post where thread_id in (select id from thread where source_note like 'Synthetic%')"
            )
        ).scalar()
    engine.dispose()
    assert synthetic is not None
    assert 500 <= synthetic <= 600


def test_unknown_command_exits_non_zero_with_usage(tmp_path: Path) -> None:
    result = forum(tmp_path, "no-such-command", check=False)
    assert result.returncode != 0
    assert "No such command" in result.stderr


def test_user_create_reads_the_password_from_stdin_and_makes_a_verified_account(
    tmp_path: Path,
) -> None:
    forum(tmp_path, "migrate")
    result = forum(
        tmp_path,
        "user",
        "create",
        "ops@example.eu",
        "--name",
        "Ops Person",
        "--role",
        "moderator",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert "created moderator ops@example.eu" in result.stderr
    again = forum(
        tmp_path,
        "user",
        "create",
        "ops@example.eu",
        "--name",
        "Ops",
        "--password-stdin",
        check=False,
        stdin="a long enough passphrase\n",
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_user_create_refuses_a_common_password_and_an_unknown_role(tmp_path: Path) -> None:
    forum(tmp_path, "migrate")
    weak = forum(
        tmp_path,
        "user",
        "create",
        "a@example.eu",
        "--name",
        "A",
        "--password-stdin",
        check=False,
        stdin="password1\n",
    )
    assert weak.returncode == 1
    assert "most commonly used" in weak.stderr
    role = forum(
        tmp_path,
        "user",
        "create",
        "b@example.eu",
        "--name",
        "B",
        "--role",
        "emperor",
        "--password-stdin",
        check=False,
        stdin="a long enough passphrase\n",
    )
    assert role.returncode == 1
    assert "Unknown role" in role.stderr


def test_init_migrates_seeds_and_creates_the_first_admin_without_demo_data(
    tmp_path: Path,
) -> None:
    result = forum(
        tmp_path,
        "init",
        "--admin",
        "root@example.eu",
        "--password-stdin",
        stdin="first admin passphrase\n",
    )
    assert "16 sectors added; 6 discussion categories added" in result.stderr
    assert "created admin root@example.eu" in result.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'forum.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from partnership")).scalar() == 0
        role = conn.execute(text("select role from user_account")).scalar()
    engine.dispose()
    assert role == "admin"
