"""Two real `forum worker` processes on PostgreSQL with the embedded search engine, one of
them killed with SIGKILL (docs/deploy.md, "Several workers").

- Search: 500 writes through the API; one worker drains (the `search-drain` lease), no
  `LockBusy` is ever logged; the drainer is killed half-way and the other worker takes
  the lease over within one lease period; every write becomes searchable.
- Digests: the worker sending a run is killed while the SMTP server holds a message; the
  other finishes the run: everyone gets their digest, the only repeat is the message in
  flight (same Message-ID).
- A burst of 200 emails: the worker whose message the server holds is killed; its claimed
  jobs are requeued within one lease period; every email arrives, the only repeat is the
  message in flight (same Message-ID).

The lease period is LEASE seconds here (FORUM_LEASE_SECONDS; 60 by default).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.app import create_app
from forum.core.config import Settings
from forum.core.db import make_session_factory, transaction, utcnow
from forum.core.jobs import Job, WorkerLease
from forum.core.mail import queue_email
from forum.digests.deliveries import SENDER_LEASE
from forum.digests.planner import due_members
from forum.discovery.drainer import DRAIN_LEASE, LEASE_LOOK_SECONDS
from forum.discovery.sync import close_search_engines
from forum.discussions.admin_service import seed_categories
from forum.taxonomy.service import seed_sectors
from tests.conftest import TEST_SECRET, People
from tests.digests.smtp_sink import SMTPSink
from tests.digests.test_digest_cli import ROOT, rows
from tests.faults.test_digest_sender_kills import many_readers

pytestmark = pytest.mark.slow

LEASE = 4.0
TICK = 0.2
# Above the lease period: starting a process, a pass and the machine's load (two cores).
SLACK = 3.0
COMMAND = [sys.executable, "-m", "forum.cli", "worker"]
WRITES = 500
MEMBERS = 150
EMAILS = 200


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Scene:
    url: str
    engine: Engine
    data_dir: Path
    sink: SMTPSink
    workers: list[Worker] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return Settings(
            data_dir=self.data_dir,
            database_url=self.url,
            secret_key=TEST_SECRET,
            base_url="http://testserver",
            smtp_url=self.sink.url,
            embedded_worker=False,
            lease_seconds=LEASE,
        )

    def start_workers(self, count: int = 2) -> None:
        env = {
            **os.environ,
            "FORUM_DATABASE_URL": self.url,
            "FORUM_DATA_DIR": str(self.data_dir),
            "FORUM_SECRET_KEY": TEST_SECRET,
            "FORUM_BASE_URL": "http://testserver",
            "FORUM_SMTP_URL": self.sink.url,
            "FORUM_LEASE_SECONDS": str(LEASE),
            "FORUM_WORKER_TICK_SECONDS": str(TICK),
        }
        for _ in range(count):
            log = self.data_dir.parent / f"worker-{len(self.workers) + 1}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    COMMAND, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            self.workers.append(Worker(process, log))
        wait_for(lambda: len(self.live_workers()) == count, 60, "both workers hold a lease")

    def live_workers(self) -> list[int]:
        with Session(self.engine) as db:
            return list(
                db.scalars(
                    select(WorkerLease.pid).where(
                        WorkerLease.kind == "worker", WorkerLease.expires_at > utcnow()
                    )
                )
            )

    def lease_pid(self, name: str) -> int | None:
        """The pid of the live holder of lease `name`."""
        with Session(self.engine) as db:
            lease = db.get(WorkerLease, name)
            return lease.pid if lease is not None and lease.expires_at > utcnow() else None

    def worker(self, pid: int) -> Worker:
        [worker] = [w for w in self.workers if w.pid == pid]
        return worker

    def kill(self, worker: Worker) -> float:
        """SIGKILL, reaped at once (a zombie would still look alive to `kill -0`)."""
        os.kill(worker.pid, signal.SIGKILL)
        worker.process.wait(timeout=30)
        return time.monotonic()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.output()[-3000:]}" for w in self.workers)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> float:
    """Poll `condition` every 20 ms for at most `timeout` seconds; answers the seconds it
    took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.fixture
def scene(
    scratch_url: str, scratch_engine: Engine, sink: SMTPSink, tmp_path: Path
) -> Iterator[Scene]:
    if scratch_engine.dialect.name != "postgresql":
        pytest.skip("several `forum worker`s run on PostgreSQL (one worker at most on SQLite)")
    built = Scene(scratch_url, scratch_engine, tmp_path / "data", sink)
    built.data_dir.mkdir()
    try:
        yield built
    finally:
        for worker in built.workers:
            if worker.process.poll() is None:
                worker.process.terminate()  # SIGTERM: the clean stop
                try:
                    worker.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
                    worker.process.wait(timeout=30)
        close_search_engines()


def word(number: int) -> str:
    """A word of letters only (the tokenizer splits on digits), unique for `number`."""
    letters = "bcdfghjklmnpqrstvwxz"
    out = ""
    while True:
        number, digit = divmod(number, len(letters))
        out += letters[digit]
        if not number:
            return "qy" + out


