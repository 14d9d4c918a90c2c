"""`forum digest send|preview` on a database of their own, against a real SMTP server on
loopback; a sender killed with SIGKILL mid-run and restarted misses nobody."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from forum.cli import app
from forum.core.db import make_session_factory
from forum.digests.models import DigestDelivery
from forum.intelligence import writes as intel_writes
from forum.notifications.service import follow
from forum.taxonomy.service import resolve_sectors, seed_sectors
from tests.conftest import TEST_SECRET, People
from tests.digests.smtp_sink import SMTPSink

ROOT = Path(__file__).resolve().parents[2]
ITEM_TITLE = "Sake exporters meet Osaka food buyers"


def readers(engine: Engine, password_hash: str, count: int) -> list[str]:
    """`count` members following Japan, an item on Japan and food, an author without a
    digest; committed. Answers the readers' addresses."""
    with make_session_factory(engine)() as db:
        seed_sectors(db)
        people = People(db, password_hash)
        author = people.make(name="Ana Author", email="ana@example.eu")
        author.digest_frequency = "off"
        addresses = []
        for n in range(count):
            reader = people.make(email=f"reader{n:02d}@example.eu")
            follow(db, reader.id, "country", "JP")
            addresses.append(reader.email)
        intel_writes.create_item(
            db,
            author,
            intel_writes.ItemInput(
                title=ITEM_TITLE, countries=["JP"], sectors=resolve_sectors(db, ["food"])
            ),
        )
        db.commit()
    return addresses


def forum_env(scratch_url: str, sink: SMTPSink, data_dir: Path) -> dict[str, str]:
    return {
        "FORUM_DATABASE_URL": scratch_url,
        "FORUM_SMTP_URL": sink.url,
        "FORUM_DATA_DIR": str(data_dir),
        "FORUM_SECRET_KEY": TEST_SECRET,
        "FORUM_BASE_URL": "http://testserver",
    }


def rows(engine: Engine) -> list[DigestDelivery]:
    with Session(engine) as db:
        return list(db.scalars(select(DigestDelivery).order_by(DigestDelivery.user_id)))


def test_send_now_twice_sends_each_member_one_digest_for_the_period(
    scratch_url: str,
    scratch_engine: Engine,
    password_hash: str,
    sink: SMTPSink,
    tmp_path: Path,
) -> None:
    addresses = readers(scratch_engine, password_hash, 4)
    env = forum_env(scratch_url, sink, tmp_path)
    runner = CliRunner()

    first = runner.invoke(app, ["digest", "send", "--now"], env=env)
    second = runner.invoke(app, ["digest", "send", "--now"], env=env)

    assert first.exit_code == 0, first.output
    assert "sent 4, skipped 0, failed 0, resent 0" in first.output
    assert second.exit_code == 0, second.output
    assert "sent 0, skipped 0, failed 0, resent 0" in second.output
    assert sorted(m["To"] for m in sink.messages()) == addresses
    assert {r.status for r in rows(scratch_engine)} == {"sent"}


def test_send_for_one_member_and_a_dry_run(
    scratch_url: str,
    scratch_engine: Engine,
    password_hash: str,
    sink: SMTPSink,
    tmp_path: Path,
) -> None:
    addresses = readers(scratch_engine, password_hash, 3)
    env = forum_env(scratch_url, sink, tmp_path)
    runner = CliRunner()

    dry = runner.invoke(app, ["digest", "send", "--now", "--dry-run"], env=env)

    assert dry.exit_code == 0, dry.output
    assert "would send 3, would skip 0" in dry.output
    assert rows(scratch_engine) == [], "a dry run writes no rows"
    assert sink.messages() == []

    one = runner.invoke(app, ["digest", "send", "--now", "--user", addresses[1]], env=env)

    assert one.exit_code == 0, one.output
    assert [m["To"] for m in sink.messages()] == [addresses[1]]
    assert len(rows(scratch_engine)) == 1


def test_send_refuses_an_unknown_member_or_one_without_a_digest(
    scratch_url: str,
    scratch_engine: Engine,
    password_hash: str,
    sink: SMTPSink,
    tmp_path: Path,
) -> None:
    readers(scratch_engine, password_hash, 1)
    env = forum_env(scratch_url, sink, tmp_path)
    runner = CliRunner()

    unknown = runner.invoke(app, ["digest", "send", "--user", "nobody@example.eu"], env=env)
    off = runner.invoke(app, ["digest", "send", "--now", "--user", "ana@example.eu"], env=env)

    assert unknown.exit_code == 2
    assert "no member" in unknown.output
    assert off.exit_code == 1
    assert "turned digests off" in off.output
    assert sink.messages() == []


def test_preview_prints_the_text_version_and_sends_nothing(
    scratch_url: str,
    scratch_engine: Engine,
    password_hash: str,
    sink: SMTPSink,
    tmp_path: Path,
) -> None:
    addresses = readers(scratch_engine, password_hash, 1)
    env = forum_env(scratch_url, sink, tmp_path)

    result = CliRunner().invoke(app, ["digest", "preview", "--user", addresses[0]], env=env)

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Subject: ")
    assert ITEM_TITLE in result.output
    assert "<" not in result.output.split("\n", 3)[3].replace("<https", ""), "plain text"
    assert sink.messages() == [] and rows(scratch_engine) == []


@pytest.mark.slow
def test_a_sender_killed_mid_run_and_restarted_misses_nobody_and_repeats_one_message(
    scratch_url: str,
    scratch_engine: Engine,
    password_hash: str,
    sink: SMTPSink,
    tmp_path: Path,
) -> None:
    addresses = readers(scratch_engine, password_hash, 12)
    env = {**os.environ, **forum_env(scratch_url, sink, tmp_path)}
    command = [sys.executable, "-m", "forum.cli", "digest", "send", "--now"]
    victim: list[subprocess.Popen[bytes]] = []

    def kill_on_fifth(count: int) -> None:
        # The server has the 5th message and the sender waits for its 250: the worst
        # moment, its row is `sending` and the message is delivered.
        if count == 5 and victim:
            os.kill(victim[0].pid, signal.SIGKILL)
            victim[0].wait(timeout=30)

    sink.before_accept = kill_on_fifth
    first = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    victim.append(first)
    first.communicate(timeout=120)
    assert first.returncode == -signal.SIGKILL
    assert sink.wait_for(5, timeout=1)
    assert len(sink.messages()) == 5
    assert [r.status for r in rows(scratch_engine)].count("sending") == 1

    sink.before_accept = None
    second = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert second.returncode == 0, second.stdout + second.stderr
    assert "resent 1" in second.stdout
    assert "resending" in second.stderr and "after a crash" in second.stderr
    messages = sink.messages()
    per_member = Counter(m["To"] for m in messages)
    assert sorted(per_member) == addresses, "nobody is missed"
    repeated = [to for to, n in per_member.items() if n > 1]
    assert len(repeated) <= 1 and all(per_member[to] == 2 for to in repeated)
    for to in repeated:
        assert len({m["Message-ID"] for m in messages if m["To"] == to}) == 1, (
            "the repeat carries the same Message-ID"
        )
    final = rows(scratch_engine)
    assert {r.status for r in final} == {"sent"}
    assert sum(r.resends for r in final) == len(repeated) == 1
