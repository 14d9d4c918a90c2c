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
from collections.abc import Iterable, Iterator, Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forum.core import content_language

# html_text and tag_text are also this module's: the digests read them from here.
from forum.discovery.document_text import (
    ATTACHMENT_TEXT_CHARS as ATTACHMENT_TEXT_CHARS,
)
from forum.discovery.document_text import attachment_texts, join_parts
from forum.discovery.document_text import html_text as html_text
from forum.discovery.document_text import tag_text as tag_text
from forum.discovery.documents_threads import post_docs, thread_docs
from forum.discussions.models import Post, Thread
from forum.events.models import Event
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.partnerships.models import Partnership
from search.engine import KINDS, SearchDoc, parse_doc_id

# Documents built per query when many are wanted (reindex, a large outbox batch).
BUILD_BATCH = 500


def _at_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


# --- one builder per kind: ids in, {doc_id: SearchDoc} out (missing ids are omitted) ---


def _intel_docs(db: Session, ids: Sequence[int]) -> dict[str, SearchDoc]:
    # Only published items are searchable: drafts, items in review and withdrawn ones
    # never reach the index, so no query can leak them.
    items = db.scalars(
        select(IntelItem)
        .where(IntelItem.id.in_(ids), IntelItem.status == "published")
        .options(selectinload(IntelItem.sectors), selectinload(IntelItem.country_rows))
    ).all()
    texts = attachment_texts(
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
            body=join_parts(
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
            keywords=tag_text(item.country_codes, [n for s in item.sectors for n in s.all_names]),
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
        body = join_parts(
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
            language=content_language.detect(join_parts(event.name, event.description)),
            url=f"/events/{event.id}",
            # An event is dated by when it happens; undated ones by when they were added.
            created_at=_at_midnight(event.starts_on) if event.starts_on else event.created_at,
            countries=countries,
            sectors=tuple(s.slug for s in event.sectors),
            visibility="public",
            keywords=tag_text(countries, [n for s in event.sectors for n in s.all_names]),
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
            body=join_parts(
                partnership.description,
                " · ".join(partnership.aliases or ()),
            ),
            language=content_language.detect(join_parts(partnership.name, partnership.description)),
            url=f"/partnerships/{partnership.slug}",
            created_at=partnership.created_at,
            countries=tuple(partnership.country_codes),
            sectors=tuple(s.slug for s in partnership.sectors),
            visibility="public",
            keywords=tag_text(
                partnership.country_codes, [n for s in partnership.sectors for n in s.all_names]
            ),
        )
    return out


_BUILDERS = {
    "thread": thread_docs,
    "post": post_docs,
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
