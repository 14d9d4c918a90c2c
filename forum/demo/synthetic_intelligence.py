"""Synthetic intelligence items for benchmarks: `forum demo --synthetic N` makes a tenth.

Rows are written with bulk Core inserts and ids chosen here (as the synthetic posts
are), so 100,000 items take well under a minute plus their text. Deterministic for a
seed. Items are published, tagged with 1-3 countries skewed like the report's Table 1
and 1-2 of the report's sectors, of the kinds in INTEL_KINDS (news and calls the
commonest, as in harvested feeds), published over the last ten years; funding calls and
tenders have deadlines. Every item's source note says it is synthetic.

The text uses the same Zipf vocabulary as the synthetic posts (TextGenerator's
vocabulary for `seed + 11`), drawn from a random stream of its own: one corpus, one
language, so the search benchmarks' committed queries find their words in both.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.core.text import render_markdown
from forum.demo.registry import synthetic_producer
from forum.demo.textgen import SkewedChoice, TextGenerator, report_country_weights
from forum.intelligence.models import INTEL_KINDS, IntelCountry, IntelItem, intel_sector
from forum.taxonomy.models import Sector

BATCH = 5_000
# The synthetic posts draw their words from TextGenerator(seed + 11): the same vocabulary.
VOCABULARY_SEED_OFFSET = 11
PUBLISHED: Mapping[str, float] = {"published": 1.0}
# kind -> weight: news and calls dominate harvested feeds.
KIND_WEIGHTS: Mapping[str, float] = {
    "news": 5.0,
    "funding_call": 2.0,
    "tender": 2.0,
    "report": 1.0,
    "market_study": 1.0,
    "event_report": 0.5,
    "regulation": 1.0,
}
WITH_DEADLINE = ("funding_call", "tender")
SOURCES = (
    "Example Trade Agency",
    "Example Funding Portal",
    "Example Tenders Daily",
    "Example Market Observatory",
    None,
)
SOURCE_NOTE = "Synthetic item generated for benchmarks (forum demo --synthetic)."


class _Text(TextGenerator):
    """A TextGenerator over the vocabulary of `vocabulary_seed`, drawing from its own stream."""

    def __init__(self, vocabulary_seed: int, stream: str) -> None:
        super().__init__(seed=vocabulary_seed)
        self._rng = random.Random(stream)


def insert_intel_items(
    db: Session,
    count: int,
    *,
    seed: int,
    statuses: Mapping[str, float] = PUBLISHED,
    years: float = 10.0,
    bodies: bool = True,
) -> Iterator[int]:
    """Insert `count` synthetic items in batches of BATCH; yields the running total.

    `statuses` maps status -> share (all published by default); added and published
    dates spread over the last `years` years; `bodies` adds a Markdown body of 1-3
    paragraphs (and its HTML) to the one-sentence summary.
    """
    rng = random.Random(seed + 23)
    words = _Text(seed + VOCABULARY_SEED_OFFSET, f"forum.demo.synthetic_intelligence:{seed}")
    countries = SkewedChoice(report_country_weights(), seed=seed + 21)
    sector_ids = {s.slug: s.id for s in db.scalars(select(Sector))}
    sector_pick = (
        SkewedChoice({slug: 1.0 for slug in sector_ids}, seed=seed + 22) if sector_ids else None
    )
    first = int(db.scalar(select(func.coalesce(func.max(IntelItem.id), 0))) or 0) + 1
    now = utcnow()
    span = int(years * 365 * 86_400)
    status_names, status_weights = list(statuses), list(statuses.values())
    kinds = [k for k in INTEL_KINDS if k in KIND_WEIGHTS]
    kind_weights = [KIND_WEIGHTS[k] for k in kinds]
    items: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    sectors: list[dict[str, Any]] = []

    def flush() -> None:
        if items:
            db.execute(insert(IntelItem), items)
            db.execute(insert(IntelCountry), tags)
        if sectors:
            db.execute(insert(intel_sector), sectors)
        for rows in (items, tags, sectors):
            rows.clear()

    for n in range(count):
        item_id = first + n
        added = now - dt.timedelta(seconds=rng.randrange(span))
        kind = rng.choices(kinds, weights=kind_weights)[0]
        deadline = None
        if kind in WITH_DEADLINE:
            deadline = added + dt.timedelta(days=rng.randrange(7, 120))
        body = words.markdown_body((1, 3)) if bodies else ""
        items.append({
            "id": item_id, "title": words.title(5, 11), "summary": words.sentence(12, 30),
            "body": body, "body_html": render_markdown(body) if body else "",
            "kind": kind, "source_name": rng.choice(SOURCES),
            "url": f"https://example.invalid/items/{item_id}",
            "canonical_url": f"https://example.invalid/items/{item_id}",
            "also_from": [], "language": "en",
            "published_at": added - dt.timedelta(hours=rng.randrange(0, 72)),
            "added_at": added, "updated_at": added, "deadline": deadline,
            "is_global": rng.random() < 0.05,
            "status": rng.choices(status_names, weights=status_weights)[0],
            "source_note": SOURCE_NOTE,
        })  # fmt: skip
        # At most 3 countries and 2 sectors: only global items are broad (models.is_specific).
        items[-1]["specific"] = not items[-1]["is_global"]
        tags.extend({"item_id": item_id, "country_code": c} for c in countries.pick(1, 3))
        if sector_pick is not None:
            sectors.extend(
                {"item_id": item_id, "sector_id": sector_ids[slug]}
                for slug in sector_pick.pick(1, 2)
            )
        if len(items) == BATCH:
            flush()
            yield n + 1
    flush()
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('intel_item', 'id'), "
                "(SELECT max(id) FROM intel_item))"
            )
        )
    yield count


@synthetic_producer("intel", share=0.1)
def produce_intel(db: Session, count: int, seed: int) -> Iterator[int]:
    """`count` published, tagged synthetic items with bodies, over the last ten years."""
    yield from insert_intel_items(db, count, seed=seed)
