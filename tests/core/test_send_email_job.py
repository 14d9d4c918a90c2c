"""The send-email job's idempotency key: its Message-ID, recorded `sending` before SMTP and
`sent` after, so a job run again after a crash sends nothing more, or only the message
that was in flight (with the same Message-ID), and an SMTP refusal is no resend."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.core.db import make_session_factory
from forum.core.jobs import Job, JobContext, JobRegistry, claim_jobs, run_job
from forum.core.mail import queue_email, send_email_job
from tests.conftest import TEST_SECRET
from tests.digests.smtp_sink import SMTPSink

ADDRESS = "reader@example.eu"


@pytest.fixture
def scene(scratch_engine: Engine, sink: SMTPSink, tmp_path: Path) -> SimpleNamespace:
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(scratch_engine.url.render_as_string(hide_password=False)),
        secret_key=TEST_SECRET,
        smtp_url=sink.url,
        base_url="http://testserver",
    )
    factory = make_session_factory(scratch_engine)
    reg = JobRegistry()
    reg.jobs["send-email"] = send_email_job
    ctx = JobContext(settings=settings, session_factory=factory, holder="test-runner")
    return SimpleNamespace(settings=settings, factory=factory, reg=reg, ctx=ctx, sink=sink)


def queued(scene: SimpleNamespace) -> int:
    factory: sessionmaker[Session] = scene.factory
    with factory() as db:
        queue_email(
            db,
            scene.settings,
            "password_reset",
            to=ADDRESS,
            context={"user": {"name": "Reader"}, "link": "http://testserver/password/reset/x"},
        )
        db.commit()
        job = db.query(Job).one()
        return job.id


def run(scene: SimpleNamespace) -> list[int]:
    with scene.factory() as db:
        ids = claim_jobs(db, "test-runner", limit=10)
        db.commit()
    for job_id in ids:
        run_job(scene.factory, job_id, scene.ctx, scene.reg)
    return ids


def payload(scene: SimpleNamespace, job_id: int) -> dict[str, Any]:
    with scene.factory() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return {**job.payload, "status": job.status}


def as_left_by_a_crash(scene: SimpleNamespace, job_id: int, state: str) -> None:
    """The job as a runner killed at that point leaves it, once requeued."""
    with scene.factory() as db:
        job = db.get(Job, job_id)
        assert job is not None
        job.payload = {**job.payload, "state": state}
        job.status = "queued"
        db.commit()


def test_the_job_records_its_message_id_and_sends_once(scene: SimpleNamespace) -> None:
    job_id = queued(scene)
    queued_id = payload(scene, job_id)["message_id"]
    assert queued_id.startswith("<") and queued_id.endswith(">")
    assert run(scene) == [job_id]
    [message] = scene.sink.messages()
    assert message["Message-ID"] == queued_id
    assert payload(scene, job_id) | {"message": ""} == {
        "message": "",
        "message_id": queued_id,
        "state": "sent",
        "resends": 0,
        "status": "done",
    }


def test_a_job_that_was_sent_before_the_crash_sends_nothing_more(
    scene: SimpleNamespace,
) -> None:
    job_id = queued(scene)
    run(scene)
    as_left_by_a_crash(scene, job_id, "sent")  # killed after `sent`, before `done`
    run(scene)
    assert len(scene.sink.messages()) == 1
    assert payload(scene, job_id)["status"] == "done"


def test_the_message_in_flight_at_a_crash_goes_again_with_the_same_message_id(
    scene: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = queued(scene)
    run(scene)
    # Killed after the server's 250 but before `sent` was committed: still `sending`.
    as_left_by_a_crash(scene, job_id, "sending")
    run(scene)
    first, again = scene.sink.messages()
    assert first["Message-ID"] == again["Message-ID"] == payload(scene, job_id)["message_id"]
    assert payload(scene, job_id)["resends"] == 1
    assert "after a crash (same Message-ID)" in caplog.text


def test_a_refused_message_is_retried_later_and_not_counted_as_a_resend(
    scene: SimpleNamespace,
) -> None:
    scene.sink.refuse[ADDRESS] = "451 4.3.0 Try again later"
    job_id = queued(scene)
    run(scene)
    state = payload(scene, job_id)
    assert (state["status"], state["state"]) == ("queued", "queued")
    del scene.sink.refuse[ADDRESS]
    with scene.factory() as db:
        job = db.get(Job, job_id)
        assert job is not None
        assert "451" in (job.last_error or "")
        job.run_after = job.created_at  # due again now
        db.commit()
    run(scene)
    assert len(scene.sink.messages()) == 1
    assert payload(scene, job_id)["resends"] == 0
