"""End to end, three ways in: a notification email's Reply-To is answered through
`forum mail receive` on standard input, through a real LMTP and SMTP conversation with
`forum mail serve` on loopback, and through the inbox folder; the reply appears in the
thread, in search and in the parent author's notifications."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import make_session_factory
from forum.discovery import service as search_service
from forum.discovery.sync import close_search_engines, drain_outbox, search_engine
from forum.discussions.admin_service import seed_categories
from forum.discussions.models import Post
from forum.inbound.inbox import inbox_dir, process_inbox
from forum.inbound.models import InboundMessage
from forum.notifications.models import Notification
from forum.runner import Runner
from forum.taxonomy.service import seed_sectors
from tests.conftest import TEST_SECRET, People, Threads
from tests.digests.smtp_sink import free_port
from tests.inbound.conftest import AUTHSERV, DOMAIN


@dataclass
class Scene:
    settings: Settings
    factory: sessionmaker[Session]
    author_id: int
    replier_id: int
    thread_id: int
    answered_id: int  # the author's post the replier is told about
    reply_to: str
    replier_email: str
    notification_subject: str


@pytest.fixture
def scene(
    scratch_engine: Engine, scratch_url: str, tmp_path: Path, password_hash: str
) -> Iterator[Scene]:
    from forum.digests.emails import send_notification_email
    from forum.discussions import writes

    settings = Settings(
        data_dir=tmp_path / "data", database_url=scratch_url, secret_key=TEST_SECRET,
        base_url="http://testserver", embedded_worker=False, inbound_domain=DOMAIN,
        inbound_authserv_id=AUTHSERV,
    )  # fmt: skip
    factory = make_session_factory(scratch_engine)
    with factory() as db:
        seed_sectors(db)
        seed_categories(db)
        from forum.discussions.models import Category

        categories = {c.slug: c for c in db.scalars(select(Category))}
        people = People(db, password_hash)
        author, replier = people.make(name="Anna Author"), people.make(name="Rita Replier")
        thread = Threads(db, categories).start(author, title="Food machinery fairs in Japan")
        first = writes.reply(db, replier, thread, body="Which fair?", check_limits=False)
        answered = writes.reply(db, author, thread, body="FOODEX, probably.",
                                parent_id=first.id, check_limits=False)  # fmt: skip
        note = db.scalars(select(Notification).where(Notification.post_id == answered.id,
                                                     Notification.user_id == replier.id)).one()  # fmt: skip
        assert send_notification_email(db, settings, note.id) == "sent"
        db.commit()
        scene_ids = (author.id, replier.id, thread.id, answered.id, replier.email)
    Runner(settings, factory, kind="worker").run_once(job_limit=100)
    emails = [p for p in sorted(settings.outbox_dir.glob("*.eml"))]
    from forum.core.mail import parse_message

    sent = [parse_message(p.read_text()) for p in emails]
    told = [m for m in sent if m["To"] == scene_ids[4]]
    assert len(told) == 1 and told[0]["Reply-To"].startswith("reply+")
    assert told[0]["References"] == f"<thread-{scene_ids[2]}@testserver>"
    assert told[0]["Auto-Submitted"] == "auto-generated"  # no out-of-office answers it
    yield Scene(settings, factory, *scene_ids[:4], str(told[0]["Reply-To"]), scene_ids[4],
                str(told[0]["Subject"]))  # fmt: skip
    close_search_engines()


def _answer(scene: Scene, text: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Rita Replier <{scene.replier_email}>"
    message["To"] = scene.reply_to
    message["Subject"] = "Re: " + scene.notification_subject
    message["Message-ID"] = message_id
    message.set_content(
        f"{text}\n\nOn Mon, 7 Dec 2026 at 10:15, Cluster Forum <forum@localhost> wrote:\n"
        "> Anna Author replied to you\n> FOODEX, probably.\n"
    )
    return bytes(message)


def _assert_posted(scene: Scene, text: str, word: str) -> None:
    with scene.factory() as db:
        post = db.scalars(select(Post).where(Post.thread_id == scene.thread_id,
                                             Post.body == text)).one()  # fmt: skip
        assert post.author_id == scene.replier_id and post.parent_id == scene.answered_id
        note = db.scalar(select(Notification).where(Notification.post_id == post.id))
        assert note is not None and note.user_id == scene.author_id and note.kind == "reply"
        post_id = post.id
    engine = search_engine(scene.settings)
    engine.ensure_index()
    drain_outbox(scene.factory, engine, scene.settings)
    with scene.factory() as db:
        replier = db.get(User, scene.replier_id)
        params = search_service.build_params(q=word)
        hits = search_service.search(db, scene.settings, replier, params).results.hits
        assert f"post:{post_id}" in [hit.id for hit in hits]


def _env(scene: Scene) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(
        FORUM_DATA_DIR=str(scene.settings.data_dir), FORUM_DATABASE_URL=str(scene.settings.database_url),
        FORUM_SECRET_KEY=TEST_SECRET, FORUM_BASE_URL="http://testserver",
        FORUM_INBOUND_DOMAIN=DOMAIN, FORUM_INBOUND_AUTHSERV_ID=AUTHSERV,
    )  # fmt: skip
    return env


@pytest.mark.slow
def test_a_reply_through_forum_mail_receive_on_stdin(scene: Scene) -> None:
    raw = _answer(scene, "Hall 4, with the Kansai pavilion.", "<pipe1@client.example>")
    run = subprocess.run([sys.executable, "-m", "forum.cli", "mail", "receive"], input=raw,
                         env=_env(scene), capture_output=True, timeout=120, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    _assert_posted(scene, "Hall 4, with the Kansai pavilion.", "Kansai")
    # The MTA retries: the same Message-ID is ignored, still exit 0.
    again = subprocess.run([sys.executable, "-m", "forum.cli", "mail", "receive"], input=raw,
                           env=_env(scene), capture_output=True, timeout=120, check=False)  # fmt: skip
    assert again.returncode == 0 and b"duplicate" in again.stderr


@pytest.mark.slow
def test_forum_mail_receive_exit_codes(scene: Scene) -> None:
    def run(raw: bytes, env: dict[str, str]) -> int:
        return subprocess.run([sys.executable, "-m", "forum.cli", "mail", "receive"], input=raw,
                              env=env, capture_output=True, timeout=120, check=False).returncode  # fmt: skip

    nobody = _answer(scene, "x", "<nobody@client.example>").replace(
        scene.reply_to.encode(), f"nobody@{DOMAIN}".encode()
    )
    assert run(nobody, _env(scene)) == 67  # EX_NOUSER: the MTA tells the sender
    assert run(b"", _env(scene)) == 65  # EX_DATAERR
    away = _env(scene) | {"FORUM_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    assert run(_answer(scene, "x", "<away@client.example>"), away) == 75  # EX_TEMPFAIL


def _serve(scene: Scene, port: int, *extra: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "forum.cli", "mail", "serve", "--listen", f"127.0.0.1:{port}", *extra],
        env=_env(scene), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            assert process.poll() is None, "forum mail serve exited"
            time.sleep(0.1)
    process.kill()
    raise AssertionError("forum mail serve did not start listening")


@pytest.mark.slow
def test_a_reply_through_an_lmtp_conversation_with_forum_mail_serve(scene: Scene) -> None:
    port = free_port()
    server = _serve(scene, port)
    try:
        raw = _answer(scene, "See you at the Kobe stand.", "<lmtp1@client.example>")
        # smtplib's LMTP reads one answer after DATA; RFC 2033 sends one per recipient.
        with smtplib.LMTP("127.0.0.1", port) as lmtp:
            assert lmtp.ehlo()[0] == 250
            assert lmtp.mail(scene.replier_email)[0] == 250
            assert lmtp.rcpt(scene.reply_to)[0] == 250
            assert lmtp.rcpt(f"nobody@{DOMAIN}")[0] == 250
            assert lmtp.putcmd("data") is None and lmtp.getreply()[0] == 354
            lines = raw.replace(b"\r\n", b"\n").split(b"\n")
            body = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)
            lmtp.send(body + b"\r\n.\r\n")
            answers = [lmtp.getreply()[0], lmtp.getreply()[0]]
        # The reply address took it; the unknown one did not.
        assert answers == [250, 550]
        _assert_posted(scene, "See you at the Kobe stand.", "Kobe")
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_reply_through_an_smtp_conversation_with_forum_mail_serve(scene: Scene) -> None:
    port = free_port()
    server = _serve(scene, port, "--smtp")
    try:
        raw = _answer(scene, "Booked the Osaka hotel.", "<smtp1@client.example>")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            assert smtp.sendmail(scene.replier_email, [scene.reply_to], raw) == {}
        _assert_posted(scene, "Booked the Osaka hotel.", "Osaka")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_reply_through_the_inbox_folder(scene: Scene) -> None:
    inbox = inbox_dir(scene.settings)
    inbox.mkdir(parents=True)
    (inbox / "one.eml").write_bytes(_answer(scene, "Nagoya next year?", "<inbox1@client.example>"))
    (inbox / "two.eml").write_bytes(b"From: x@example.net\r\nTo: nobody@" + DOMAIN.encode()
                                    + b"\r\nMessage-ID: <inbox2@x>\r\n\r\nhello\r\n")  # fmt: skip
    outcomes = process_inbox(scene.factory, scene.settings, holder="worker:1")
    assert sorted(o.status for o in outcomes) == ["posted", "refused"]
    assert [p.name for p in (inbox / "processed").iterdir()] == ["one.eml"]
    assert [p.name for p in (inbox / "refused").iterdir()] == ["two.eml"]
    assert not list(inbox.glob("*.eml")) and not list((inbox / "claimed").iterdir())
    _assert_posted(scene, "Nagoya next year?", "Nagoya")
    with scene.factory() as db:
        vias = set(db.scalars(select(InboundMessage.via)))
    assert vias == {"inbox"}
