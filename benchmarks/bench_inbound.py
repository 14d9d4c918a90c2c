"""Answering by email: messages processed per second on one worker (read, strip the quote,
post through `writes.reply`, notifications, search outbox, record), beside posting the
same text through the web route (`POST /threads/{id}/posts`) in the same run."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from rich.console import Console
from sqlalchemy import select

from benchmarks.harness import Result
from forum.accounts.models import User
from forum.accounts.service import create_user
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction, utcnow
from forum.discussions import writes
from forum.discussions.admin_service import seed_categories
from forum.discussions.models import Category, Post
from forum.inbound.inbox import inbox_dir, process_inbox
from forum.migrate import upgrade
from forum.notifications.reply_address import reply_address
from forum.taxonomy.service import seed_sectors

N = 300
MEMBERS = 20
DOMAIN = "in.bench.example"
TEXT = (
    "We went to FOODEX Japan in March: hall 4 has the food machinery, and the JETRO "
    "pavilion takes SMEs for a small fee. Book the hotel early."
)
QUOTE = (
    "\n\nOn Mon, 7 Dec 2026 at 10:15, Anna Nowak <anna@example.org> wrote:\n\n"
    + "> Does anyone know a trade fair for food machinery in Japan next spring?\n" * 8
)


def _setup(settings: Settings) -> tuple[list[int], int, int]:
    upgrade(settings.resolved_database_url)
    factory = make_session_factory(make_engine(settings.resolved_database_url))
    with transaction(factory) as db:
        seed_sectors(db)
        seed_categories(db)
        category = db.scalars(select(Category)).first()
        assert category is not None
        members = []
        for i in range(MEMBERS):
            user = create_user(db, email=f"m{i}@bench.example", name=f"Member {i}",
                               password=None, password_hash="x", verified=True)  # fmt: skip
            user.created_at = utcnow() - dt.timedelta(days=30)
            members.append(user)
        db.flush()
        thread = writes.create_thread(
            db, members[0], writes.ThreadInput(title="Fairs in Japan", body="Which?",
                                               category=category), check_limits=False,
        )  # fmt: skip
        for user in members:  # past the new-account limits, on both paths alike
            for _ in range(3):
                writes.reply(db, user, thread, body="Seeded.", check_limits=False)
        opening = db.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.is_opening))
        assert opening is not None
        return [u.id for u in members], thread.id, opening


def run(console: Console) -> list[Result]:
    from fastapi.testclient import TestClient

    from forum.accounts.sessions import SESSION_COOKIE, create_session
    from forum.app import create_app
    from forum.core.security import CSRF_COOKIE, csrf_token_for

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="bench", embedded_worker=False,
                            inbound_domain=DOMAIN)  # fmt: skip
        settings.ensure_data_dir()
        member_ids, thread_id, opening = _setup(settings)
        engine = make_engine(settings.resolved_database_url)
        factory = make_session_factory(engine)
        with factory() as db:
            emails = {u.id: u.email for u in db.scalars(select(User))}

        inbox = inbox_dir(settings)
        inbox.mkdir(parents=True)
        for i in range(N):
            user_id = member_ids[i % MEMBERS]
            message = EmailMessage()
            message["From"] = emails[user_id]
            message["To"] = str(reply_address("bench", DOMAIN, user_id, opening, now=utcnow()))
            message["Subject"] = "Re: Fairs in Japan"
            message["Message-ID"] = f"<bench{i}@client.example>"
            message.set_content(f"{TEXT} ({i})" + QUOTE)
            (inbox / f"{i:05d}.eml").write_bytes(bytes(message))
        began = time.perf_counter()
        outcomes = process_inbox(factory, settings, holder="bench", limit=N)
        inbound_s = time.perf_counter() - began
        assert [o.status for o in outcomes] == ["posted"] * N, outcomes[:3]
        inbound_rate = N / inbound_s
        console.print(f"inbound: {N} messages in {inbound_s:.2f} s ({inbound_rate:.1f}/s)")

        app = create_app(settings, engine=engine)
        with TestClient(app, base_url="http://testserver") as client:
            client.get("/privacy")
            token = csrf_token_for("bench", client.cookies[CSRF_COOKIE])
            sessions = {}
            with transaction(factory) as db:
                for user_id in member_ids:
                    user = db.get(User, user_id)
                    assert user is not None
                    sessions[user_id] = create_session(db, user)
            began = time.perf_counter()
            for i in range(N):
                client.cookies.set(SESSION_COOKIE, sessions[member_ids[i % MEMBERS]])
                response = client.post(
                    f"/threads/{thread_id}/posts",
                    data={"body": f"{TEXT} ({i})", "parent_id": str(opening),
                          "csrf_token": token},
                    follow_redirects=False,
                )  # fmt: skip
                assert response.status_code == 303, (response.status_code, _why(response.text))
            web_s = time.perf_counter() - began
        web_rate = N / web_s
        console.print(f"web: {N} replies in {web_s:.2f} s ({web_rate:.1f}/s)")
        engine.dispose()
    note = f"SQLite, one process; the web route posted {web_rate:.1f}/s in the same run"
    return [
        Result("inbound", "replies by email processed per second (inbox, one worker)",
               inbound_rate, "msg/s", note=note),
        Result("inbound", "replies posted through POST /threads/{id}/posts per second",
               web_rate, "posts/s", note="same text, same run, in-process client"),
    ]  # fmt: skip


def _why(page: str) -> str:
    import re

    found = re.findall(r'class="(?:field-error|flash[^"]*)"[^>]*>(.*?)<', page, re.S)
    return " | ".join(f.strip() for f in found) or page[:300]
