"""Search documents of threads and replies, nine in ten of all documents: built from rows.

A reindex builds a million of them, so they are read as column rows rather than ORM
objects (an ORM object costs more than the document made from it), in one query per
table for a batch of ids, and the fields a thread gives its document and its replies'
(kind, tags, category, visibility, the names that find its tags) are made once per
thread. The documents are the ones the ORM-built version made, field for field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.discovery.document_text import attachment_texts, html_text, join_parts, tag_text
from forum.discussions.models import (
    Category,
    GoodPractice,
    Post,
    Thread,
    ThreadAttachment,
    ThreadCountry,
    thread_sector,
)
from forum.taxonomy.models import Sector
from search.engine import SearchDoc


@dataclass
class ThreadFacts:
    """What a thread's document and its replies' take from the thread."""

    id: int
    title: str
    kind: str
    hidden: bool
    created_at: dt.datetime
    language: str | None
    category: str
    visibility: str  # "members" or "public": the category's
    countries: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    sector_names: list[str] = field(default_factory=list)
    _fields: dict[bool, dict[str, Any]] = field(default_factory=dict)

    def fields(self, *, hidden: bool) -> dict[str, Any]:
        """The SearchDoc fields of the thread's kind, tags, category and visibility (a
        reply is found as what it belongs to); made once per value of `hidden`."""
        made = self._fields.get(hidden)
        if made is None:
            made = self._fields[hidden] = {
                "subkind": self.kind,
                "countries": tuple(self.countries),
                "sectors": tuple(self.sectors),
                "category": self.category,
                "visibility": "hidden" if hidden else self.visibility,
                "keywords": tag_text(self.countries, self.sector_names),
            }
        return made


def thread_facts(db: Session, ids: Iterable[int]) -> dict[int, ThreadFacts]:
    """The facts of the threads `ids` that exist: four queries for the lot."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    threads: dict[int, ThreadFacts] = {}
    for row in db.execute(
        select(Thread.id, Thread.title, Thread.kind, Thread.hidden_at, Thread.created_at,
               Thread.language, Category.slug, Category.visibility)
        .join(Category, Category.id == Thread.category_id)
        .where(Thread.id.in_(wanted))
        .order_by(Thread.id)
    ):  # fmt: skip
        threads[row.id] = ThreadFacts(
            id=row.id,
            title=row.title,
            kind=row.kind,
            hidden=row.hidden_at is not None,
            created_at=row.created_at,
            language=row.language,
            category=row.slug,
            visibility="members" if row.visibility == "members" else "public",
        )
    # Both in the order of the ORM relationships (Thread.country_rows, Thread.sectors).
    for thread_id, code in db.execute(
        select(ThreadCountry.thread_id, ThreadCountry.country_code)
        .where(ThreadCountry.thread_id.in_(wanted))
        .order_by(ThreadCountry.thread_id, ThreadCountry.country_code)
    ):
        threads[thread_id].countries.append(code)
    sectors = {sector.id: sector for sector in db.scalars(select(Sector))}
    for thread_id, sector_id in db.execute(
        select(thread_sector.c.thread_id, thread_sector.c.sector_id)
        .join(Sector, Sector.id == thread_sector.c.sector_id)
        .where(thread_sector.c.thread_id.in_(wanted))
        .order_by(thread_sector.c.thread_id, Sector.name)
    ):
        facts, sector = threads[thread_id], sectors[sector_id]
        facts.sectors.append(sector.slug)
        facts.sector_names.extend(sector.all_names)
    return threads


def thread_docs(db: Session, ids: Sequence[int]) -> dict[str, SearchDoc]:
    threads = thread_facts(db, ids)
    openings: dict[int, Any] = {
        row.thread_id: row
        for row in db.execute(
            select(Post.thread_id, Post.body_html, Post.deleted_at, Post.hidden_at).where(
                Post.thread_id.in_(ids), Post.is_opening
            )
        )
    }
    practices = {
        practice.thread_id: practice
        for practice in db.scalars(select(GoodPractice).where(GoodPractice.thread_id.in_(ids)))
    }
    files = attachment_texts(db, ThreadAttachment, ThreadAttachment.thread_id, list(threads))
    out = {}
    for thread in threads.values():
        opening = openings.get(thread.id)
        practice = practices.get(thread.id)
        body = join_parts(
            html_text(opening.body_html) if opening and opening.deleted_at is None else "",
            *(
                (
                    html_text(practice.challenge_html),
                    html_text(practice.approach_html),
                    html_text(practice.results_html),
                    html_text(practice.lessons_html),
                    practice.contact,
                )
                if practice
                else ()
            ),
            *files.get(thread.id, ()),
        )
        hidden = thread.hidden or (opening is not None and opening.hidden_at is not None)
        doc_id = f"thread:{thread.id}"
        out[doc_id] = SearchDoc(
            id=doc_id,
            kind="thread",
            title=thread.title,
            body=body,
            url=Thread.url_of(thread.id),
            created_at=thread.created_at,
            language=thread.language,
            **thread.fields(hidden=hidden),
        )
    return out


def post_docs(db: Session, ids: Sequence[int]) -> dict[str, SearchDoc]:
    rows = db.execute(
        select(Post.id, Post.thread_id, Post.body_html, Post.created_at, Post.language,
               Post.hidden_at)
        .where(Post.id.in_(ids), Post.is_opening.is_(False), Post.deleted_at.is_(None))
        .order_by(Post.id)
    ).all()  # fmt: skip
    threads = thread_facts(db, (row.thread_id for row in rows))
    out = {}
    for post_id, thread_id, body_html, created_at, language, hidden_at in rows:
        thread = threads[thread_id]
        doc_id = f"post:{post_id}"
        out[doc_id] = SearchDoc(
            id=doc_id,
            kind="post",
            title=f"Re: {thread.title}",
            body=html_text(body_html),
            url=Post.url_of(post_id),
            created_at=created_at,
            language=language,
            **thread.fields(hidden=hidden_at is not None or thread.hidden),
        )
    return out
