"""Writing to the search outbox: every content change, in the content's own transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.discovery.models import SearchOutbox


def queue_document(db: Session, doc_id: str, op: str = "upsert") -> None:
    """Record that search document `doc_id` ("thread:12") must be upserted or deleted."""
    if op not in ("upsert", "delete"):
        raise ValueError(f"unknown outbox operation {op!r}")
    db.add(SearchOutbox(doc_id=doc_id, op=op))
