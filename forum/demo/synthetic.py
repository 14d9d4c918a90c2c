"""Synthetic data at scale for benchmarks (`forum demo --synthetic N`).

Text comes from a Zipf vocabulary (textgen), countries are skewed like the
report's Table 1. Each domain adds its producer here; the shares set the mix.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.demo.registry import synthetic_producer
from forum.demo.textgen import SkewedChoice, TextGenerator, report_country_weights
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector

BATCH = 500
SYNTHETIC_PREFIX = "syn-"


@synthetic_producer("partnerships", share=0.001)
def produce_partnerships(session: Session, count: int, seed: int) -> Iterator[int]:
    """Synthetic partnerships, slugs prefixed `syn-`, each with 1-3 sectors and 1-8 targets."""
    text = TextGenerator(seed=seed)
    countries = SkewedChoice(report_country_weights(), seed=seed)
    sectors = list(session.scalars(select(Sector)))
    sector_pick = SkewedChoice({s.slug: 1.0 for s in sectors}, seed=seed + 1)
    by_slug = {s.slug: s for s in sectors}
    start = (
        session.scalar(select(func.count()).where(Partnership.slug.startswith(SYNTHETIC_PREFIX)))
        or 0
    )
    for i in range(count):
        number = start + i + 1
        p = Partnership(
            slug=f"{SYNTHETIC_PREFIX}{number}",
            name=f"{text.title(2, 4)} {number}",
            strand=1 + number % 2,
            description=text.paragraph(),
            source_note="Synthetic data generated for benchmarks (forum demo --synthetic).",
        )
        p.sectors = [by_slug[s] for s in sector_pick.pick(1, 3)] if sectors else []
        p.set_countries(countries.pick(1, 8))
        session.add(p)
        if (i + 1) % BATCH == 0:
            session.flush()
            yield i + 1
    session.flush()
    yield count
