"""The thread page benchmark's baseline: a bare FastAPI + SQLAlchemy + Jinja2 page.

It renders the same thread's posts from the same database with none of the forum's
logic (no session, permissions, tree, layout or middleware): what any app on this stack
pays for the same rows. `create_app(url)` builds it in process; uvicorn serves it with
`uvicorn benchmarks.bare_thread:from_env --factory` and FORUM_BENCH_BARE_DB set.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forum import plugins
from forum.core.db import make_engine, make_session_factory
from forum.discussions.models import Post

DB_ENV = "FORUM_BENCH_BARE_DB"
TEMPLATE = Environment(autoescape=True).from_string(
    "<!doctype html><html><body><main><h1>{{ title }}</h1>"
    "{% for p in posts %}<article><b>{{ p.author.name }}</b>{{ p.body_html|safe }}</article>"
    "{% endfor %}</main></body></html>"
)


def create_app(database_url: str) -> FastAPI:
    assert plugins.MODELS  # every table is known to Base.metadata
    reader = make_session_factory(make_engine(database_url), writer=False)
    app = FastAPI()

    @app.get("/bare/{thread_id}", response_class=HTMLResponse)
    def bare_page(thread_id: int) -> str:
        with reader() as db:
            posts = db.scalars(
                select(Post)
                .where(Post.thread_id == thread_id)
                .options(selectinload(Post.author))
                .order_by(Post.root_id, Post.path)
            ).all()
            return TEMPLATE.render(title="Benchmark thread", posts=posts)

    return app


def from_env() -> FastAPI:
    return create_app(os.environ[DB_ENV])
