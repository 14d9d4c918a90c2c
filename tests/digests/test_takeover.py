"""A digest run whose sender died is finished by the next runner pass that sees its lease
lapsed (`resume-digest-run`), not at the next `send-due-digests` occurrence; a live
sender's run is left alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.core.db import make_session_factory, transaction, utcnow
from forum.core.jobs import JobContext, WorkerLease
from forum.digests.deliveries import SENDER_LEASE
from forum.digests.jobs import resume_interrupted_run
from forum.digests.models import DigestDelivery
from forum.digests.planner import due_members
from forum.runner import load_jobs
from tests.conftest import TEST_SECRET
from tests.digests.smtp_sink import SMTPSink
from tests.digests.test_digest_cli import readers, rows

MEMBERS = 5


@pytest.fixture
def scene(
    scratch_engine: Engine, password_hash: str, sink: SMTPSink, tmp_path: Path
) -> SimpleNamespace:
    """MEMBERS readers with a digest planned for today; the first one's row `sending`, as
    a sender killed while the server held its message leaves it."""
    addresses = readers(scratch_engine, password_hash, MEMBERS)
    settings = Settings(
        data_dir=tmp_path,
        database_url=scratch_engine.url.render_as_string(hide_password=False),
        secret_key=TEST_SECRET,
        smtp_url=sink.url,
        base_url="http://testserver",
        lease_seconds=5,
    )
    factory = make_session_factory(scratch_engine)
    with transaction(factory) as db:
        assert len(due_members(db, utcnow(), settings=settings, force=True)) == MEMBERS
    first = rows(scratch_engine)[0]
    with transaction(factory) as db:
        db.execute(
            update(DigestDelivery)
            .where(DigestDelivery.id == first.id)
            .values(status="sending", attempts=1)
        )
    ctx = JobContext(settings=settings, session_factory=factory, holder="survivor")
    return SimpleNamespace(
        engine=scratch_engine, factory=factory, ctx=ctx, sink=sink, addresses=addresses
    )


def dead_sender(scene: SimpleNamespace, *, expires_in: float) -> None:
    """The sender lease as a sender on another host left it (its pid means nothing here)."""
    now = utcnow()
    with transaction(scene.factory) as db:
        db.add(
            WorkerLease(
                name=SENDER_LEASE,
                kind="digest",
                holder="the-dead-one",
                hostname="another-host",
                pid=1,
                started_at=now,
                heartbeat_at=now,
                expires_at=now + dt.timedelta(seconds=expires_in),
            )
        )


def lease(scene: SimpleNamespace) -> WorkerLease | None:
    with Session(scene.engine) as db:
        return db.get(WorkerLease, SENDER_LEASE)


def test_the_takeover_is_registered_for_every_runner_pass() -> None:
    assert load_jobs().takeovers["resume-digest-run"] is resume_interrupted_run


def test_a_lapsed_sender_lease_is_taken_over_and_its_run_finished(
    scene: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    dead_sender(scene, expires_in=-1)
    assert resume_interrupted_run(scene.ctx)
    messages = scene.sink.messages()
    assert sorted(str(m["To"]) for m in messages) == scene.addresses, "everyone, once"
    final = rows(scene.engine)
    assert {r.status for r in final} == {"sent"}
    in_flight = final[0]
    assert in_flight.resends == 1, "the in-flight message is counted as a resend"
    assert in_flight.message_id in {str(m["Message-ID"]) for m in messages}, "same Message-ID"
    assert lease(scene) is None, "released by the sender that finished"
    assert "took over the run of a sender that died" in caplog.text
    assert not resume_interrupted_run(scene.ctx), "nothing more to take over"


def test_a_live_senders_run_is_left_alone(scene: SimpleNamespace) -> None:
    dead_sender(scene, expires_in=60)  # alive on another host as far as we can tell
    assert not resume_interrupted_run(scene.ctx)
    assert scene.sink.messages() == []
    assert [r.status for r in rows(scene.engine)].count("sending") == 1


def test_a_lapsed_lease_with_nothing_left_is_cleared_without_sending(
    scene: SimpleNamespace,
) -> None:
    with transaction(scene.factory) as db:
        db.execute(update(DigestDelivery).values(status="sent"))
    dead_sender(scene, expires_in=-1)
    assert not resume_interrupted_run(scene.ctx)
    assert scene.sink.messages() == []
    assert lease(scene) is None
