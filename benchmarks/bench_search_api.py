"""The search API at 1,000,000 documents, over HTTP, beside the raw engine on the same index.

Data: `forum demo --synthetic N` (N = FORUM_BENCH_SEARCH_API_DOCS, default 1,000,000:
a tenth intelligence items, nine tenths posts in threads, a few partnerships) in a data
dir of its own, run as a subprocess; it ends with the full reindex whose time and index
size this benchmark reports. Set FORUM_BENCH_DATA_DIR to keep that data dir between
runs: a dir this benchmark prepared (it holds bench-build.json) is reused (migrated,
and reindexed with `forum search reindex` when the index schema changed since), an
empty or missing one is filled. The committed queries were drawn from the vocabulary the demo's
synthetic posts and items use (TextGenerator(seed + 11), seed 0): `check_vocabulary()`.

Then `forum serve` runs on a free loopback port (FORUM_EMBEDDED_WORKER=false: nothing
writes meanwhile) and every query of the committed benchmarks/data/search_queries.json
(360 in six classes) is sent to `GET /api/v1/search` as an anonymous visitor, one at a
time over one keep-alive httpx connection. The raw engine (an EmbeddedEngine on the
same index dir, in this process) answers the very SearchQuery the API builds
(`forum.discovery.service.build_query`, viewer None), timed in the same run, each API
request followed by the same query on the engine, so both see the same machine load.

Reported: p50/p95/p99 per class for the API and the engine, API p50 / engine p50 per
class and overall, the web process's CPU per request, the share of documents the broad
queries match, and the web process's resident memory (VmRSS) after the queries.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from benchmarks.bench_search_engine import CLASSES, QUERIES_FILE, load_queries
from benchmarks.harness import Result, percentile
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory
from forum.demo.registry import SYNTHETIC_VERSION
from forum.demo.synthetic_intelligence import VOCABULARY_SEED_OFFSET
from forum.discovery import service
from search.embedded import EmbeddedEngine
from search.engine import SearchIndexOutdated, SearchQuery

DOCS = int(os.environ.get("FORUM_BENCH_SEARCH_API_DOCS", "1000000"))
DATA_DIR_ENV = "FORUM_BENCH_DATA_DIR"
# Where a built data dir is kept for the next run when FORUM_BENCH_DATA_DIR is unset:
# under the forum's default data dir, keyed by size, seed and the generator's version.
CACHE_ROOT = Path(__file__).resolve().parent.parent / "var" / "bench"
NO_CACHE_ENV = "FORUM_BENCH_NO_CACHE"
BUILD_RECORD = "bench-build.json"
DEMO_LOG = "demo.log"
REINDEX_LOG = "reindex.log"
SEED = 0  # forum demo's default: the posts' words then come from the query set's vocabulary
SECRET = "bench-not-secret"
# Timed passes over the query set, after one untimed warm-up pass: as many as give each
# class MIN_SAMPLES samples (60 queries a class: 17 passes), so that p99 rests on them.
MIN_SAMPLES = int(os.environ.get("FORUM_BENCH_SEARCH_MIN_SAMPLES", "1000"))
# API p95 minus engine p95, per class (issue 26).
OVERHEAD_GOAL_MS = 3.0
P95_GOALS_MS = {"plain": 10.0, "1-typo": 10.0, "filtered": 10.0,
                "2-typo": 30.0, "prefix": 30.0, "broad": 30.0}  # fmt: skip
P99_GOAL_MS = 50.0
RSS_ANON_GOAL_MIB = 300  # issue 26: the web process's own memory, mapped index pages apart
RATIO_GOAL = 3.0
REBUILT = re.compile(
    r"search index rebuilt: (?P<docs>\d+) documents in (?P<seconds>[\d.]+) s"
    r"(?:, (?P<mb>[\d.]+) MB)?"
)
CLK_TCK = os.sysconf("SC_CLK_TCK")
# One query-string parameter, as httpx types it.
Param = tuple[str, str | int | float | bool | None]


# -- the data dir -----------------------------------------------------------------------


@dataclass
class Build:
    """What `forum demo --synthetic N` made: from its output and its wall time."""

    synthetic: int
    documents: int
    reindex_seconds: float
    index_mb: float  # as the CLI prints it: 10**6 bytes
    build_seconds: float | None
    indexed_by: str = "forum demo"  # or `forum search reindex`, after a schema change

    def save(self, data_dir: Path) -> None:
        (data_dir / BUILD_RECORD).write_text(json.dumps(self.__dict__, indent=1) + "\n")


def forum_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `forum` subprocess on `data_dir`: the embedded engine, SQLite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(FORUM_DATA_DIR=str(data_dir), FORUM_SECRET_KEY=SECRET, COLUMNS="120")
    env.update(extra)
    return env


def parse_demo_log(data_dir: Path, synthetic: int, build_seconds: float | None) -> Build:
    output = (data_dir / DEMO_LOG).read_text()
    found = REBUILT.search(output)
    if not found:
        raise RuntimeError(f"`forum demo` did not report a reindex; see {data_dir / DEMO_LOG}")
    return Build(
        synthetic=synthetic,
        documents=int(found["docs"]),
        reindex_seconds=float(found["seconds"]),
        index_mb=float(found["mb"] or "nan"),
        build_seconds=build_seconds,
    )


def build_data_dir(data_dir: Path, synthetic: int, console: Console) -> Build:
    """Run `forum demo --synthetic N` into `data_dir`, its output kept in demo.log."""
    data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"forum demo --synthetic {synthetic:,} into {data_dir} (minutes at 1M)")
    started = time.perf_counter()
    with (data_dir / DEMO_LOG).open("w") as log:
        subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "forum.cli", "demo", "--synthetic", str(synthetic),
             "--seed", str(SEED)],
            env=forum_env(data_dir), stdout=log, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    build = parse_demo_log(data_dir, synthetic, time.perf_counter() - started)
    build.save(data_dir)
    return build


def index_outdated(data_dir: Path) -> bool:
    """Whether the index predates the code's schema (the data dir is older than the code)."""
    engine = EmbeddedEngine(data_dir / "search")
    try:
        engine.stats()
    except SearchIndexOutdated:
        return True
    finally:
        engine.close()
    return False


