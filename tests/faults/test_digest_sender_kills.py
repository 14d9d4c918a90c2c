"""Fault injection: `forum digest send --now` (a real subprocess) is killed with SIGKILL
20 times during a 2,000-member run, then run to completion.

Most kills land while the SMTP server (aiosmtpd on loopback, `tests/digests/smtp_sink.py`)
holds a message and the sender awaits its 250: the worst moment, the message is
delivered but its row is still `sending`. The others land before the run's first
message: the database is held (SQLite's write lock; on PostgreSQL the tables a sender
writes first) so the sender waits in planning or for its lease, and a timer kills it.

Afterwards nobody is missed; the only repeats are the messages that were in flight at a
kill, at most one per kill, each with the Message-ID of its first delivery; the rows'
`resends` add up to the repeats. Kill points come from a seeded `random.Random`
(FORUM_TEST_KILL_SEED overrides the seed, which is printed with the counts).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import make_session_factory, transaction, utcnow
from forum.core.jobs import WorkerLease
from forum.digests.models import DigestDelivery
from forum.notifications.models import Follow
from tests.digests.smtp_sink import SMTPSink
from tests.digests.test_digest_cli import ROOT, forum_env, readers, rows

pytestmark = pytest.mark.slow

MEMBERS = 2000
KILLS = 20
HELD_KILLS = 4  # before the run's first message; the rest land mid-message
# A mid-message kill lands on the run's n-th message, n in [2, MAX_NTH]: never the first,
# which is the resend of the previous kill's message (a kill there would make a third
# copy, one repeat per kill all the same). 16 * 115 < 2,000: every kill point is reached.
MAX_NTH = 115
# A held kill waits (polling, bounded) until the sender is at the database, then this many
# seconds more: below SQLite's 5 s busy timeout, after which the sender would give up.
HELD_DELAY = (0.0, 1.5)
SEED = int(os.environ.get("FORUM_TEST_KILL_SEED", "20261206"))
RUN_TIMEOUT = 120.0  # seconds for one sender run: a hang fails the test
COMMAND = [sys.executable, "-m", "forum.cli", "digest", "send", "--now"]


@dataclass(frozen=True)
class KillPoint:
    kind: str  # "held" (before any message) or "message" (the server holds the nth)
    nth: int = 0  # kind "message": the run's message the kill lands on (1-based)
    delay: float = 0.0  # kind "held": seconds after the sender reached the database


def kill_plan(rng: random.Random) -> list[KillPoint]:
    """The first kill is held: the first run dies planning its 2,000 rows. The others in
    a shuffled order."""
    kinds = ["held"] * (HELD_KILLS - 1) + ["message"] * (KILLS - HELD_KILLS)
    rng.shuffle(kinds)
    kinds.insert(0, "held")
    return [
        KillPoint(kind, nth=rng.randint(2, MAX_NTH))
        if kind == "message"
        else KillPoint(kind, delay=round(rng.uniform(*HELD_DELAY), 2))
        for kind in kinds
    ]


@pytest.fixture
def launched() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The senders this test started; one still running at the end (a failed assertion
    mid-run) is killed."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def noon_zone(now: dt.datetime) -> str:
    """A time zone where it is about noon now: `--now` plans for the local date, which
    must not change between the test's runs (as it would at midnight)."""
    offset = (12 - now.hour + 12) % 24 - 12  # hours east of UTC, in [-12, 11]
    return f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-2 is UTC+2


def many_readers(engine: Engine, password_hash: str, count: int) -> list[str]:
    """`count` verified members following Japan, inserted in bulk through the ORM (one
    `People.make` each would take minutes), then `readers`' author and item on Japan and
    food. Answers the members' addresses."""
    now = utcnow()
    zone = noon_zone(now)
    addresses = [f"reader{n:04d}@example.eu" for n in range(count)]
    with transaction(make_session_factory(engine)) as db:
        db.execute(
            insert(User),
            [
                {
                    "email": address,
                    "name": f"Reader {n}",
                    "handle": f"reader.{n}",
                    "password_hash": password_hash,
                    "role": "member",
                    "email_verified_at": now,
                    "onboarded_at": now,
                    "created_at": now,
                    "timezone": zone,
                }
                for n, address in enumerate(addresses)
            ],
        )
        ids = list(db.scalars(select(User.id).where(User.email.in_(addresses))))
        assert len(ids) == count
        db.execute(
            insert(Follow),
            [{"user_id": i, "target_type": "country", "target": "JP"} for i in ids],
        )
    assert readers(engine, password_hash, 0) == []  # the author and the item
    return addresses


