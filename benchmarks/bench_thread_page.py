"""The thread page with 200 posts in a reply tree (goal: p50 <= 20 ms on SQLite).

Beside it, the same run measures a bare FastAPI + SQLAlchemy + Jinja2 page that
renders the same 200 rows with none of our logic, so the ratio says what our
rules, tree, permissions and layout cost. Data: the report's demo plus 20,000
synthetic posts (`forum demo --synthetic`), so the tables are not trivially small.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from jinja2 import Environment
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from benchmarks.harness import Result, summary, time_calls
from forum.accounts.models import User
from forum.app import create_app
from forum.config import Settings
from forum.db import make_engine, make_session_factory, transaction
from forum.demo.registry import SYNTHETIC, load_parts
from forum.discussions import service
from forum.discussions.models import Category, Post
from forum.migrate import upgrade

REPEAT = 200
BARE = Environment(autoescape=True).from_string(
    "<!doctype html><html><body><main><h1>{{ title }}</h1>"
    "{% for p in posts %}<article><b>{{ p.author.name }}</b>{{ p.body_html|safe }}</article>"
    "{% endfor %}</main></body></html>"
)


def _thread_of_200(settings: Settings, factory: object) -> int:
    with transaction(factory) as db:  # type: ignore[arg-type]
        authors = list(db.scalars(select(User).limit(20)))
        category = db.scalar(select(Category).where(Category.slug == "market-intelligence"))
        assert category is not None
        thread = service.create_thread(
            db, authors[0],
            service.ThreadInput(title="Benchmark thread", body="Opening post.", category=category,
                                countries=["JP"]),
            check_limits=False,
        )  # fmt: skip
        rng = random.Random(7)
        posts: list[Post] = []
        for i in range(200):
            parent = rng.choice(posts) if posts and rng.random() < 0.6 else None
            posts.append(
                service.reply(db, rng.choice(authors), thread, body=f"Reply {i}: " + "text " * 40,
                              parent_id=parent.id if parent else None, check_limits=False)
            )  # fmt: skip
        return thread.id


def run(console: Console) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="bench", embedded_worker=False)
        settings.ensure_data_dir()
        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        factory = make_session_factory(engine)
        for part in load_parts():
            with transaction(factory) as session:
                part.load(session, settings)
        with transaction(factory) as session:
            for _ in SYNTHETIC["posts"].produce(session, 20_000, 1):
                pass
        thread_id = _thread_of_200(settings, factory)

        app = create_app(settings, engine=engine)
        bare = FastAPI()
        reader = make_session_factory(engine, writer=False)

        @bare.get("/bare/{thread_id}", response_class=HTMLResponse)
        def bare_page(thread_id: int) -> str:
            with reader() as db:
                posts = db.scalars(
                    select(Post).where(Post.thread_id == thread_id)
                    .options(selectinload(Post.author)).order_by(Post.root_id, Post.path)
                ).all()  # fmt: skip
                return BARE.render(title="Benchmark thread", posts=posts)

        with TestClient(app) as client, TestClient(bare) as bare_client:
            ours = summary(time_calls(lambda: client.get(f"/threads/{thread_id}"), repeat=REPEAT))
            base = summary(time_calls(lambda: bare_client.get(f"/bare/{thread_id}"), repeat=REPEAT))
            flat = summary(
                time_calls(lambda: client.get(f"/threads/{thread_id}?view=flat"), repeat=REPEAT)
            )
        console.print(
            f"thread page: p50 {ours['p50']:.2f} ms (p95 {ours['p95']:.2f}); "
            f"bare page p50 {base['p50']:.2f} ms; flat p50 {flat['p50']:.2f} ms"
        )
        engine.dispose()
        return [
            Result("thread page", "200 posts, tree, p50", ours["p50"], "ms", goal="<= 20 ms",
                   note=f"p95 {ours['p95']:.2f} ms; SQLite; in-process client; 20k other posts"),
            Result("thread page", "200 posts, flat, p50", flat["p50"], "ms", goal="<= 20 ms",
                   note=f"p95 {flat['p95']:.2f} ms"),
            Result("thread page", "bare FastAPI+SQLAlchemy+Jinja2, same rows, p50", base["p50"], "ms",
                   note="baseline, same run"),
            Result("thread page", "ours / bare (p50)", ours["p50"] / base["p50"], "x",
                   note="cost of our rules, tree, permissions and layout"),
        ]  # fmt: skip