def reindex_data_dir(data_dir: Path, build: Build, console: Console) -> Build:
    """`forum search reindex` on a reused data dir whose index an older schema built:
    the reindex time and size reported are then this rebuild's."""
    console.print(f"the index in {data_dir} has an older schema: forum search reindex")
    log_path = data_dir / REINDEX_LOG
    with log_path.open("w") as log:
        subprocess.run(
            [sys.executable, "-m", "forum.cli", "search", "reindex"],
            env=forum_env(data_dir), stdout=log, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    found = REBUILT.search(log_path.read_text())
    if not found:
        raise RuntimeError(f"`forum search reindex` did not report; see {log_path}")
    build.documents = int(found["docs"])
    build.reindex_seconds = float(found["seconds"])
    build.index_mb = float(found["mb"] or "nan")
    build.indexed_by = "forum search reindex"
    build.save(data_dir)
    return build


def cached_data_dir(synthetic: int) -> Path:
    """The data dir kept between runs for `synthetic` documents of this generator version."""
    return CACHE_ROOT / f"search-{synthetic}-seed{SEED}-gen{SYNTHETIC_VERSION}"


@contextlib.contextmanager
def prepared_data_dir(console: Console, synthetic: int = DOCS) -> Iterator[tuple[Path, Build]]:
    """A data dir holding the demo and `synthetic` synthetic documents, indexed.

    FORUM_BENCH_DATA_DIR names one to reuse (or to fill when it is empty); without it
    the one under var/bench/ for this size, seed and generator version
    (SYNTHETIC_VERSION) is reused or built, so that a quarter of an hour of `forum demo`
    at 1M is paid once. FORUM_BENCH_NO_CACHE=1 builds a temporary one instead,
    removed afterwards.
    """
    named = os.environ.get(DATA_DIR_ENV)
    if not named and not os.environ.get(NO_CACHE_ENV):
        cached = cached_data_dir(synthetic)
        if not (cached / BUILD_RECORD).exists():
            # Built beside it and renamed when complete: an interrupted build is redone.
            building = cached.with_name(cached.name + ".building")
            shutil.rmtree(building, ignore_errors=True)
            build_data_dir(building, synthetic, console)
            building.rename(cached)
        named = str(cached)
    if named:
        data_dir = Path(named).resolve()
        record = data_dir / BUILD_RECORD
        if record.exists():
            build = Build(**json.loads(record.read_text()))
            if build.synthetic != synthetic:
                raise RuntimeError(
                    f"{data_dir} holds {build.synthetic:,} synthetic documents, not "
                    f"{synthetic:,}: point {DATA_DIR_ENV} elsewhere or change "
                    "FORUM_BENCH_SEARCH_API_DOCS"
                )
            console.print(f"reusing {data_dir} ({build.documents:,} documents indexed)")
            # The code may have moved on since: its migrations, then its index schema.
            subprocess.run(
                [sys.executable, "-m", "forum.cli", "migrate"],
                env=forum_env(data_dir), stdout=subprocess.DEVNULL, check=True,
            )  # fmt: skip
            if index_outdated(data_dir):
                build = reindex_data_dir(data_dir, build, console)
        elif data_dir.exists() and any(data_dir.iterdir()):
            raise RuntimeError(f"{data_dir} is not empty and has no {BUILD_RECORD}")
        else:
            build = build_data_dir(data_dir, synthetic, console)
        yield data_dir, build
        return
    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        yield data_dir, build_data_dir(data_dir, synthetic, console)


# -- the web process --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def forum_serve(
    data_dir: Path, log_path: Path, *, embedded_worker: bool, timeout: float = 180.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`forum serve` on a free loopback port: yields its base URL and process."""
    port = free_port()
    env = forum_env(data_dir, FORUM_EMBEDDED_WORKER=str(embedded_worker).lower())
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "forum.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"forum serve exited; see {log_path}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base + "/healthz", timeout=30).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"forum serve did not answer in {timeout:.0f} s")
                time.sleep(0.2)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM (peak), RssAnon (the process's own memory) and RssFile (mapped files)
    of process `pid`, and `index` (the resident pages of mapped files under a search/
    directory: the index), MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[name] = int(value.split()[0]) / 1024
    index_kib, in_index = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        first = line.split(None, 6)
        if first and "-" in first[0] and len(first) >= 5 and ":" in first[3]:  # a mapping
            in_index = len(first) == 6 and "/search/" in first[5]
        elif in_index and line.startswith("Rss:"):
            index_kib += int(line.split()[1])
    out["index"] = index_kib / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (clock-tick resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# -- the run ------------------------------------------------------------------------------


def api_params(entry: dict[str, Any]) -> list[Param]:
    """The query string for a query-file entry, as a client of the API would send it."""
    params: list[Param] = [("q", entry["text"])]
    params += [("country", c) for c in entry.get("countries", ())]
    params += [("sector", s) for s in entry.get("sectors", ())]
    params += [("kind", k) for k in entry.get("kinds", ())]
    return params


def engine_queries(data_dir: Path, entries: list[dict[str, Any]]) -> list[SearchQuery]:
    """The SearchQuery the API builds for each entry, for an anonymous visitor."""
    settings = Settings(data_dir=data_dir, secret_key=SECRET, embedded_worker=False)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_session_factory(engine, writer=False)() as session:
            out = []
            for entry in entries:
                params = service.build_params(
                    q=entry["text"],
                    countries=entry.get("countries", ()),
                    sectors=entry.get("sectors", ()),
                    kinds=entry.get("kinds", ()),
                )
                out.append(service.build_query(session, None, params)[0])
            session.rollback()
            return out
    finally:
        engine.dispose()


def check_vocabulary() -> None:
    """The query set was drawn from TextGenerator(corpus_seed)'s vocabulary: the synthetic
    posts and items of `forum demo --seed S` use TextGenerator(S + 11)'s."""
    corpus_seed = json.loads(QUERIES_FILE.read_text())["corpus_seed"]
    if corpus_seed != SEED + VOCABULARY_SEED_OFFSET:
        raise RuntimeError(
            f"{QUERIES_FILE.name} was made for vocabulary seed {corpus_seed}, but forum demo "
            f"--seed {SEED} writes with {SEED + VOCABULARY_SEED_OFFSET}"
        )


def run(console: Console) -> list[Result]:
    check_vocabulary()
    entries = load_queries()
    with prepared_data_dir(console) as (data_dir, build):
        return measure(console, data_dir, build, entries)


@dataclass
class Samples:
    """Per class: API and engine wall times (ms), CPU times (ms) and totals."""

    api: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CLASSES})
    eng: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CLASSES})
    server_cpu: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CLASSES})
    eng_cpu: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CLASSES})
    totals: dict[str, list[int]] = field(default_factory=lambda: {c: [] for c in CLASSES})


