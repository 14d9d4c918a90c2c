"""The country page with 10,000 and with 100,000 intelligence items in the database.

Data: the report's demo, 20,000 synthetic posts (discussions) and N synthetic items on
SQLite in a temp dir. Items are spread over countries like the report's Table 1
(`report_country_weights`): Japan, a busy market, is tagged on about 14 % of them;
Mongolia, a quiet one, on about 150 per 100,000. 8 % of the items are drafts, in review
or withdrawn. Each figure is a p50 through the whole app (in-process TestClient: routing,
session, queries, template), the two sizes measured in alternation.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.harness import Result, summary
from forum.app import create_app
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction
from forum.demo.registry import SYNTHETIC
from forum.demo.synthetic_intelligence import insert_intel_items
from forum.intelligence.models import IntelCountry
from forum.migrate import upgrade
from forum.plugins import demo_parts

SIZES = (10_000, 100_000)
REPEAT = 200
POSTS = 20_000
GOAL_MS = 30.0
GOAL_RATIO = 1.3
# status -> share; the items themselves come from forum demo's synthetic producer.
STATUS_SHARES = {"published": 0.92, "review": 0.04, "draft": 0.02, "withdrawn": 0.02}
ITEM_SEED = 7
CASES = {"busy market (JP)": "/countries/JP", "quiet market (MN)": "/countries/MN"}
# Measured for information: the index counts every country with one GROUP BY per domain.
INDEX = "/countries"


def build(tmp: Path, size: int, console: Console) -> tuple[Settings, Engine]:
    settings = Settings(data_dir=tmp, secret_key="bench", embedded_worker=False)
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    factory: sessionmaker[Session] = make_session_factory(engine)
    for part in demo_parts():
        with transaction(factory) as session:
            part.load(session, settings)
    with transaction(factory) as session:
        for _ in SYNTHETIC["posts"].produce(session, POSTS, 1):
            pass
    with transaction(factory) as session:
        # Two years of items, no bodies: what the country page lists (title, summary).
        for _ in insert_intel_items(
            session, size, seed=ITEM_SEED, statuses=STATUS_SHARES, years=2, bodies=False
        ):
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
