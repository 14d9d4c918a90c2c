"""The country page with 10,000 and with 100,000 intelligence items in the database.

Data: the report's demo, 20,000 synthetic posts (discussions) and N synthetic items on
SQLite in a temp dir. Items are spread over countries like the report's Table 1
(`report_country_weights`): Japan, a busy market, is tagged on about 14 % of them;
Mongolia, a quiet one, on about 150 per 100,000. 8 % of the items are drafts, in review
or withdrawn. Each figure is a p50 through the whole app (in-process TestClient: routing,
session, queries, template), the two sizes measured in alternation.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.harness import Result, summary
from forum.app import create_app
from forum.config import Settings
from forum.db import make_engine, make_session_factory, transaction
from forum.demo.registry import SYNTHETIC, load_parts
from forum.demo.textgen import SkewedChoice, TextGenerator, report_country_weights
from forum.intelligence.models import INTEL_KINDS, IntelCountry, IntelItem, intel_sector
from forum.migrate import upgrade
from forum.taxonomy.models import Sector

SIZES = (10_000, 100_000)
REPEAT = 200
BATCH = 5_000
POSTS = 20_000
GOAL_MS = 30.0
GOAL_RATIO = 1.3
# status -> share; kind -> weight (news and calls dominate harvested feeds).
STATUS_SHARES = {"published": 0.92, "review": 0.04, "draft": 0.02, "withdrawn": 0.02}
KIND_WEIGHTS = {"news": 5.0, "funding_call": 2.0, "tender": 2.0, "report": 1.0,
                "market_study": 1.0, "event_report": 0.5, "regulation": 1.0}  # fmt: skip
SOURCES = ("Example Trade Agency", "Example Funding Portal", "Example Tenders Daily",
           "Example Market Observatory", None)  # fmt: skip
CASES = {"busy market (JP)": "/countries/JP", "quiet market (MN)": "/countries/MN"}
# Measured for information: the index counts every country with one GROUP BY per domain.
INDEX = "/countries"


def synthetic_items(db: Session, count: int, *, seed: int = 7) -> Iterator[int]:
    """`count` items written with Core inserts in batches; yields the running total.

    Titles and summaries are synthetic words; every item says in its source note that
    it is synthetic. Added dates spread over two years, 1-3 countries each, 5 % global.
    """
    rng = random.Random(seed)
    text = TextGenerator(seed=seed)
    countries = SkewedChoice(report_country_weights(), seed=seed)
    sector_ids = list(db.scalars(select(Sector.id)))
    first = int(db.scalar(select(func.coalesce(func.max(IntelItem.id), 0))) or 0) + 1
    now = dt.datetime.now(dt.UTC)
    statuses = list(STATUS_SHARES)
    kinds = [k for k in INTEL_KINDS if k in KIND_WEIGHTS]
    items: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    sectors: list[dict[str, Any]] = []

    def flush() -> None:
        db.execute(insert(IntelItem), items)
        db.execute(insert(IntelCountry), tags)
        if sectors:
            db.execute(insert(intel_sector), sectors)
        items.clear()
        tags.clear()
        sectors.clear()

    for n in range(count):
        item_id = first + n
        added = now - dt.timedelta(seconds=rng.randrange(2 * 365 * 86_400))
        kind = rng.choices(kinds, weights=[KIND_WEIGHTS[k] for k in kinds])[0]
        deadline = None
        if kind in ("funding_call", "tender"):
            deadline = added + dt.timedelta(days=rng.randrange(7, 120))
        summary_text = text.sentence(12, 30)
        items.append({
            "id": item_id, "title": text.title(5, 11), "summary": summary_text,
            "body": "", "body_html": "", "kind": kind, "source_name": rng.choice(SOURCES),
            "url": f"https://example.invalid/items/{item_id}",
            "canonical_url": f"https://example.invalid/items/{item_id}",
            "also_from": [], "language": "en",
            "published_at": added - dt.timedelta(hours=rng.randrange(0, 72))
            if rng.random() < 0.9 else None,
            "added_at": added, "updated_at": added, "deadline": deadline,
            "is_global": rng.random() < 0.05,
            "status": rng.choices(statuses, weights=list(STATUS_SHARES.values()))[0],
            "source_note": "Synthetic item generated for benchmarks.",
        })  # fmt: skip
        tags.extend({"item_id": item_id, "country_code": c} for c in countries.pick(1, 3))
        if sector_ids:
            for sector_id in rng.sample(sector_ids, rng.randint(1, 2)):
                sectors.append({"item_id": item_id, "sector_id": sector_id})
        if len(items) == BATCH:
            flush()
            yield n + 1
    if items:
        flush()
    yield count


def build(tmp: Path, size: int, console: Console) -> tuple[Settings, Engine]:
    settings = Settings(data_dir=tmp, secret_key="bench", embedded_worker=False)
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    factory: sessionmaker[Session] = make_session_factory(engine)
    for part in load_parts():
        with transaction(factory) as session:
            part.load(session, settings)
    with transaction(factory) as session:
        for _ in SYNTHETIC["posts"].produce(session, POSTS, 1):
            pass
    with transaction(factory) as session:
        for _ in synthetic_items(session, size):
            pass
    with transaction(factory) as session:
        tagged = dict(
            session.execute(
                select(IntelCountry.country_code, func.count())
                .where(IntelCountry.country_code.in_(["JP", "MN"]))
                .group_by(IntelCountry.country_code)
            ).all()
        )
    console.print(
        f"{size:,} items: JP tagged on {tagged.get('JP', 0):,}, MN on {tagged.get('MN', 0):,}"
    )
    return settings, engine


def measure(console: Console) -> dict[int, dict[str, dict[str, float]]]:
    """Both databases side by side, their requests interleaved: whatever else the machine
    does at the time weighs on both sizes alike, so their ratio stays meaningful."""
    with ExitStack() as stack:
        clients = {}
        for size in SIZES:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            settings, engine = build(Path(tmp), size, console)
            stack.callback(engine.dispose)
            app = create_app(settings, engine=engine)
            clients[size] = stack.enter_context(TestClient(app))
        samples: dict[tuple[int, str], list[float]] = {}
        for label, repeat in [*((label, REPEAT) for label in CASES), (INDEX, REPEAT // 4)]:
            url = CASES.get(label, label)
            for size, client in clients.items():
                assert client.get(url).status_code == 200, (size, url)
                for _ in range(10):
                    client.get(url)
                samples[size, label] = []
            for _ in range(repeat):
                for size, client in clients.items():
                    start = time.perf_counter()
                    client.get(url)
                    samples[size, label].append((time.perf_counter() - start) * 1000)
        out: dict[int, dict[str, dict[str, float]]] = {size: {} for size in SIZES}
        for (size, label), values in samples.items():
            out[size][label] = summary(values)
            console.print(
                f"{size:,} items, {label}: p50 {out[size][label]['p50']:.2f} ms, "
                f"p95 {out[size][label]['p95']:.2f} ms"
            )
        return out


def run(console: Console) -> list[Result]:
    measured = measure(console)
    small, large = SIZES
    results = []
    for label in CASES:
        for size in SIZES:
            stats = measured[size][label]
            results.append(
                Result(
                    "country page",
                    f"{label}, {size:,} items, p50",
                    stats["p50"],
                    "ms",
                    goal=f"<= {GOAL_MS:.0f} ms" if size == large else "",
                    note=f"p95 {stats['p95']:.2f} ms; SQLite; in-process client; "
                    f"{POSTS:,} synthetic posts",
                )
            )
        ratio = measured[large][label]["p50"] / measured[small][label]["p50"]
        results.append(
            Result(
                "country page",
                f"{label}, p50 at {large:,} / at {small:,}",
                ratio,
                "x",
                goal=f"<= {GOAL_RATIO}",
            )
        )
    for size in SIZES:
        stats = measured[size][INDEX]
        results.append(
            Result(
                "country page",
                f"countries index {INDEX}, {size:,} items, p50",
                stats["p50"],
                "ms",
                note=f"p95 {stats['p95']:.2f} ms; every country with its counts",
            )
        )
    return results
