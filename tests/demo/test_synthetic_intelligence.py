"""`forum demo --synthetic N`: a tenth of it is published, tagged intelligence items."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.demo.registry import SYNTHETIC, split_synthetic
from forum.discovery.documents import build_documents
from forum.intelligence.models import INTEL_KINDS, IntelItem
from forum.plugins import demo_parts


def test_a_million_synthetic_documents_are_one_tenth_intelligence() -> None:
    counts = split_synthetic(1_000_000)
    assert 99_000 <= counts["intel"] <= 100_000
    assert 899_000 <= counts["posts"] <= 900_000


def test_synthetic_items_are_published_tagged_and_searchable(db: Session, sectors: None) -> None:
    demo_parts()
    progress = list(SYNTHETIC["intel"].produce(db, 1200, 5))
    assert progress[-1] == 1200
    items = list(db.scalars(select(IntelItem).order_by(IntelItem.id)))
    assert len(items) == 1200
    now = utcnow()
    for item in items:
        assert item.status == "published"
        assert item.kind in INTEL_KINDS
        assert 1 <= len(item.country_codes) <= 3
        assert 1 <= len(item.sectors) <= 2
        assert item.title and item.summary and item.body_html
        assert "Synthetic" in (item.source_note or "")
        assert item.published_at is not None
        assert now - dt.timedelta(days=3660) < item.published_at <= now
        assert (item.deadline is not None) == (item.kind in ("funding_call", "tender"))
    # Skewed like the report's Table 1: the United States is the commonest country.
    countries = Counter(code for item in items for code in item.country_codes)
    assert countries.most_common(1)[0][0] == "US"
    assert len({item.kind for item in items}) == len(INTEL_KINDS)
    docs = build_documents(db, [f"intel:{item.id}" for item in items[:50]])
    assert all(doc is not None for doc in docs.values()), "published items are searchable"


def test_synthetic_items_are_the_same_for_the_same_seed(db: Session, sectors: None) -> None:
    demo_parts()
    list(SYNTHETIC["intel"].produce(db, 300, 9))
    list(SYNTHETIC["intel"].produce(db, 300, 9))
    titles = list(db.scalars(select(IntelItem.title).order_by(IntelItem.id)))
    assert titles[:300] == titles[300:]
    assert len(set(titles[:300])) > 250
