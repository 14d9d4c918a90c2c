"""The committed benchmark query set is what its generator makes, and fit for purpose."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from search.text import split_text, typo_budget

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "benchmarks" / "data" / "search_queries.json"


def test_the_committed_query_file_is_reproducible_from_its_generator() -> None:
    check = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_search_engine", "--check-queries"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_query_set_has_300_queries_in_six_classes() -> None:
    data = json.loads(QUERIES.read_text())
    queries = data["queries"]
    classes = Counter(q["class"] for q in queries)
    assert len(queries) >= 300
    assert set(classes) == {"plain", "1-typo", "2-typo", "prefix", "filtered", "broad"}
    assert min(classes.values()) >= 50
    for query in queries:
        split = split_text(query["text"])
        if query["class"] in ("1-typo", "2-typo"):
            typo = split.chunks[-1].text
            assert typo_budget(typo) == int(query["class"][0]), query
            assert not split.last_is_prefix
        if query["class"] == "prefix":
            assert split.last_is_prefix and len(split.chunks[-1].text) <= 4
        if query["class"] == "filtered":
            assert query.get("countries") or query.get("sectors")