@contextmanager
def writers_held(engine: Engine) -> Iterator[None]:
    """While open, a sender cannot plan (SQLite: the write lock; PostgreSQL: deliveries
    cannot be inserted) nor take its lease (PostgreSQL: the lease table is locked): it
    waits before claiming anything. Reads go on."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_immediate=True)
            conn.begin()  # BEGIN IMMEDIATE: the write lock, at once
        else:
            conn.begin()
            tables = f"{DigestDelivery.__tablename__}, {WorkerLease.__tablename__}"
            conn.execute(text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()


def at_database(process: subprocess.Popen[bytes], engine: Engine) -> str:
    """Wait (polled, bounded) until the sender is at the held database; answers where it
    was seen: waiting for a lock (PostgreSQL) or with the database file open (SQLite)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    database = Path(engine.url.database or "").resolve()
    while time.monotonic() < deadline and process.poll() is None:
        if engine.dialect.name == "sqlite":
            try:
                fds = list(Path(f"/proc/{process.pid}/fd").iterdir())
            except OSError:
                return "started (no /proc to look into)"
            for fd in fds:
                try:
                    if os.readlink(fd).startswith(str(database)):
                        return "database file open"
                except OSError:
                    continue
        else:
            with engine.connect() as conn:
                waiting = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND wait_event_type = 'Lock'"
                    )
                )
            if waiting:
                return "waiting for a lock"
        time.sleep(0.01)
    raise AssertionError(f"the sender never reached the database (exit {process.poll()})")


def sending_rows(engine: Engine) -> list[tuple[int, str]]:
    with Session(engine) as db:
        return [
            (row.user_id, row.message_id)
            for row in db.execute(
                select(DigestDelivery.user_id, DigestDelivery.message_id)
                .where(DigestDelivery.status == "sending")
                .order_by(DigestDelivery.user_id)
            )
        ]


def kill_on(target: int, victim: list[subprocess.Popen[bytes]]) -> Callable[[int], None]:
    """A `before_accept` hook killing the sender when the server has its `target`-th
    message (counted over the whole test) and the sender waits for the 250."""

    def hook(count: int) -> None:
        if count == target and victim:
            os.kill(victim[0].pid, signal.SIGKILL)
            victim[0].wait(timeout=30)

    return hook


def received(sink: SMTPSink) -> int:
    return len(sink.received)  # one list, appended to under the sink's lock


def headers(sink: SMTPSink, index: int) -> tuple[str, str]:
    """(To, Message-ID) of the index-th message the server accepted (0-based)."""
    raw = sink.received[index]
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    return str(message["To"]), str(message["Message-ID"])