class DrainWatch(threading.Thread):
    """Records, every 20 ms, the pid holding the drain lease and when it changed."""

    def __init__(self, scene: Scene) -> None:
        super().__init__(daemon=True)
        self.scene = scene
        self.changes: list[tuple[float, int | None]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            pid = self.scene.lease_pid(DRAIN_LEASE)
            if not self.changes or self.changes[-1][1] != pid:
                self.changes.append((time.monotonic(), pid))

    def first(self, pid: int, after: float) -> float | None:
        return next((at for at, who in self.changes if who == pid and at >= after), None)


def test_two_workers_one_index_writer_and_the_drain_taken_over_within_the_lease(
    scene: Scene, password_hash: str
) -> None:
    with transaction(make_session_factory(scene.engine)) as db:
        seed_sectors(db)
        seed_categories(db)
        db.flush()
        writer = People(db, password_hash).make(role="moderator")  # no new-account limits
        token, _ = create_api_token(db, writer, name="several workers")
    headers = {"Authorization": f"Bearer {token}"}
    marker = "wolframite"
    scene.start_workers()
    watch = DrainWatch(scene)
    watch.start()
    thread_id = 0
    with TestClient(create_app(scene.settings)) as client:

        def write(n: int) -> None:
            nonlocal thread_id
            if n % 5 == 4:  # every fifth write is a reply to the latest thread
                answer = client.post(
                    f"/api/v1/threads/{thread_id}/posts",
                    json={"body": f"{marker} {word(n)} reply"},
                    headers=headers,
                )
            else:
                answer = client.post(
                    "/api/v1/threads",
                    json={
                        "title": f"{marker} {word(n)} export notes",
                        "body": "Buyers, fairs and partners.",
                        "category": "market-intelligence",
                        "kind": "discussion",
                        "countries": ["JP"],
                        "sectors": ["food"],
                    },
                    headers=headers,
                )
                thread_id = answer.json().get("id", thread_id)
            assert answer.status_code == 201, answer.text

        def searchable() -> int:
            answer = client.get("/api/v1/search", params={"q": marker})
            assert answer.status_code == 200, answer.text
            return int(answer.json()["total"])

        for n in range(WRITES // 2):
            write(n)
        wait_for(lambda: scene.lease_pid(DRAIN_LEASE), 30, "a worker holds the drain lease")
        drainer = scene.worker(scene.lease_pid(DRAIN_LEASE) or 0)
        [survivor] = [w for w in scene.workers if w is not drainer]
        killed_at = scene.kill(drainer)
        for n in range(WRITES // 2, WRITES):
            write(n)
        wait_for(lambda: searchable() == WRITES, 60, f"all {WRITES} writes searchable")
        for n in (0, 3, WRITES // 2 - 2, WRITES // 2 + 1, WRITES - 2):  # threads
            hits = client.get("/api/v1/search", params={"q": f"{marker} {word(n)}"}).json()
            assert any(word(n) in hit["title"] for hit in hits["hits"]), (n, hits)
    watch.done.set()
    watch.join(timeout=5)

    took_over = watch.first(survivor.pid, after=killed_at)
    assert took_over is not None, f"{watch.changes}\n{scene.logs()}"
    takeover = took_over - killed_at
    print(f"\ndrain lease taken over {takeover:.1f} s after the kill (lease {LEASE:g} s)")
    assert takeover <= LEASE + LEASE_LOOK_SECONDS + SLACK, scene.logs()
    holders = {pid for _, pid in watch.changes if pid is not None}
    assert holders == {drainer.pid, survivor.pid}, watch.changes
    logs = scene.logs()
    for worker in scene.workers:
        text = worker.output()
        assert "LockBusy" not in text and "only one process may write" not in text, logs
    assert "holds the drain lease" in survivor.output()


def test_a_worker_killed_during_a_digest_run_the_other_finishes_it(
    scene: Scene, password_hash: str
) -> None:
    addresses = many_readers(scene.engine, password_hash, MEMBERS)
    with transaction(make_session_factory(scene.engine)) as db:
        planned = due_members(db, utcnow(), settings=scene.settings, force=True)
    assert len(planned) == MEMBERS
    sink = scene.sink
    kill_on = MEMBERS // 3
    killed: dict[str, float | int] = {}
    accepted: list[float] = []

    def hook(count: int) -> None:
        accepted.append(time.monotonic())
        if count == kill_on:
            # The server holds this message: the sender waits for its 250.
            pid = scene.lease_pid(SENDER_LEASE)
            assert pid is not None
            killed["pid"] = pid
            killed["at"] = scene.kill(scene.worker(pid))

    sink.before_accept = hook
    scene.start_workers()
    wait_for(
        lambda: sum(r.status == "sent" for r in rows(scene.engine)) == MEMBERS,
        60,
        f"every digest sent\n{scene.logs()}",
    )
    sink.before_accept = None
    assert killed, "the kill happened"
    killed_at = float(killed["at"])
    before = [at for at in accepted if at < killed_at]
    after = [at for at in accepted if at > killed_at]
    pace = (before[-1] - before[0]) / max(len(before) - 1, 1)  # seconds per message
    finished = after[-1] - killed_at
    print(
        f"\nkilled at message {kill_on}; the survivor resumed after "
        f"{after[0] - killed_at:.1f} s and finished {finished:.1f} s after the kill "
        f"({len(after)} messages, {pace * 1000:.0f} ms each before the kill)"
    )

    messages = sink.messages()
    per_member = Counter(str(m["To"]) for m in messages)
    assert set(per_member) == set(addresses), "everyone got their digest"
    held = BytesParser(policy=policy.default).parsebytes(
        sink.received[kill_on - 1], headersonly=True
    )
    repeated = [to for to, n in per_member.items() if n > 1]
    assert repeated == [str(held["To"])], "only the message in flight came twice"
    assert per_member[str(held["To"])] == 2
    ids = {str(m["Message-ID"]) for m in messages if str(m["To"]) == str(held["To"])}
    assert ids == {str(held["Message-ID"])}, "with the same Message-ID"
    assert sum(r.resends for r in rows(scene.engine)) == 1
    assert finished <= LEASE + SLACK + 2 * pace * len(after), scene.logs()
    survivor = next(w for w in scene.workers if w.pid != killed["pid"])
    assert "took over the run of a sender that died" in survivor.output()


def test_a_worker_killed_during_a_burst_of_emails_repeats_only_the_one_in_flight(
    scene: Scene,
) -> None:
    settings = scene.settings
    with transaction(make_session_factory(scene.engine)) as db:
        for n in range(EMAILS):
            queue_email(
                db,
                settings,
                "password_reset",
                to=f"burst{n:03d}@example.eu",
                context={"user": {"name": f"Reader {n}"}, "link": "http://testserver/r/x"},
            )
    sink = scene.sink
    kill_on = EMAILS // 3
    killed: dict[str, object] = {}
    accepted: list[float] = []

    def hook(count: int) -> None:
        accepted.append(time.monotonic())
        if count != kill_on:
            return
        # Kill the worker whose message the server holds now (its job is `sending`).
        held = BytesParser(policy=policy.default).parsebytes(
            sink.received[count - 1], headersonly=True
        )
        message_id = str(held["Message-ID"])
        with Session(scene.engine) as db:
            running = db.scalars(select(Job).where(Job.status == "running")).all()
            [job] = [j for j in running if j.payload.get("message_id") == message_id]
            assert job.payload.get("state") == "sending"
            claimer = job.claimed_by
            lease = db.get(WorkerLease, f"worker:{claimer}")
            assert lease is not None
            pid = lease.pid
            claimed = sum(j.claimed_by == claimer for j in running)
        killed.update(pid=pid, holder=claimer, message_id=message_id, job=job.id, claimed=claimed)
        killed["at"] = scene.kill(scene.worker(pid))

    sink.before_accept = hook
    scene.start_workers()
    wait_for(lambda: "at" in killed, 60, f"the kill\n{scene.logs()}")

    def orphans() -> int:
        with Session(scene.engine) as db:
            return len(
                db.scalars(
                    select(Job.id).where(
                        Job.status == "running", Job.claimed_by == killed["holder"]
                    )
                ).all()
            )

    wait_for(lambda: orphans() == 0, 60, "the dead worker's jobs requeued")
    requeued = time.monotonic() - float(killed["at"])  # type: ignore[arg-type]

    def all_done() -> bool:
        with Session(scene.engine) as db:
            return all(j.status == "done" for j in db.scalars(select(Job)))

    wait_for(all_done, 60, f"every email job done\n{scene.logs()}")
    sink.before_accept = None
    assert killed, "the kill happened"
    finished = time.monotonic() - float(killed["at"])  # type: ignore[arg-type]

    messages = sink.messages()
    per_id = Counter(str(m["Message-ID"]) for m in messages)
    assert len(per_id) == EMAILS, "every email arrived"
    assert {m: n for m, n in per_id.items() if n > 1} == {killed["message_id"]: 2}, (
        "only the message in flight came twice"
    )
    with Session(scene.engine) as db:
        job = db.get(Job, killed["job"])
        assert job is not None
        assert (job.payload["state"], job.payload["resends"]) == ("sent", 1)
        assert job.claimed_by != f"worker:{killed['pid']}"
    killed_at = float(killed["at"])  # type: ignore[arg-type]
    before = [at for at in accepted if at < killed_at]
    after = [at for at in accepted if at > killed_at]
    pace = (before[-1] - before[0]) / max(len(before) - 1, 1)  # seconds per email, 2 workers
    print(
        f"\nkilled with {killed['claimed']} jobs claimed; requeued {requeued:.1f} s after the "
        f"kill; all {EMAILS} done {finished:.1f} s after it ({len(after)} emails, "
        f"{pace * 1000:.0f} ms each with two workers)"
    )
    assert requeued <= LEASE + SLACK, scene.logs()
    # One worker left: twice the pace of two, and twice again for the machine's load.
    assert finished <= LEASE + SLACK + 4 * pace * len(after), scene.logs()
    survivor = next(w for w in scene.workers if w.pid != killed["pid"])
    assert "requeued" in survivor.output() and "after a crash" in survivor.output()
