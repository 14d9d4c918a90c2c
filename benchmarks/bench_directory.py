"""The partnership directory through the app, beside a bare FastAPI route as baseline.

Data: the report's demo plus 2,000 synthetic partnerships, on SQLite in a temp dir.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console

from benchmarks.demo_data import demo_database
from benchmarks.harness import Result, summary, time_calls
from forum.app import create_app

REPEAT = 300


def run(console: Console) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        settings, engine, _ = demo_database(Path(tmp), synthetic="partnerships", count=2000)
        app = create_app(settings, engine=engine)
        bare = FastAPI()

        @bare.get("/hello")
        def hello() -> dict[str, str]:
            return {"hello": "world"}

        results = []
        with TestClient(app) as client, TestClient(bare) as bare_client:
            baseline = summary(time_calls(lambda: bare_client.get("/hello"), repeat=REPEAT))
            cases = {
                "API list ?country=US": "/api/v1/partnerships?country=US&limit=20",
                "API list g:asean": "/api/v1/partnerships?country=g:asean&limit=20",
                "HTML directory page": "/partnerships?country=US",
                "HTML country page JP": "/countries/JP",
            }
            for label, url in cases.items():
                assert client.get(url).status_code == 200, url
                stats = summary(time_calls(lambda url=url: client.get(url), repeat=REPEAT))
                console.print(f"{label}: p50 {stats['p50']:.2f} ms, p95 {stats['p95']:.2f} ms")
                results.append(
                    Result(
                        "directory",
                        f"{label} p50",
                        stats["p50"],
                        "ms",
                        note=f"p95 {stats['p95']:.2f} ms; bare FastAPI p50 "
                        f"{baseline['p50']:.2f} ms (in-process TestClient, 2,021 partnerships)",
                    )
                )
        engine.dispose()
        return results
