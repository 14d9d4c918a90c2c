"""Writing to the search outbox: every content change, in the content's own transaction.

Each process also learns at once when a transaction that queued documents commits
(a session event), so its drainer runs straight away instead of at its next poll.
"""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.discovery.models import SearchOutbox

_QUEUED = "forum.search_queued"
# Set when a transaction of this process committed outbox rows; the drainer waits on it.
committed = threading.Event()


def queue_document(db: Session, doc_id: str, op: str = "upsert") -> None:
    """Record that search document `doc_id` ("thread:12") must be upserted or deleted."""
    if op not in ("upsert", "delete"):
        raise ValueError(f"unknown outbox operation {op!r}")
    db.add(SearchOutbox(doc_id=doc_id, op=op))
    db.info[_QUEUED] = True


@event.listens_for(Session, "after_commit")
def _wake_drainer(session: Session) -> None:
    if session.info.pop(_QUEUED, False):
        committed.set()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_QUEUED, None)
