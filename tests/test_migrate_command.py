"""`forum migrate --to`: a downgrade that would drop rows is refused with each table (or
column) and its count unless --force; empty tables go freely; an unknown revision is a
clear error. On SQLite and PostgreSQL, through the real command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from forum import migrate as migrate_module
from forum.cli import app
from forum.core.db import make_engine
from forum.migrate import Loss, MigrateError, pending_revisions, plan_migration

NOW = {"now": "2026-12-01 00:00:00"}


def forum(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path, *args: str) -> tuple[int, str]:
    for name in list(os.environ):
        if name.startswith("FORUM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FORUM_DATABASE_URL", url)
    monkeypatch.setenv("FORUM_DATA_DIR", str(data_dir))
    result = CliRunner().invoke(app, ["migrate", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output + (result.stderr or "")


def revision(url: str) -> str:
    engine = make_engine(url, pool=False)
    try:
        current, _heads = pending_revisions(engine)
    finally:
        engine.dispose()
    return ",".join(sorted(current))


def tables(url: str) -> set[str]:
    engine = make_engine(url, pool=False)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    engine = make_engine(url, pool=False)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), NOW)
    finally:
        engine.dispose()


def count(url: str, name: str) -> int:
    engine = make_engine(url, pool=False)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text(f"SELECT count(*) FROM {name}")) or 0)
    finally:
        engine.dispose()


def add_clicks_and_searches(url: str) -> None:
    """One row in digest_click (made by 0020), two in search_log (0019)."""
    search = (
        "INSERT INTO search_log (logged_at, text, countries, sectors, kinds, result_count,"
        " signed_in, via) VALUES (:now, 'olive oil', 'JP', '', '', 3, false, 'page')"
    )
    execute(
        url,
        "INSERT INTO digest_click (week, section, clicks) VALUES ('2026-11-30', 'intel', 4)",
        search,
        search,
    )


def test_a_downgrade_dropping_rows_is_refused_naming_each_table_and_its_count(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_clicks_and_searches(scratch_url)
    head = revision(scratch_url)
    code, output = forum(monkeypatch, scratch_url, tmp_path, "--to", "0018")
    assert code == 1
    assert "table digest_click: 1 row\n" in output
    assert "table search_log: 2 rows\n" in output
    assert "--force" in output
    assert "forum restore" in output
    # Nothing changed: still at head, every row there.
    assert revision(scratch_url) == head
    assert count(scratch_url, "digest_click") == 1
    assert count(scratch_url, "search_log") == 2


def test_a_dry_run_says_what_would_be_dropped_and_changes_nothing(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_clicks_and_searches(scratch_url)
    head = revision(scratch_url)
    code, output = forum(monkeypatch, scratch_url, tmp_path, "--to", "0018", "--dry-run")
    assert code == 1, "a dry run exits as the real run would"
    assert "table search_log: 2 rows" in output
    code, output = forum(monkeypatch, scratch_url, tmp_path, "--to", "0018", "--dry-run", "--force")
    assert code == 0
    assert "dry run: nothing was changed" in output
    assert revision(scratch_url) == head
    assert {"digest_click", "search_log"} <= tables(scratch_url)


def test_force_goes_down_and_migrate_comes_back_up(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_clicks_and_searches(scratch_url)
    head = revision(scratch_url)
    code, output = forum(monkeypatch, scratch_url, tmp_path, "--to", "0018", "--force")
    assert code == 0, output
    assert "drops the table search_log: 2 rows" in output
    assert revision(scratch_url) == "0018"
    assert not {"digest_click", "search_log"} & tables(scratch_url)
    code, output = forum(monkeypatch, scratch_url, tmp_path)
    assert code == 0, output
    assert revision(scratch_url) == head
    assert {"digest_click", "search_log"} <= tables(scratch_url)


def test_empty_tables_are_dropped_without_force(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = forum(monkeypatch, scratch_url, tmp_path, "--to", "0018")
    assert code == 0, output
    assert "drops the empty table digest_click" in output
    assert "drops the empty table search_log" in output
    assert revision(scratch_url) == "0018"
    assert "search_log" not in tables(scratch_url)


def test_an_unknown_revision_is_a_clear_error_and_changes_nothing(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = revision(scratch_url)
    code, output = forum(monkeypatch, scratch_url, tmp_path, "--to", "0999")
    assert code == 1
    assert "unknown revision '0999'" in output
    assert "known revisions are 0001, " in output
    assert revision(scratch_url) == head


def test_migrate_without_arguments_is_a_no_op_at_head(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = forum(monkeypatch, scratch_url, tmp_path)
    assert code == 0
    assert "database migrated: already at" in output


def test_a_dropped_column_counts_the_rows_that_hold_a_value(scratch_url: str) -> None:
    """0016 added user_account.previous_seen_at: going below it loses what it holds."""
    member = (
        "INSERT INTO user_account (email, name, role, bio, timezone, language,"
        " digest_frequency, digest_weekday, digest_hour, created_at, previous_seen_at)"
        " VALUES ('{0}@example.eu', 'M', 'member', '', 'UTC', 'en', 'weekly', 0, 7, :now, {1})"
    )
    execute(scratch_url, member.format("a", ":now"), member.format("b", "NULL"))
    plan = plan_migration(scratch_url, "0015")
    assert plan.direction == "downgrade"
    assert plan.revisions[-1] == "0016"
    assert Loss("user_account", "previous_seen_at", 1) in plan.data_lost
    assert Loss("user_account", None, 2) not in plan.losses, "the table itself stays"
    assert count(scratch_url, "user_account") == 2
    engine = make_engine(scratch_url, pool=False)
    try:
        columns = {col["name"] for col in inspect(engine).get_columns("user_account")}
    finally:
        engine.dispose()
    assert "previous_seen_at" in columns, "planning changed nothing"


def test_a_downgrade_waits_briefly_for_tables_in_use_then_says_to_stop_the_forum(
    scratch_url: str, scratch_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if scratch_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's trial runs on a copy of the file: nothing to wait for")
    monkeypatch.setattr(migrate_module, "TRIAL_LOCK_TIMEOUT", "200ms")
    with scratch_engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM digest_click"))  # a forum process reading
        with pytest.raises(MigrateError, match="stop every `forum serve` and `forum worker`"):
            plan_migration(scratch_url, "0019")
        reader.rollback()
    assert plan_migration(scratch_url, "0019").direction == "downgrade"


def test_a_database_migrated_by_a_newer_version_is_named_as_such(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute(scratch_url, "UPDATE alembic_version SET version_num = '9999'")
    code, output = forum(monkeypatch, scratch_url, tmp_path, "--to", "0019")
    assert code == 1
    assert "at revision 9999, which this version of the forum does not know" in output
    assert revision(scratch_url) == "9999"
