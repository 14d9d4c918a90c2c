"""Synthetic discussions for benchmarks: members, threads and reply trees at scale.

Rows are written with bulk Core inserts and ids chosen here, so a million posts
take minutes, not hours; the sequences are moved past them afterwards on PostgreSQL.
Every synthetic member's address ends in `.invalid` and their name says "Synthetic".
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.core.text import render_markdown
from forum.demo.registry import synthetic_producer
from forum.demo.textgen import SkewedChoice, TextGenerator, report_country_weights
from forum.discussions.admin_service import seed_categories
from forum.discussions.models import (
    MAX_DEPTH,
    Category,
    Post,
    Thread,
    ThreadCountry,
    thread_sector,
)
from forum.taxonomy.models import Sector

SYNTHETIC_MEMBERS = 500
BATCH_POSTS = 5_000


def _next_id(db: Session, column: Any) -> int:
    return int(db.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1


def _members(db: Session, seed: int) -> list[int]:
    existing = list(
        db.scalars(select(User.id).where(User.email.like("synthetic-%@example.invalid")))
    )
    if len(existing) >= SYNTHETIC_MEMBERS:
        return existing
    gen = TextGenerator(seed=seed)
    now = utcnow()
    start = len(existing)
    rows = [
        {
            "email": f"synthetic-{i}@example.invalid",
            "name": f"Synthetic {gen.title(1, 2)} {i}",
            "handle": f"synthetic.{i}",
            "role": "member",
            "email_verified_at": now,
            "onboarded_at": now,
            "created_at": now,
            "bio": "",
            "timezone": "Europe/Brussels",
            "language": "en",
            "digest_frequency": "off",
            "digest_weekday": 0,
            "digest_hour": 7,
        }
        for i in range(start, SYNTHETIC_MEMBERS)
    ]
    db.execute(insert(User), rows)
    return list(db.scalars(select(User.id).where(User.email.like("synthetic-%@example.invalid"))))


def thread_sizes(total_posts: int, rng: random.Random) -> Iterator[int]:
    """Posts per thread (opening included): mostly short, some of several hundred."""
    left = total_posts
    while left > 0:
        size = min(left, max(1, int(rng.paretovariate(1.2))), 400)
        left -= size
        yield size


@synthetic_producer("posts", share=0.9)
def produce_posts(db: Session, count: int, seed: int) -> Iterator[int]:
    """`count` synthetic posts in threads with reply trees, tagged like the report."""
    rng = random.Random(seed)
    text_gen = TextGenerator(seed=seed + 11)
    countries = SkewedChoice(report_country_weights(), seed=seed + 12)
    sectors = {s.slug: s.id for s in db.scalars(select(Sector))}
    sector_pick = SkewedChoice({slug: 1.0 for slug in sectors}, seed=seed + 13)
    seed_categories(db)
    category_ids = list(db.scalars(select(Category.id).where(Category.visibility == "public")))
    authors = _members(db, seed)
    next_thread = _next_id(db, Thread.id)
    next_post = _next_id(db, Post.id)
    now = utcnow()
    made = 0
    threads: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    sector_rows: list[dict[str, Any]] = []

    def flush() -> None:
        if threads:
            db.execute(insert(Thread), threads)
            db.execute(insert(ThreadCountry), tags)
            if sector_rows:
                db.execute(insert(thread_sector), sector_rows)
        if posts:
            db.execute(insert(Post), posts)
        for batch in (threads, posts, tags, sector_rows):
            batch.clear()

    for size in thread_sizes(count, rng):
        thread_id = next_thread
        next_thread += 1
        started = now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 365))
        threads.append(
            {
                "id": thread_id, "category_id": rng.choice(category_ids),
                "kind": rng.choice(("discussion", "discussion", "question", "good_practice", "cooperation_offer")),
                "title": text_gen.title(), "author_id": rng.choice(authors), "pinned": False,
                "locked": False, "created_at": started, "last_activity_at": started,
                "reply_count": size - 1, "view_count": 0, "language": "en",
                "source_note": "Synthetic data generated for benchmarks (forum demo --synthetic).",
            }
        )  # fmt: skip
        tags.extend({"thread_id": thread_id, "country_code": c} for c in countries.pick(1, 3))
        sector_rows.extend(
            {"thread_id": thread_id, "sector_id": sectors[s]} for s in sector_pick.pick(1, 2)
        )
        in_thread: list[dict[str, Any]] = []
        for position in range(size):
            post_id = next_post
            next_post += 1
            body = text_gen.markdown_body()
            row: dict[str, Any] = {
                "id": post_id, "thread_id": thread_id, "author_id": rng.choice(authors),
                "body": body, "body_html": render_markdown(body), "is_opening": position == 0,
                "created_at": started + dt.timedelta(minutes=position), "language": "en",
            }  # fmt: skip
            parent = None
            if position > 1 and rng.random() < 0.5:
                parent = rng.choice(in_thread[1:])
            if parent is None:
                row.update(parent_id=None, depth=0, root_id=post_id, path=f"/{post_id:010d}")
            elif parent["depth"] < MAX_DEPTH:
                row.update(parent_id=parent["id"], depth=parent["depth"] + 1,
                           root_id=parent["root_id"], path=parent["path"] + f"/{post_id:010d}")  # fmt: skip
            else:
                row.update(parent_id=parent["id"], depth=parent["depth"], root_id=parent["root_id"],
                           path=parent["path"].rsplit("/", 1)[0] + f"/{post_id:010d}")  # fmt: skip
            in_thread.append(row)
            posts.append(row)
        threads[-1]["last_activity_at"] = in_thread[-1]["created_at"]
        made += size
        if len(posts) >= BATCH_POSTS:
            flush()
            yield made
    flush()
    if db.get_bind().dialect.name == "postgresql":
        for table in ("thread", "post"):
            db.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
    yield made
