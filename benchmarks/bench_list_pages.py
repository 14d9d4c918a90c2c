"""The filtered list pages (issue 20's facets, chips and "show all"), with 10,000
intelligence items: the intelligence list unfiltered and by country and sector, and the
events list, each a p50 through the whole app (in-process TestClient: routing, session,
queries, template) on the country page benchmark's database (the report's demo, 20,000
synthetic posts, items spread over countries like the report's Table 1).

Run it on two commits back to back to compare them: the file only needs
`bench_country_page.build`, which both sides have.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console

from benchmarks.bench_country_page import build
from benchmarks.harness import Result, summary
from forum.app import create_app

ITEMS = 10_000
REPEAT = 100
WARMUP = 10
CASES = {
    "intelligence list": "/intel",
    "intelligence list, Japan": "/intel?country=JP",
    "intelligence list, Japan and food": "/intel?country=JP&sector=food",
    "events list": "/events",
    "events list, Japan": "/events?country=JP",
}


def measure(console: Console) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings, engine = build(Path(tmp), ITEMS, console)
        try:
            with TestClient(create_app(settings, engine=engine)) as client:
                samples: dict[str, list[float]] = {label: [] for label in CASES}
                for url in CASES.values():
                    assert client.get(url).status_code == 200, url
                    for _ in range(WARMUP):
                        client.get(url)
                # Interleaved: the machine's other work weighs on every page alike.
                for _ in range(REPEAT):
                    for label, url in CASES.items():
                        start = time.perf_counter()
                        client.get(url)
                        samples[label].append((time.perf_counter() - start) * 1000)
        finally:
            engine.dispose()
    out = {label: summary(values) for label, values in samples.items()}
    for label, stats in out.items():
        console.print(f"{label}: p50 {stats['p50']:.2f} ms, p95 {stats['p95']:.2f} ms")
    return out


def run(console: Console) -> list[Result]:
    return [
        Result(
            "list pages",
            f"{label} ({CASES[label]}), {ITEMS:,} items, p50",
            stats["p50"],
            "ms",
            note=f"p95 {stats['p95']:.2f} ms; SQLite; in-process client",
        )
        for label, stats in measure(console).items()
    ]
