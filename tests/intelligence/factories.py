"""Intelligence items for tests, written through the service as the pages and the API write them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.intelligence import writes
from forum.intelligence.models import IntelItem
from forum.taxonomy.service import resolve_sectors


def make(db: Session, author: User, title: str, **change: Any) -> IntelItem:
    """An item by `author` (published, news, JP, food unless `change` says otherwise),
    flushed; `change` sets any other field of the input, or `status` and `added_at`."""
    status = change.pop("status", "published")
    data = writes.ItemInput(
        title=title,
        kind=change.pop("kind", "news"),
        countries=change.pop("countries", ["JP"]),
        sectors=resolve_sectors(db, change.pop("sectors", ["food"])),
    )
    added_at = change.pop("added_at", None)
    for key, value in change.items():
        setattr(data, key, value)
    item = writes.create_item(db, author, data, status=status, added_at=added_at)
    db.flush()
    return item
