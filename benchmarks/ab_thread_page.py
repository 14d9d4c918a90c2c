"""The thread page signed in, this code against an older checkout, requests alternating.

`python -m benchmarks.ab_thread_page OLD_CHECKOUT [PAIRS]` (from this checkout, with its
venv). One database (the report's demo, 20,000 synthetic posts, a thread of 200 posts and
a member's session) is copied; the copy for the old code is migrated down to the old
code's head with this checkout's migrations. Each code then runs `forum serve` on its
copy, and one client asks both servers in turn, alternating which goes first: whatever
else the machine is doing falls on both alike, which back-to-back runs of `make bench`
on a shared machine cannot promise. Two measures: the member has read the thread (the
reading state is looked up; the plain address), and another member replied just before
each request (the page showing the reply: the reading state moves; the reply is posted
through each server's own code, untimed).
Not one of `make bench`'s benchmarks (it needs an old checkout); its figures go beside
theirs in BENCHMARKS.md by hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select

from benchmarks.bench_search_api import free_port
from benchmarks.bench_thread_page import _thread_of_200
from benchmarks.demo_data import demo_database
from benchmarks.harness import percentile
from forum.accounts.models import User
from forum.accounts.sessions import SESSION_COOKIE, create_session
from forum.core.db import transaction, utcnow
from forum.core.security import CSRF_COOKIE
from forum.migrate import alembic_config
from forum.notifications.service import follow

HERE = Path(__file__).resolve().parents[1]
SECRET = "ab-bench"
POSTS = int(os.environ.get("FORUM_AB_POSTS", "20000"))


def _old_head(old: Path) -> str:
    script = ScriptDirectory(str(old / "migrations"))
    (head,) = script.get_heads()
    return str(head)


@contextlib.contextmanager
def _serve(code: Path, data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(FORUM_DATA_DIR=str(data_dir), FORUM_SECRET_KEY=SECRET, PYTHONPATH=str(code),
               FORUM_EMBEDDED_WORKER="false")  # fmt: skip
    with (data_dir / "serve.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "forum.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port)],
            cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"forum serve exited; see {data_dir / 'serve.log'}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base + "/healthz", timeout=30).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("forum serve did not start")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def _get(client: httpx.Client, url: str, cookie: str) -> httpx.Response:
    """A GET carrying exactly `cookie` (the session): the client keeps no cookie jar
    between requests, so both servers see the same request."""
    response = client.get(url, headers={"Cookie": cookie})
    client.cookies.clear()
    return response


def _reply(client: httpx.Client, thread_id: int, session: str, body: str) -> str:
    """Post a reply through the server's own form (its CSRF cookie and token first);
    answers the address of the page that shows it."""
    form = _get(client, f"/threads/{thread_id}/reply", session)
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "no CSRF token on the reply form"
    cookie = f"{session}; {CSRF_COOKIE}={form.cookies[CSRF_COOKIE]}"
    posted = client.post(
        f"/threads/{thread_id}/posts",
        data={"body": body, "csrf_token": found.group(1)},
        headers={"Cookie": cookie},
    )
    client.cookies.clear()
    assert posted.status_code == 303, posted.status_code
    permalink = _get(client, posted.headers["location"], session)
    assert permalink.status_code == 302, permalink.status_code
    return permalink.headers["location"].split("#")[0]


def main(argv: list[str]) -> int:
    old = Path(argv[0]).resolve()
    pairs = int(argv[1]) if len(argv) > 1 else 300
    with tempfile.TemporaryDirectory() as tmp:
        new_dir, old_dir = Path(tmp) / "new", Path(tmp) / "old"
        settings, engine, factory = demo_database(new_dir, synthetic="posts", count=POSTS)
        thread_id = _thread_of_200(settings, factory)
        with transaction(factory) as db:
            # Two members who may sign in; the reader follows the thread, so each reply
            # notifies them and opening the page marks that notification read.
            reader, writer = db.scalars(
                select(User)
                .where(User.suspended_at.is_(None), User.email_verified_at.is_not(None))
                .order_by(User.id)
                .limit(2)
            ).all()
            follow(db, reader.id, "thread", str(thread_id))
            # The writer posts many replies quickly: not a new account's limits.
            writer.created_at = utcnow() - dt.timedelta(days=30)
            writer.email_verified_at = writer.email_verified_at or utcnow()
            writer.suspended_at = None
            cookies = {"reader": create_session(db, reader), "writer": create_session(db, writer)}
        engine.dispose()
        shutil.copytree(new_dir, old_dir)
        old_url = f"sqlite:///{old_dir / 'forum.sqlite3'}"
        assert Path(old_url.removeprefix("sqlite:///")).exists(), os.listdir(old_dir)
        command.downgrade(alembic_config(old_url), _old_head(old))
        page = f"/threads/{thread_id}"
        with _serve(old, old_dir) as old_base, _serve(HERE, new_dir) as new_base:
            bases = {"old": old_base, "new": new_base}
            client = {k: httpx.Client(base_url=b) for k, b in bases.items()}
            as_reader = f"{SESSION_COOKIE}={cookies['reader']}"
            as_writer = f"{SESSION_COOKIE}={cookies['writer']}"
            for key in bases:
                # Read it to its end: its two pages, again until nothing is unread (a
                # reply on page 1 newer than page 2's first post stays unread until page
                # 1 is seen again: the watermark never reads too much).
                for _ in range(10):
                    for n in (1, 2):
                        _get(client[key], f"{page}?page={n}", as_reader)
                    if _get(client[key], page, as_reader).status_code == 200:
                        break
                first = _get(client[key], page, as_reader)
                assert '<a href="/profile">' in first.text, (
                    key,
                    first.status_code,
                    first.headers.get("location"),
                    first.text[:3000],
                )
            read: dict[str, list[float]] = {"old": [], "new": []}
            fresh: dict[str, list[float]] = {"old": [], "new": []}
            for i in range(pairs + 20):
                for key in ("old", "new") if i % 2 else ("new", "old"):
                    began = time.perf_counter()
                    answer = _get(client[key], page, as_reader)
                    spent = (time.perf_counter() - began) * 1000
                    assert answer.status_code == 200
                    if i >= 20:
                        read[key].append(spent)
            for i in range(max(20, pairs // 5)):
                for key in ("old", "new") if i % 2 else ("new", "old"):
                    shows_it = _reply(client[key], thread_id, as_writer, f"News {i}")
                    began = time.perf_counter()
                    answer = _get(client[key], shows_it, as_reader)
                    fresh[key].append((time.perf_counter() - began) * 1000)
                    assert answer.status_code == 200
    for name, samples in (("read already", read), ("a new reply to read", fresh)):
        old_p50, new_p50 = (statistics.median(samples[k]) for k in ("old", "new"))
        print(
            f"signed in, {name}: old p50 {old_p50:.2f} ms (p95 {percentile(samples['old'], 95):.2f}),"
            f" new p50 {new_p50:.2f} ms (p95 {percentile(samples['new'], 95):.2f}),"
            f" new/old {new_p50 / old_p50 - 1:+.1%} over {len(samples['new'])} pairs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
