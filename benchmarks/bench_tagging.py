"""Items tagged per second: today's tagger beside the one before issue 27 (frozen in
`benchmarks/old_tagger`), on the labelled published items (tests/intelligence/data/
published), each in its language, in the same run."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.harness import Result
from benchmarks.old_tagger import tagging as old_tagging
from forum.intelligence import tagging

DATA = Path(__file__).resolve().parent.parent / "tests" / "intelligence" / "data" / "published"
ROUNDS = 5


def _items() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(DATA.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def _rate(rows: list[dict[str, Any]], tag_one: Callable[[dict[str, Any]], object]) -> float:
    tag_one(rows[0])  # build the matchers first: a process does that once
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for row in rows:
            tag_one(row)
    return ROUNDS * len(rows) / (time.perf_counter() - start)


def run(console: Console) -> list[Result]:
    rows = _items()
    started = time.perf_counter()
    tagging.tag("warm-up", "", language="fr")
    build = time.perf_counter() - started
    new = _rate(rows, lambda r: tagging.tag(r["title"], r["text"], language=r["language"]))
    old = _rate(rows, lambda r: old_tagging.tag(r["title"], r["text"]))
    console.print(f"{len(rows)} items x {ROUNDS}: today {new:.0f}/s, before issue 27 {old:.0f}/s")
    note = f"{len(rows)} published items x {ROUNDS}, each in its language"
    return [
        Result("tagging", "items tagged per second (today)", new, "items/s", "", note),
        Result("tagging", "items tagged per second (before issue 27)", old, "items/s", "", note),
        Result("tagging", "first use in a process (matchers built)", build, "s", "", "fr"),
    ]
