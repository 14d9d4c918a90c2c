"""Raw search-engine latency: the embedded engine alone, no forum, no HTTP.

Corpus: 100,000 synthetic documents (FORUM_BENCH_SEARCH_DOCS changes it) written by
forum/demo/textgen.py's Zipf generator: one intel item for nine posts, countries
skewed like the 2019 report's Table 1, the report's sectors, dates over ten years,
one document in ten for members only. Queries: the committed
benchmarks/data/search_queries.json, >= 300 in six classes (plain, 1-typo, 2-typo,
prefix, filtered, broad), generated from the same vocabulary by `make_queries()`:

    python -m benchmarks.bench_search_engine --write-queries   # regenerate the file
    python -m benchmarks.bench_search_engine --check-queries   # exit 1 if it differs

Every search asks for page 1 of 10 with facet counts and snippets, as a member
would (public and members-only documents). Reported: p50/p95/p99 per class, index
time and size, and the share of documents the broad queries match.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.harness import Result, percentile
from forum.demo.textgen import (
    DOMAIN_WORDS,
    FUNCTION_WORDS,
    SkewedChoice,
    TextGenerator,
    report_country_weights,
)
from forum.intelligence.models import INTEL_KINDS
from forum.taxonomy.service import REPORT_SECTORS
from search.embedded import EmbeddedEngine
from search.engine import SearchDoc, SearchQuery
from search.text import typo_budget

QUERIES_FILE = Path(__file__).resolve().parent / "data" / "search_queries.json"
CORPUS_SEED = 11
QUERY_SEED = 2019
PER_CLASS = 60
CLASSES = ("plain", "1-typo", "2-typo", "prefix", "filtered", "broad")
REPEAT = 3  # passes over the query set, after one untimed warm-up pass
BATCH = 10_000
VISIBILITIES = ("public", "members")
START = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = 10 * 365 * 24 * 3600


def synthetic_docs(count: int, seed: int = CORPUS_SEED) -> Iterator[SearchDoc]:
    """`count` documents, the same ones for the same seed."""
    text = TextGenerator(seed=seed)
    countries = SkewedChoice(report_country_weights(), seed=seed)
    sectors = SkewedChoice({slug: 1.0 for slug, _, _ in REPORT_SECTORS}, seed=seed + 1)
    rng = random.Random(seed)
    for number in range(1, count + 1):
        kind = "intel" if number % 10 == 0 else "post"
        yield SearchDoc(
            id=f"{kind}:{number}",
            kind=kind,
            subkind=rng.choice(INTEL_KINDS) if kind == "intel" else None,
            title=text.title(),
            body=text.markdown_body(),
            url=f"/{kind}/{number}",
            created_at=START + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS)),
            countries=tuple(countries.pick(0, 3)),
            sectors=tuple(sectors.pick(0, 2)),
            category="market-intelligence" if kind == "intel" else "discussions",
            visibility="members" if rng.random() < 0.1 else "public",
            # The generator's vocabulary is English, as the synthetic forum's posts say.
            language="en",
        )


# -- the query set ---------------------------------------------------------------------


def _edit(word: str, rng: random.Random, edits: int) -> str | None:
    """`word` with `edits` typos away from its first letter (Meilisearch counts a typo on
    the first letter twice), keeping its length so the typo budget stays the same."""
    letters = list(word)
    positions = rng.sample(range(1, len(word)), k=edits)
    for position in positions:
        if rng.random() < 0.3 and position + 1 < len(letters):
            letters[position], letters[position + 1] = letters[position + 1], letters[position]
        else:
            letters[position] = rng.choice([c for c in "aeioustrnlm" if c != letters[position]])
    typo = "".join(letters)
    return typo if typo != word else None


def make_queries(seed: int = QUERY_SEED) -> dict[str, Any]:
    """The benchmark's query set, from the corpus vocabulary; the same for the same seed."""
    rng = random.Random(seed)
    vocabulary = TextGenerator(seed=CORPUS_SEED).vocabulary
    known = set(vocabulary)
    # Ranks 0-39 are the commonest function words; real words run to `head`, then the
    # generated long tail. Queries mostly use real words, some the tail.
    head = len(dict.fromkeys([*FUNCTION_WORDS, *DOMAIN_WORDS]))
    real = [w for w in vocabulary[40:head] if w.isalpha()]
    tail = list(vocabulary[head:20000])

    def word(low: int = 1, high: int = 99, real_share: float = 0.7) -> str:
        pool = real if rng.random() < real_share else tail
        return rng.choice([w for w in pool if low <= len(w) <= high])

    country_weights = report_country_weights()
    countries = sorted(country_weights, key=lambda c: -country_weights[c])[:25]
    sector_slugs = [slug for slug, _, _ in REPORT_SECTORS]
    queries: list[dict[str, Any]] = []

    def add(kind: str, text: str, **filters: list[str]) -> None:
        queries.append({"class": kind, "text": text, **filters})

    while sum(q["class"] == "plain" for q in queries) < PER_CLASS:
        add("plain", " ".join(word() for _ in range(rng.choice((1, 2, 2, 3)))))
    while sum(q["class"] == "1-typo" for q in queries) < PER_CLASS:
        typo = _edit(word(5, 8, real_share=0.5), rng, 1)
        if typo and typo not in known and typo_budget(typo) == 1:
            lead = [word()] if rng.random() < 0.3 else []
            add("1-typo", " ".join([*lead, typo]) + " ")
    while sum(q["class"] == "2-typo" for q in queries) < PER_CLASS:
        typo = _edit(word(10, real_share=0.5), rng, 2)
        if typo and typo not in known and typo_budget(typo) == 2:
            add("2-typo", typo + " ")
    while sum(q["class"] == "prefix" for q in queries) < PER_CLASS:
        lead = [word()] if rng.random() < 0.5 else []
        add("prefix", " ".join([*lead, word(5, real_share=1.0)[: rng.randint(2, 4)]]))
    while sum(q["class"] == "filtered" for q in queries) < PER_CLASS:
        text = " ".join(word() for _ in range(rng.choice((1, 1, 2))))
        filters: dict[str, list[str]] = {}
        if rng.random() < 0.8:
            filters["countries"] = rng.sample(countries, k=rng.choice((1, 1, 2, 3)))
        if rng.random() < 0.5 or not filters:
            filters["sectors"] = [rng.choice(sector_slugs)]
        if rng.random() < 0.3:
            filters["kinds"] = ["intel"]
        add("filtered", text + " ", **filters)
    commonest = list(vocabulary[:12])
    while sum(q["class"] == "broad" for q in queries) < PER_CLASS:
        add("broad", " ".join(rng.sample(commonest, k=rng.choice((1, 1, 2)))) + " ")
    return {
        "generator": "python -m benchmarks.bench_search_engine --write-queries",
        "corpus_seed": CORPUS_SEED,
        "query_seed": seed,
        "classes": list(CLASSES),
        "queries": queries,
    }


