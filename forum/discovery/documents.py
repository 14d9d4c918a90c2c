"""Search documents: what the index holds for each thread, reply, item, event and partnership.

Documents are built from the database's current state whenever the outbox is drained,
so an outbox row only says "look at this one again": whatever it was, the engine ends
up with the document as it is now, or without it when nobody may find it any more
(a deleted reply, an item that is no longer published).

Every document's keywords (found by, never shown in snippets) are the names of its
countries, in English and in the main EU languages (pycountry's translations), and of its
sectors: "Maroc", "Marokko" and "Marocco" all find what is tagged MA. Each document carries
the language its text is written in (the post's, the item's; detected for events and
partnerships), for the engine to analyse it with that language's stemmer.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import nh3
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from forum.core import content_language
from forum.discussions.models import Category, Post, Thread, ThreadAttachment
from forum.events.models import Event
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.partnerships.models import Partnership
from forum.taxonomy.names import country_names
from search.engine import KINDS, SearchDoc, parse_doc_id

# How much of each attachment's text is indexed (the report itself is ~150,000
# characters; a 25 MB PDF may hold millions).
ATTACHMENT_TEXT_CHARS = 200_000
# Documents built per query when many are wanted (reindex, a large outbox batch).
BUILD_BATCH = 500


def tag_text(countries: Iterable[str], sector_names: Iterable[str]) -> str:
    """The country and sector names that find a document (its SearchDoc.keywords)."""
    parts = [name for code in countries for name in country_names(code)]
    parts.extend(sector_names)
    return " · ".join(parts)


_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_text(fragment: str) -> str:
    """The readable text of sanitized HTML (a post's rendering), paragraphs kept apart."""
    text = html.unescape(nh3.clean(fragment.replace("</p>", "</p>\n\n"), tags=set()))
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _join(*parts: str | None) -> str:
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


def _at_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _category_visibility(category: Category) -> str:
    return "members" if category.visibility == "members" else "public"


def _thread_fields(thread: Thread, *, hidden: bool) -> dict[str, Any]:
    """What a thread's document and its replies' share: the thread's kind, tags,
    category and visibility (a reply is found as what it belongs to)."""
    return {
        "subkind": thread.kind,
        "countries": tuple(thread.country_codes),
        "sectors": tuple(s.slug for s in thread.sectors),
        "category": thread.category.slug,
        "visibility": "hidden" if hidden else _category_visibility(thread.category),
        "keywords": tag_text(thread.country_codes, [s.name for s in thread.sectors]),
    }


def _attachment_texts(
    db: Session,
    model: type[IntelAttachment] | type[ThreadAttachment],
    owner: InstrumentedAttribute[int],
    owner_ids: Sequence[int],
) -> dict[int, list[str]]:
    """Each owner's files as its document carries them: every name, and the extracted text
    (ATTACHMENT_TEXT_CHARS at most each), in the order they were attached."""
    texts: dict[int, list[str]] = {}
    if not owner_ids:
        return texts
    rows = db.execute(
        select(owner, model.original_name, model.extracted_text)
        .where(owner.in_(owner_ids))
        .order_by(model.id)
    )
    for owner_id, name, text in rows:
        texts.setdefault(owner_id, []).append(name)
        if text:
            texts[owner_id].append(text[:ATTACHMENT_TEXT_CHARS])
    return texts


# --- one builder per kind: ids in, {doc_id: SearchDoc} out (missing ids are omitted) ---


def _thread_docs(db: Session, ids: Sequence[int]) -> dict[str, SearchDoc]:
    threads = db.scalars(
        select(Thread)
        .where(Thread.id.in_(ids))
        .options(
            selectinload(Thread.category),
            selectinload(Thread.sectors),
            selectinload(Thread.country_rows),
            selectinload(Thread.good_practice),
        )
    ).all()
    openings = {
        post.thread_id: post
        for post in db.scalars(select(Post).where(Post.thread_id.in_(ids), Post.is_opening))
    }
    files = _attachment_texts(
        db, ThreadAttachment, ThreadAttachment.thread_id, [t.id for t in threads]
    )
    out = {}
    for thread in threads:
        opening = openings.get(thread.id)
        practice = thread.good_practice
        body = _join(
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
        hidden = thread.hidden_at is not None or (opening is not None and opening.hidden_at)
        doc_id = f"thread:{thread.id}"
        out[doc_id] = SearchDoc(
            id=doc_id,
            kind="thread",
            title=thread.title,
            body=body,
            url=thread.url,
            created_at=thread.created_at,
            language=thread.language,
            **_thread_fields(thread, hidden=bool(hidden)),
        )
    return out


def _post_docs(db: Session, ids: Sequence[int]) -> dict[str, SearchDoc]:
    posts = db.scalars(
        select(Post)
        .where(Post.id.in_(ids), Post.is_opening.is_(False), Post.deleted_at.is_(None))
        .options(
            selectinload(Post.thread).selectinload(Thread.category),
            selectinload(Post.thread).selectinload(Thread.sectors),
            selectinload(Post.thread).selectinload(Thread.country_rows),
        )
    ).all()
    out = {}
    for post in posts:
        thread = post.thread
        hidden = post.hidden_at is not None or thread.hidden_at is not None
        doc_id = f"post:{post.id}"
        out[doc_id] = SearchDoc(
            id=doc_id,
            kind="post",
            title=f"Re: {thread.title}",
            body=html_text(post.body_html),
            url=post.url,
            created_at=post.created_at,
            language=post.language,
            **_thread_fields(thread, hidden=hidden),
        )
    return out


def _intel_docs(db: Session, ids: Sequence[int]) -> dict[str, SearchDoc]:
    # Only published items are searchable: drafts, items in review and withdrawn ones
    # never reach the index, so no query can leak them.
    items = db.scalars(
        select(IntelItem)
        .where(IntelItem.id.in_(ids), IntelItem.status == "published")
        .options(selectinload(IntelItem.sectors), selectinload(IntelItem.country_rows))
    ).all()
    texts = _attachment_texts(
        db, IntelAttachment, IntelAttachment.item_id, [item.id for item in items]
    )
    out = {}
    for item in items:
        doc_id = f"intel:{item.id}"
        out[doc_id] = SearchDoc(
            id=doc_id,
            kind="intel",
            subkind=item.kind,
            title=item.title,
            body=_join(
                item.summary,
                html_text(item.body_html) if item.body_html else item.body,
                item.source_name,
                *texts.get(item.id, ()),
            ),
            url=f"/intel/{item.id}",
            created_at=item.published_at or item.added_at,
            countries=tuple(item.country_codes),
            sectors=tuple(s.slug for s in item.sectors),
            visibility="public",
            keywords=tag_text(item.country_codes, [s.name for s in item.sectors]),
            language=item.language,
        )
    return out


def _event_docs(db: Session, ids: Sequence[int]) -> dict[str, SearchDoc]:
    events = db.scalars(
        select(Event).where(Event.id.in_(ids)).options(selectinload(Event.sectors))
    ).all()
    out = {}
    for event in events:
        countries = (event.country_code,) if event.country_code else ()
        doc_id = f"event:{event.id}"
        body = _join(
            event.description,
            event.date_text,
            ", ".join(p for p in (event.city, event.location_text) if p),
            event.organiser,
        )
        out[doc_id] = SearchDoc(
            id=doc_id,
            kind="event",
            subkind=None,
            title=event.name,
            body=body,
            # Events and partnerships do not record a language: detected from the text.
            language=content_language.detect(_join(event.name, event.description)),
            url=f"/events/{event.id}",
            # An event is dated by when it happens; undated ones by when they were added.
            created_at=_at_midnight(event.starts_on) if event.starts_on else event.created_at,
            countries=countries,
            sectors=tuple(s.slug for s in event.sectors),
            visibility="public",
            keywords=tag_text(countries, [s.name for s in event.sectors]),
        )
    return out


def _partnership_docs(db: Session, ids: Sequence[int]) -> dict[str, SearchDoc]:
    partnerships = db.scalars(
        select(Partnership)
        .where(Partnership.id.in_(ids))
        .options(selectinload(Partnership.sectors), selectinload(Partnership.country_rows))
    ).all()
    out = {}
    for partnership in partnerships:
        doc_id = f"partnership:{partnership.id}"
        out[doc_id] = SearchDoc(
            id=doc_id,
            kind="partnership",
            subkind=f"strand-{partnership.strand}" if partnership.strand else None,
            title=partnership.name,
            body=_join(
                partnership.description,
                " · ".join(partnership.aliases or ()),
            ),
            language=content_language.detect(_join(partnership.name, partnership.description)),
            url=f"/partnerships/{partnership.slug}",
            created_at=partnership.created_at,
            countries=tuple(partnership.country_codes),
            sectors=tuple(s.slug for s in partnership.sectors),
            visibility="public",
            keywords=tag_text(partnership.country_codes, [s.name for s in partnership.sectors]),
        )
    return out


_BUILDERS = {
    "thread": _thread_docs,
    "post": _post_docs,
    "intel": _intel_docs,
    "event": _event_docs,
    "partnership": _partnership_docs,
}
# Every searchable model, by kind: reindex walks their ids.
_MODELS: dict[str, type[Thread] | type[Post] | type[IntelItem] | type[Event] | type[Partnership]]
_MODELS = {
    "thread": Thread,
    "post": Post,
    "intel": IntelItem,
    "event": Event,
    "partnership": Partnership,
}
assert set(_BUILDERS) == set(KINDS), "every search kind needs a document builder"


def build_documents(db: Session, doc_ids: Iterable[str]) -> dict[str, SearchDoc | None]:
    """The current document of each id, or None where it must leave the index.

    Raises ValueError for a malformed id (see `search.engine.parse_doc_id`).
    """
    wanted: dict[str, list[int]] = {}
    result: dict[str, SearchDoc | None] = {}
    for doc_id in doc_ids:
        kind, number = parse_doc_id(doc_id)
        wanted.setdefault(kind, []).append(number)
        result[doc_id] = None
    for kind, numbers in wanted.items():
        for start in range(0, len(numbers), BUILD_BATCH):
            result.update(_BUILDERS[kind](db, numbers[start : start + BUILD_BATCH]))
    return result


def candidate_bounds(db: Session) -> dict[str, int]:
    """The highest id of each kind now: a reindex walks up to these (rows added later reach
    the new index through the outbox, which the reindex replays)."""
    return {kind: db.scalar(select(func.max(m.id))) or 0 for kind, m in _MODELS.items()}


def count_candidates(db: Session, *, upto: Mapping[str, int] | None = None) -> int:
    """How many rows a full reindex looks at (for its progress bar), up to `upto`'s ids."""
    total = 0
    for kind, model in _MODELS.items():
        stmt = select(func.count()).select_from(model)
        if upto is not None:
            stmt = stmt.where(model.id <= upto.get(kind, 0))
        total += db.scalar(stmt) or 0
    return total


def iter_all_documents(
    db: Session, *, batch: int = BUILD_BATCH, upto: Mapping[str, int] | None = None
) -> Iterator[tuple[int, list[SearchDoc]]]:
    """Every document the index should hold, in batches: (rows looked at, documents);
    with `upto`, only rows up to those ids (candidate_bounds).

    Walks each kind's ids in order with keyset pagination, so memory stays flat at any size.
    """
    for kind, model in _MODELS.items():
        last = 0
        while True:
            stmt = select(model.id).where(model.id > last)
            if upto is not None:
                stmt = stmt.where(model.id <= upto.get(kind, 0))
            ids = list(db.scalars(stmt.order_by(model.id).limit(batch)))
            if not ids:
                break
            last = ids[-1]
            docs = _BUILDERS[kind](db, ids)
            yield len(ids), list(docs.values())
            db.expunge_all()  # keep the identity map from growing with the whole database
