"""The thread page with 200 posts in a reply tree (goal: p50 <= 20 ms on SQLite).

Beside it, the same run measures a bare FastAPI + SQLAlchemy + Jinja2 page that
renders the same 200 rows with none of our logic (`benchmarks/bare_thread.py`), so the
ratio says what our rules, tree, permissions and layout cost. Data: the report's demo
plus 20,000 synthetic posts (`forum demo --synthetic`), so the tables are not trivially
small. Our page keeps each reply's HTML under what it shows (forum.discussions.post_html),
so repeated requests find them kept; one measure empties what is kept before each
request (every reply rendered, as on a page's first view).

Two measures: latency through an in-process client (p50 of single requests), and
throughput over HTTP: `forum serve` and the bare page under uvicorn (one worker each,
access log on in both), each driven by the same closed-loop load generator
(`benchmarks/loadgen.py`, 8 concurrent keep-alive clients, a process of its own) for
LOAD_SECONDS, in ROUNDS alternating rounds; the median round of each gives req/s and
the ratio. Our page is loaded twice per round: as an anonymous visitor, and signed in as
a plain member who has read the thread (their session cookie sent by every client; the
reading state looked up on each page, nothing to write; issue 26's goal: >= 0.55 of the
bare page's req/s). Beside each, the server process's CPU time per answered request
(/proc/PID/stat), steadier than req/s on a shared machine.

And what translation costs: the same page in English and in the pseudo-locale `xx`
(every sentence through its catalog, every date through the formatter), requests
alternating in the same run (goal: under 5 %).
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import select

from benchmarks.bare_thread import DB_ENV
from benchmarks.bare_thread import create_app as create_bare_app
from benchmarks.bench_search_api import cpu_seconds, forum_serve, free_port
from benchmarks.demo_data import demo_database
from benchmarks.harness import Result, summary, time_calls
from benchmarks.loadgen import Load, load
from forum.accounts.models import User
from forum.accounts.sessions import SESSION_COOKIE, create_session
from forum.app import create_app
from forum.core.config import Settings
from forum.core.db import transaction
from forum.discussions import writes
from forum.discussions.models import Category, Post, Thread
from forum.discussions.post_html import KEPT
from forum.discussions.thread_page import page_of_post

REPEAT = 200
ROUNDS = 3
LOAD_SECONDS = float(os.environ.get("FORUM_BENCH_LOAD_SECONDS", "10"))
CONCURRENCY = 8
GOAL_TRANSLATION = 0.05
GOAL_SIGNED_IN_SHARE = 0.55  # of the bare page's req/s (issue 26); stretch 0.6
STRETCH_SIGNED_IN_SHARE = 0.6


def _by_language(client: TestClient, url: str) -> dict[str, list[float]]:
    """Milliseconds per request of `url` in English and in `xx`, alternating."""
    from tests.i18n import pseudo

    pseudo.install()
    try:
        samples: dict[str, list[float]] = {"en": [], pseudo.CODE: []}
        for n in range(REPEAT + 10):
            for language, times in samples.items():
                client.cookies.set("forum_lang", language)
                began = time.perf_counter()
                response = client.get(url)
                spent = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, response.status_code
                assert f'<html lang="{language}"' in response.text
                if n >= 10:  # warm-up
                    times.append(spent)
        return samples
    finally:
        client.cookies.delete("forum_lang")
        pseudo.uninstall()


@contextlib.contextmanager
def bare_serve(database_url: str, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The bare page under uvicorn on a free loopback port, as `forum serve` runs ours."""
    port = free_port()
    env = {**os.environ, DB_ENV: database_url}
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own benchmark app
            [sys.executable, "-m", "uvicorn", "benchmarks.bare_thread:from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base + "/docs", timeout=10).status_code == 200:
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the bare page did not start; see {log_path}")
                time.sleep(0.2)
            yield base, process
        finally:
            process.terminate()
            process.wait(timeout=30)


def _nothing_kept(client: TestClient, url: str) -> None:
    """`url` with no reply's HTML kept (post_html.KEPT emptied first): each reply rendered,
    as on the first view of a page or of a reply that changed."""
    KEPT.clear()
    assert client.get(url).status_code == 200


def _thread_of_200(settings: Settings, factory: object) -> int:
    with transaction(factory) as db:  # type: ignore[arg-type]
        authors = list(db.scalars(select(User).limit(20)))
        category = db.scalar(select(Category).where(Category.slug == "market-intelligence"))
        assert category is not None
        thread = writes.create_thread(
            db, authors[0],
            writes.ThreadInput(title="Benchmark thread", body="Opening post.", category=category,
                                countries=["JP"]),
            check_limits=False,
        )  # fmt: skip
        rng = random.Random(7)
        posts: list[Post] = []
        for i in range(200):
            parent = rng.choice(posts) if posts and rng.random() < 0.6 else None
            posts.append(
                writes.reply(db, rng.choice(authors), thread, body=f"Reply {i}: " + "text " * 40,
                              parent_id=parent.id if parent else None, check_limits=False)
            )  # fmt: skip
        return thread.id


SIGNED_IN_REPLIES = 60


def _member_session(factory: object) -> str:
    """A session for a plain member (not a moderator, not the thread's author): the page
    as most signed-in readers get it, with a flag form under other people's posts."""
    with transaction(factory) as db:  # type: ignore[arg-type]
        member = db.scalar(
            select(User)
            .where(User.role == "member", User.suspended_at.is_(None),
                   User.email_verified_at.is_not(None))
            .order_by(User.id)
        )  # fmt: skip
        assert member is not None
        return create_session(db, member)


def _read_to_the_end(base: str, thread_id: int, session: str) -> None:
    """Open the thread's pages as the member until nothing is unread (the plain address
    then answers the page itself, not a jump)."""
    with httpx.Client(base_url=base, cookies={SESSION_COOKIE: session}) as client:
        for _ in range(10):
            for page in (1, 2):
                client.get(f"/threads/{thread_id}?page={page}")
            answer = client.get(f"/threads/{thread_id}", follow_redirects=False)
            if answer.status_code == 200:
                assert '<a href="/profile">' in answer.text, "signed in"
                return
    raise RuntimeError("the thread was not read to its end")


def _loaded(target: str, process: subprocess.Popen[bytes], cookies: dict[str, str] | None
            ) -> tuple[Load, float]:  # fmt: skip
    """`load()` on `target`, and the server's CPU milliseconds per answered request."""
    began = cpu_seconds(process.pid), time.perf_counter()
    result = load(target, concurrency=CONCURRENCY, seconds=LOAD_SECONDS, cookies=cookies)
    cpu, wall = cpu_seconds(process.pid) - began[0], time.perf_counter() - began[1]
    # The warm-up's requests count too: the CPU covers them.
    return result, cpu * 1000 / max(1.0, result.per_second * wall)


def _signed_in(
    client: TestClient, factory: object, thread_id: int
) -> tuple[dict[str, float], dict[str, float]]:
    """The thread page for a signed-in member (p50s): read to its end already (the plain
    address; the reading state is looked up, nothing written), and with another member's
    new reply to read before each request (the page that shows it: the watermark moves,
    one upsert and the notifications update). The replies are written outside the
    timing."""
    with transaction(factory) as db:  # type: ignore[arg-type]
        # The thread's author: each new reply also notifies them, and opening the page
        # marks that notification read.
        thread = db.get(Thread, thread_id)
        assert thread is not None
        reader = db.get(User, thread.author_id)
        writer = db.scalar(select(User).where(User.id != thread.author_id).order_by(User.id))
        assert reader is not None
        assert writer is not None
        raw = create_session(db, reader)
        writer_id = writer.id
    client.cookies.set(SESSION_COOKIE, raw)
    url = f"/threads/{thread_id}"
    try:
        # Read it to its end: its two pages, again until nothing is unread (a reply on
        # page 1 newer than page 2's first post stays unread until page 1 is seen again).
        for _ in range(10):
            for page in (1, 2):
                client.get(f"{url}?page={page}")
            if client.get(url, follow_redirects=False).status_code == 200:
                break
        assert '<a href="/profile">' in client.get(url).text, "signed in, read to the end"
        read = summary(time_calls(lambda: client.get(url), repeat=REPEAT))
        samples = []
        for i in range(SIGNED_IN_REPLIES):
            with transaction(factory) as db:  # type: ignore[arg-type]
                author = db.get(User, writer_id)
                thread = db.get(Thread, thread_id)
                assert author is not None
                assert thread is not None
                post = writes.reply(db, author, thread, body=f"News {i}", check_limits=False)
                shows_it = f"{url}?page={page_of_post(db, post)}"
            began = time.perf_counter()
            response = client.get(shows_it)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.status_code
        return read, summary(samples)
    finally:
        client.cookies.delete(SESSION_COOKIE)


def run(console: Console) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        settings, engine, factory = demo_database(Path(tmp), synthetic="posts", count=20_000)
        thread_id = _thread_of_200(settings, factory)

        app = create_app(settings, engine=engine)
        bare = create_bare_app(settings.resolved_database_url)

        with TestClient(app) as client, TestClient(bare) as bare_client:
            ours = summary(time_calls(lambda: client.get(f"/threads/{thread_id}"), repeat=REPEAT))
            base = summary(time_calls(lambda: bare_client.get(f"/bare/{thread_id}"), repeat=REPEAT))
            flat = summary(
                time_calls(lambda: client.get(f"/threads/{thread_id}?view=flat"), repeat=REPEAT)
            )
            cold = summary(
                time_calls(lambda: _nothing_kept(client, f"/threads/{thread_id}"), repeat=REPEAT)
            )
            signed_read, signed_new = _signed_in(client, factory, thread_id)
            languages = {
                k: summary(v) for k, v in _by_language(client, f"/threads/{thread_id}").items()
            }
        translation = languages["xx"]["p50"] / languages["en"]["p50"] - 1
        console.print(
            f"in English p50 {languages['en']['p50']:.2f} ms, in xx {languages['xx']['p50']:.2f} ms "
            f"({translation:+.1%})"
        )
        console.print(
            f"thread page: p50 {ours['p50']:.2f} ms (p95 {ours['p95']:.2f}); "
            f"bare page p50 {base['p50']:.2f} ms; flat p50 {flat['p50']:.2f} ms; "
            f"nothing kept p50 {cold['p50']:.2f} ms; "
            f"signed in p50 {signed_read['p50']:.2f} ms, with a reply to read "
            f"{signed_new['p50']:.2f} ms"
        )
        engine.dispose()

        member = _member_session(factory)
        ours_loads: list[Load] = []
        signed_loads: list[Load] = []
        bare_loads: list[Load] = []
        cpu: dict[str, list[float]] = {"ours": [], "signed": [], "bare": []}
        data_dir = Path(tmp)
        with forum_serve(data_dir, data_dir / "serve.log", embedded_worker=False) as (url, ours_process), \
                bare_serve(settings.resolved_database_url, data_dir / "bare.log") as (bare_url, bare_process):  # fmt: skip
            _read_to_the_end(url, thread_id, member)
            page = f"{url}/threads/{thread_id}"
            for n in range(ROUNDS):
                for loads, key, target, process, cookies in (
                    (ours_loads, "ours", page, ours_process, None),
                    (signed_loads, "signed", page, ours_process, {SESSION_COOKIE: member}),
                    (bare_loads, "bare", f"{bare_url}/bare/{thread_id}", bare_process, None),
                ):
                    done, ms = _loaded(target, process, cookies)
                    loads.append(done)
                    cpu[key].append(ms)
                console.print(
                    f"round {n + 1}: ours {ours_loads[-1].per_second:.1f} req/s "
                    f"({cpu['ours'][-1]:.1f} ms CPU each), signed in "
                    f"{signed_loads[-1].per_second:.1f} ({cpu['signed'][-1]:.1f} ms), bare "
                    f"{bare_loads[-1].per_second:.1f} ({cpu['bare'][-1]:.1f} ms)"
                )
        errors = sum(x.errors for x in ours_loads + signed_loads + bare_loads)
        if errors:
            raise RuntimeError(f"{errors} non-200 answers under load; see {data_dir}/*.log")
        ours_rps = statistics.median(x.per_second for x in ours_loads)
        signed_rps = statistics.median(x.per_second for x in signed_loads)
        bare_rps = statistics.median(x.per_second for x in bare_loads)
        cpu_ms = {k: statistics.median(v) for k, v in cpu.items()}
        mid = sorted(ours_loads, key=lambda x: x.per_second)[ROUNDS // 2]
        mid_signed = sorted(signed_loads, key=lambda x: x.per_second)[ROUNDS // 2]
        load_note = (f"{CONCURRENCY} keep-alive clients, median of {ROUNDS} rounds of "
                     f"{LOAD_SECONDS:.0f} s; one uvicorn worker each; 2-core machine shared "
                     "by server and load generator")  # fmt: skip
        return [
            Result("thread page", "200 posts, tree, p50", ours["p50"], "ms", goal="<= 20 ms",
                   note=f"p95 {ours['p95']:.2f} ms; SQLite; in-process client; 20k other posts"),
            Result("thread page", "200 posts, flat, p50", flat["p50"], "ms", goal="<= 20 ms",
                   note=f"p95 {flat['p95']:.2f} ms"),
            Result("thread page", "200 posts, tree, nothing kept, p50", cold["p50"], "ms",
                   note=f"p95 {cold['p95']:.2f} ms; every reply rendered (post_html.KEPT emptied "
                        "before each request): a page's first view, or a reply's after a change"),
            Result("thread page", "200 posts, signed in, read already, p50", signed_read["p50"],
                   "ms", note=f"p95 {signed_read['p95']:.2f} ms; reading state looked up"),
            Result("thread page", "200+ posts, signed in, a new reply to read, p50",
                   signed_new["p50"], "ms",
                   note=f"p95 {signed_new['p95']:.2f} ms; {SIGNED_IN_REPLIES} requests, each "
                        "after another member's reply: the reading state moves"),
            Result("thread page", "200 posts, English, p50 (alternating with xx)",
                   languages["en"]["p50"], "ms", note=f"p95 {languages['en']['p95']:.2f} ms"),
            Result("thread page", "200 posts, pseudo-locale xx, p50", languages["xx"]["p50"], "ms",
                   note=f"p95 {languages['xx']['p95']:.2f} ms; requests alternating with English"),
            Result("thread page", "translation cost (xx / en - 1, p50)", translation * 100, "%",
                   goal=f"< {GOAL_TRANSLATION:.0%}",
                   note="PASS" if translation < GOAL_TRANSLATION else "MISS"),
            Result("thread page", "bare FastAPI+SQLAlchemy+Jinja2, same rows, p50", base["p50"], "ms",
                   note="baseline, same run"),
            Result("thread page", "ours / bare (p50)", ours["p50"] / base["p50"], "x",
                   note="cost of our rules, tree, permissions and layout"),
            Result("thread page", "forum serve, req/s", ours_rps, "req/s",
                   note=f"anonymous; {load_note}; latency p50 {mid.p50_ms:.1f} / p95 "
                        f"{mid.p95_ms:.1f} ms; server CPU {cpu_ms['ours']:.1f} ms/request"),
            Result("thread page", "forum serve, signed in, req/s", signed_rps, "req/s",
                   note=f"a member (not a moderator) who read the thread already; latency p50 "
                        f"{mid_signed.p50_ms:.1f} / p95 {mid_signed.p95_ms:.1f} ms; server CPU "
                        f"{cpu_ms['signed']:.1f} ms/request"),
            Result("thread page", "bare page under uvicorn, req/s", bare_rps, "req/s",
                   note=f"baseline, same load tool, same run; server CPU {cpu_ms['bare']:.1f} "
                        "ms/request"),
            Result("thread page", "ours / bare (req/s)", ours_rps / bare_rps, "x",
                   note="anonymous: throughput share the forum's logic leaves"),
            Result("thread page", "ours signed in / bare (req/s)", signed_rps / bare_rps, "x",
                   goal=f">= {GOAL_SIGNED_IN_SHARE}",
                   note=("PASS" if signed_rps / bare_rps >= GOAL_SIGNED_IN_SHARE else "MISS")
                        + f" (stretch {STRETCH_SIGNED_IN_SHARE}); server CPU per request, bare "
                        f"/ ours signed in: {cpu_ms['bare'] / cpu_ms['signed']:.2f}"),
        ]  # fmt: skip