def _serialised(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def load_queries() -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(QUERIES_FILE.read_text())["queries"]
    return queries


def _search_query(entry: dict[str, Any]) -> SearchQuery:
    return SearchQuery(
        text=entry["text"],
        countries=tuple(entry.get("countries", ())),
        sectors=tuple(entry.get("sectors", ())),
        kinds=tuple(entry.get("kinds", ())),
        visibilities=VISIBILITIES,
    )


# -- the run ---------------------------------------------------------------------------


def run(console: Console) -> list[Result]:
    count = int(os.environ.get("FORUM_BENCH_SEARCH_DOCS", "100000"))
    queries = load_queries()
    with tempfile.TemporaryDirectory() as tmp:
        engine = EmbeddedEngine(Path(tmp) / "search")
        engine.ensure_index()
        # A full reindex, as `forum search reindex` does it: a rebuild target filled in
        # batches, committed and switched to at the end.
        started = time.perf_counter()
        generating = 0.0
        target = engine.start_rebuild()
        docs = synthetic_docs(count)
        while True:
            made = time.perf_counter()
            batch = [doc for _, doc in zip(range(BATCH), docs, strict=False)]
            generating += time.perf_counter() - made
            if not batch:
                break
            target.upsert(batch)
        engine.finish_rebuild(target)
        index_seconds = time.perf_counter() - started - generating
        engine.close()
        reader = EmbeddedEngine(Path(tmp) / "search")
        stats = reader.stats()
        size_mb = int(stats["size_bytes"]) / 2**20  # type: ignore[call-overload]
        console.print(
            f"{count:,} documents: indexing {index_seconds:.1f} s (+{generating:.1f} s "
            f"generating text), {size_mb:.0f} MiB, {stats['segments']} segments"
        )
        prepared = [(q["class"], _search_query(q)) for q in queries]
        for _, query in prepared:  # warm-up
            reader.search(query)
        samples: dict[str, list[float]] = {name: [] for name in CLASSES}
        cpu: dict[str, list[float]] = {name: [] for name in CLASSES}
        totals: dict[str, list[int]] = {name: [] for name in CLASSES}
        load_before = os.getloadavg()[0]
        for _ in range(REPEAT):
            for name, query in prepared:
                begin, begin_cpu = time.perf_counter(), time.process_time()
                results = reader.search(query)
                samples[name].append((time.perf_counter() - begin) * 1000)
                cpu[name].append((time.process_time() - begin_cpu) * 1000)
                totals[name].append(results.total)
        # Other processes share the cores: the load and CPU time put wall times in context.
        load = f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
        results_out = [
            Result("search engine", "index time", index_seconds, "s",
                   note=f"{count:,} synthetic docs; rebuild: one writer thread, batches of {BATCH:,}, one commit"),
            Result("search engine", "index size", size_mb, "MiB",
                   note=f"segments after merges: {stats['segments']}; bodies stored"),
        ]  # fmt: skip
        results_out[0].note += f"; {load} during the searches"
        broad_share = min(totals["broad"]) / count
        for name in CLASSES:
            values = samples[name]
            p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
            hits = sorted(totals[name])
            note = (
                f"p95 {p95:.2f} ms, p99 {p99:.2f} ms; CPU p50 {percentile(cpu[name], 50):.2f} ms; "
                f"{len(values) // REPEAT} queries x {REPEAT}; median total {hits[len(hits) // 2]:,}"
            )
            if name == "broad":
                note += f"; smallest match {broad_share:.0%} of docs"
            console.print(f"{name}: p50 {p50:.2f} ms, {note}")
            results_out.append(Result("search engine", f"{name} p50", p50, "ms", note=note))
            results_out.append(Result("search engine", f"{name} p99", p99, "ms"))
        reader.close()
        return results_out


def main(argv: list[str]) -> int:
    if argv == ["--write-queries"]:
        QUERIES_FILE.parent.mkdir(parents=True, exist_ok=True)
        QUERIES_FILE.write_text(_serialised(make_queries()))
        print(f"wrote {QUERIES_FILE}")
        return 0
    if argv == ["--check-queries"]:
        if QUERIES_FILE.read_text() != _serialised(make_queries()):
            print(f"{QUERIES_FILE} differs from make_queries(): regenerate it with --write-queries")
            return 1
        print(f"{QUERIES_FILE} is up to date")
        return 0
    print("usage: python -m benchmarks.bench_search_engine --write-queries | --check-queries")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