def passes(classes: list[str]) -> int:
    """Timed passes over the query set that give every class MIN_SAMPLES samples."""
    smallest = min(classes.count(name) for name in CLASSES)
    return max(1, -(-MIN_SAMPLES // smallest))


def measure(
    console: Console, data_dir: Path, build: Build, entries: list[dict[str, Any]]
) -> list[Result]:
    queries = engine_queries(data_dir, entries)
    classes = [entry["class"] for entry in entries]
    repeat = passes(classes)
    raw = EmbeddedEngine(data_dir / "search")
    stats = raw.stats()
    documents = int(stats["documents"])  # type: ignore[call-overload]
    size_mib = int(stats["size_bytes"]) / 2**20  # type: ignore[call-overload]
    got = Samples()
    with tempfile.TemporaryDirectory(prefix="forum-bench-serve-") as tmp:
        log_path = Path(tmp) / "serve.log"
        with (
            forum_serve(data_dir, log_path, embedded_worker=False) as (base, process),
            httpx.Client(base_url=base, timeout=60) as client,
        ):
            urls = [api_params(entry) for entry in entries]

            def ask(params: list[Param]) -> dict[str, Any]:
                response = client.get("/api/v1/search", params=params)
                if response.status_code != 200:
                    raise RuntimeError(f"{params}: {response.status_code} {response.text[:300]}")
                body: dict[str, Any] = response.json()
                return body

            for params, query in zip(urls, queries, strict=True):  # warm-up, both sides
                ask(params)
                raw.search(query)
            rss_before = memory_mib(process.pid)
            load_before = os.getloadavg()[0]
            console.print(f"{repeat} timed passes over {len(entries)} queries")
            for _ in range(repeat):
                for name, params, query in zip(classes, urls, queries, strict=True):
                    cpu0 = cpu_seconds(process.pid)
                    start = time.perf_counter()
                    body = ask(params)
                    got.api[name].append((time.perf_counter() - start) * 1000)
                    got.server_cpu[name].append((cpu_seconds(process.pid) - cpu0) * 1000)
                    start, start_cpu = time.perf_counter(), time.process_time()
                    results = raw.search(query)
                    got.eng[name].append((time.perf_counter() - start) * 1000)
                    got.eng_cpu[name].append((time.process_time() - start_cpu) * 1000)
                    if results.total != body["total"]:
                        raise RuntimeError(
                            f"{params}: API total {body['total']}, engine {results.total}"
                        )
                    got.totals[name].append(results.total)
            load_after = os.getloadavg()[0]
            memory = memory_mib(process.pid)
        if "Traceback" in log_path.read_text():
            console.print(
                f"[yellow]forum serve logged a traceback:[/yellow] {log_path.read_text()[-2000:]}"
            )
    raw.close()
    return report(console, build, documents, size_mib, got, repeat,
                  memory, rss_before, (load_before, load_after))  # fmt: skip


def report(
    console: Console,
    build: Build,
    documents: int,
    size_mib: float,
    got: Samples,
    repeat: int,
    memory: dict[str, float],
    rss_before: dict[str, float],
    load: tuple[float, float],
) -> list[Result]:
    name = "search API"
    size = f"{build.synthetic:,} synthetic"
    load_note = f"load average {load[0]:.1f} -> {load[1]:.1f} during the queries"
    built = f"; whole `forum demo` {build.build_seconds:.0f} s" if build.build_seconds else ""
    out = [
        Result(name, f"reindex time, {build.documents:,} documents", build.reindex_seconds, "s",
               note=f"forum demo --synthetic {build.synthetic:,} (seed {SEED}); the full reindex by "
                    f"`{build.indexed_by}`{built}; bench_search_reindex measures it afresh"),
        Result(name, "index size", size_mib, "MiB",
               note=f"{documents:,} documents in the index; the CLI printed {build.index_mb:,.0f} MB (10^6 B)"),
    ]  # fmt: skip
    console.print(out[0].note, f"{build.reindex_seconds:.1f} s; index {size_mib:,.0f} MiB")
    all_api = [v for values in got.api.values() for v in values]
    all_eng = [v for values in got.eng.values() for v in values]
    for cls in CLASSES:
        a = [percentile(got.api[cls], p) for p in (50, 95, 99)]
        e = [percentile(got.eng[cls], p) for p in (50, 95, 99)]
        ratio = a[0] / e[0]
        server = [percentile(got.server_cpu[cls], p) for p in (50, 95)]
        engine_cpu = [percentile(got.eng_cpu[cls], p) for p in (50, 95)]
        hits = sorted(got.totals[cls])
        samples = len(got.api[cls])
        note = (f"engine p50 {e[0]:.2f} / p95 {e[1]:.2f} / p99 {e[2]:.2f} ms; CPU p50/p95: web "
                f"process {server[0]:.1f}/{server[1]:.1f} ms a request (clock ticks), engine "
                f"{engine_cpu[0]:.2f}/{engine_cpu[1]:.2f} ms; {samples // repeat} queries x "
                f"{repeat} = {samples} samples; median total {hits[len(hits) // 2]:,}, "
                f"{sum(t == 0 for t in hits) // repeat} queries without hits")  # fmt: skip
        if cls == "broad":
            note += f"; matches {hits[0] / documents:.0%}-{hits[-1] / documents:.0%} of documents"
        console.print(
            f"{cls}: API p50 {a[0]:.2f} p95 {a[1]:.2f} p99 {a[2]:.2f} ms; ratio {ratio:.2f}; {note}"
        )
        out += [
            Result(name, f"{cls} API p50", a[0], "ms", note=note),
            Result(name, f"{cls} API p95", a[1], "ms", goal=f"<= {P95_GOALS_MS[cls]:.0f} ms"),
            Result(name, f"{cls} API p99", a[2], "ms", goal=f"<= {P99_GOAL_MS:.0f} ms"),
            Result(name, f"{cls} engine p50", e[0], "ms",
                   note=f"p95 {e[1]:.2f} ms, p99 {e[2]:.2f} ms; same SearchQuery, in process"),
            Result(name, f"{cls} engine p95", e[1], "ms"),
            Result(name, f"{cls} API p95 - engine p95", a[1] - e[1], "ms",
                   goal=f"<= {OVERHEAD_GOAL_MS:.0f} ms"),
            Result(name, f"{cls} API p50 / engine p50", ratio, "x", goal=f"<= {RATIO_GOAL:.0f}"),
        ]  # fmt: skip
    overall = percentile(all_api, 50) / percentile(all_eng, 50)
    out.append(
        Result(name, "all classes API p50 / engine p50", overall, "x", goal=f"<= {RATIO_GOAL:.0f}",
               note=f"API p50 {percentile(all_api, 50):.2f} ms, engine p50 "
                    f"{percentile(all_eng, 50):.2f} ms; {size}; {load_note}; no query cache on "
                    "either side (the engine keeps only each filter set's facet counts per "
                    "index version)")
    )  # fmt: skip
    broad = sorted(got.totals["broad"])
    out.append(
        Result(name, "broad: share of documents matched (median)",
               100 * broad[len(broad) // 2] / documents, "%",
               note=f"smallest {broad[0] / documents:.0%}, largest {broad[-1] / documents:.0%}; "
                    f"anonymous: public documents only")
    )  # fmt: skip
    out.append(
        Result(name, "web process VmRSS after the queries", memory["VmRSS"], "MiB",
               note=f"peak (VmHWM) {memory['VmHWM']:.0f} MiB; {rss_before['VmRSS']:.0f} MiB "
                    f"after the warm-up pass; one uvicorn worker, FORUM_EMBEDDED_WORKER=false")
    )  # fmt: skip
    out.append(
        Result(name, "web process RssAnon after the queries", memory["RssAnon"], "MiB",
               goal=f"<= {RSS_ANON_GOAL_MIB} MiB",
               note=("PASS" if memory["RssAnon"] <= RSS_ANON_GOAL_MIB else "MISS")
                    + f"; its own memory ({rss_before['RssAnon']:.0f} MiB after the warm-up); "
                    f"mapped files add {memory['RssFile']:.0f} MiB (RssFile), of which the "
                    f"index's pages {memory['index']:.0f} MiB")
    )  # fmt: skip
    console.print(
        f"overall ratio {overall:.2f}; {load_note}; VmRSS {memory['VmRSS']:.0f} MiB, RssAnon "
        f"{memory['RssAnon']:.0f} MiB, index pages {memory['index']:.0f} MiB"
    )
    return out


def main(argv: list[str]) -> int:
    """`python -m benchmarks.bench_search_api --record DIR SECONDS`: write bench-build.json
    for a data dir filled by hand with `forum demo --synthetic N > DIR/demo.log`."""
    if len(argv) == 3 and argv[0] == "--record":
        data_dir = Path(argv[1])
        build = parse_demo_log(data_dir, DOCS, float(argv[2]))
        build.save(data_dir)
        print(json.dumps(build.__dict__))
        return 0
    print("usage: python -m benchmarks.bench_search_api --record DIR SECONDS")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