def output(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def test_a_sender_killed_20_times_misses_nobody_and_repeats_only_in_flight_messages(
    scratch_url: str,
    scratch_engine: Engine,
    password_hash: str,
    sink: SMTPSink,
    launched: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    addresses = many_readers(scratch_engine, password_hash, MEMBERS)
    env = {**os.environ, **forum_env(scratch_url, sink, tmp_path / "data")}
    plan = kill_plan(random.Random(SEED))
    backend = scratch_engine.dialect.name
    shown = " ".join(f"msg#{p.nth}" if p.kind == "message" else f"held+{p.delay}s" for p in plan)
    print(f"\n[{backend}] seed {SEED}, kill points: {shown}")

    def start(log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            process = subprocess.Popen(COMMAND, cwd=ROOT, env=env, stdout=out, stderr=out)
        launched.append(process)
        return process

    kills = 0
    returncodes: list[int] = []
    in_flight_at_kill: list[tuple[str, str]] = []  # (To, Message-ID) held by the server
    for number, point in enumerate(plan, 1):
        log = tmp_path / f"run-{number:02d}.log"
        before = received(sink)
        left_sending = sending_rows(scratch_engine)
        assert len(left_sending) <= 1, left_sending
        victim: list[subprocess.Popen[bytes]] = []
        if point.kind == "message":
            target = before + point.nth
            sink.before_accept = kill_on(target, victim)
            try:
                victim.append(start(log))
                victim[0].wait(timeout=RUN_TIMEOUT)
            finally:
                sink.before_accept = None
            assert victim[0].returncode == -signal.SIGKILL, (
                f"kill {number} ({point}): the run ended by itself with "
                f"{victim[0].returncode}, {received(sink) - before} messages\n{output(log)}"
            )
            assert received(sink) == target, "nothing reaches the server after the kill"
            held = headers(sink, target - 1)
            in_flight_at_kill.append(held)
            sending = sending_rows(scratch_engine)
            assert [message_id for _, message_id in sending] == [held[1]], (
                f"kill {number}: the one row left `sending` ({sending}) is the message "
                f"the server held ({held})"
            )
        else:
            with writers_held(scratch_engine):
                victim.append(start(log))
                where = at_database(victim[0], scratch_engine)
                try:
                    victim[0].wait(timeout=point.delay)
                except subprocess.TimeoutExpired:
                    os.kill(victim[0].pid, signal.SIGKILL)
                    victim[0].wait(timeout=30)
            assert victim[0].returncode == -signal.SIGKILL, (
                f"kill {number} ({point}): the run ended by itself with "
                f"{victim[0].returncode} while the database was held\n{output(log)}"
            )
            print(f"kill {number}: {where}, then {point.delay} s")
            assert received(sink) == before, "no message before the kill"
            assert sending_rows(scratch_engine) == left_sending, "no new claim either"
            if number == 1:
                assert rows(scratch_engine) == [], "killed planning: nothing planned"
        kills += 1
        returncodes.append(victim[0].returncode)

    final_log = tmp_path / "run-final.log"
    with final_log.open("wb") as out:
        final = subprocess.run(
            COMMAND, cwd=ROOT, env=env, stdout=out, stderr=out, timeout=RUN_TIMEOUT, check=False
        )
    assert final.returncode == 0, output(final_log)
    resent_line = re.search(r"resent (\d+)", final_log.read_text())
    assert resent_line is not None, output(final_log)

    messages = sink.messages()
    per_member = Counter(str(m["To"]) for m in messages)
    repeated = sorted(to for to, n in per_member.items() if n > 1)
    final_rows = rows(scratch_engine)
    resends = sum(r.resends for r in final_rows)
    elapsed = time.monotonic() - started
    summary = (
        f"[{backend}] seed {SEED}: {MEMBERS} members, {kills} kills "
        f"({HELD_KILLS} before any message, {KILLS - HELD_KILLS} mid-message), "
        f"{len(repeated)} repeats, {len(messages)} messages, {resends} resends counted, "
        f"{elapsed:.1f} s"
    )
    print(summary)

    assert kills == KILLS and returncodes == [-signal.SIGKILL] * KILLS, summary
    assert set(per_member) == set(addresses), f"missed: {set(addresses) - set(per_member)}"
    assert max(per_member.values()) <= 2, f"{per_member.most_common(3)}; {summary}"
    for to in repeated:
        ids = {str(m["Message-ID"]) for m in messages if m["To"] == to}
        assert len(ids) == 1, f"{to} got the repeat under a new Message-ID: {ids}; {summary}"
    assert len({str(m["Message-ID"]) for m in messages}) == MEMBERS, summary
    assert len(repeated) <= kills, summary
    # Exactly the messages the server held at a kill came twice, nothing else.
    assert repeated == sorted(to for to, _ in in_flight_at_kill), summary
    assert len(messages) == MEMBERS + len(repeated), summary
    assert resends == len(repeated), summary
    assert len(final_rows) == MEMBERS and {r.status for r in final_rows} == {"sent"}, summary
    # The last mid-message kill's row stays `sending` through the later held kills.
    assert int(resent_line.group(1)) == (1 if in_flight_at_kill else 0), summary
