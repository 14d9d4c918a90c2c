"""The full reindex at 1,000,000 documents beside tantivy indexing the same documents alone.

Data: the search API benchmark's data dir (`prepared_data_dir`: `forum demo --synthetic N`,
cached under var/bench/ by size, seed and generator version).

1. `forum search reindex` on it, as an operator runs it (a subprocess): its own wall time
   (the line it prints) and the CPU time of the subprocess and its children.
2. The prepared documents: every SearchDoc that reindex built, built again here
   (`iter_all_documents`, as reindex walks them) and pickled in batches to a file; the
   time that takes is reported as "building documents alone".
3. tantivy alone: a new EmbeddedEngine in a temporary dir, fed those documents batch by
   batch through the rebuild path `forum search reindex` uses (start_rebuild, upsert,
   finish_rebuild: the same writer heap and thread, one commit). Only upsert and
   finish_rebuild are timed (wall and this process's CPU, every thread): reading the
   pickles is not.

Reported: both times, their ratio (goal <= 3, stretch 2), and the index sizes.
"""

from __future__ import annotations

import os
import pickle
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from sqlalchemy.orm import Session

from benchmarks.bench_search_api import DOCS, forum_env, prepared_data_dir
from benchmarks.harness import Result
from forum.core.config import Settings
from forum.core.db import make_engine
from forum.discovery.documents import candidate_bounds, iter_all_documents
from search.embedded import EmbeddedEngine

RATIO_GOAL = 3.0
RATIO_STRETCH = 2.0
REBUILT = re.compile(r"search index rebuilt: (?P<docs>\d+) documents in (?P<seconds>[\d.]+) s")
# reindex's batch (forum.discovery.sync.reindex's default)
BATCH = 1000


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def forum_reindex(data_dir: Path, log_path: Path) -> tuple[int, float, float, float]:
    """`forum search reindex`: (documents, its seconds, wall seconds, CPU seconds)."""
    cpu0, wall0 = children_cpu(), time.perf_counter()
    with log_path.open("w") as log:
        subprocess.run(
            [sys.executable, "-m", "forum.cli", "search", "reindex"],
            env=forum_env(data_dir, COLUMNS="200"), stdout=log, stderr=subprocess.STDOUT,
            check=True,
        )  # fmt: skip
    wall, cpu = time.perf_counter() - wall0, children_cpu() - cpu0
    found = REBUILT.search(log_path.read_text())
    if not found:
        raise RuntimeError(f"`forum search reindex` did not report; see {log_path}")
    return int(found["docs"]), float(found["seconds"]), wall, cpu


def prepare_documents(data_dir: Path, path: Path) -> tuple[int, float, float]:
    """Pickle every document reindex builds, a batch per record: (documents, wall, CPU)."""
    settings = Settings(data_dir=data_dir, secret_key="bench", embedded_worker=False)
    engine = make_engine(settings.resolved_database_url)
    count, building, building_cpu = 0, 0.0, 0.0
    try:
        with Session(engine) as session, path.open("wb") as out:
            bounds = candidate_bounds(session)
            batches = iter_all_documents(session, batch=BATCH, upto=bounds)
            while True:
                wall0, cpu0 = time.perf_counter(), time.process_time()
                batch = next(batches, None)
                building += time.perf_counter() - wall0
                building_cpu += time.process_time() - cpu0
                if batch is None:
                    break
                docs = batch[1]
                count += len(docs)
                pickle.dump(docs, out, protocol=pickle.HIGHEST_PROTOCOL)
            session.rollback()
    finally:
        engine.dispose()
    return count, building, building_cpu


def tantivy_alone(path: Path, index_dir: Path) -> tuple[int, float, float, dict[str, object]]:
    """Index the pickled documents through the rebuild path: (documents, wall, CPU, stats)."""
    engine = EmbeddedEngine(index_dir)
    engine.ensure_index()
    count, wall, cpu = 0, 0.0, 0.0
    with path.open("rb") as source:
        target = engine.start_rebuild()
        while True:
            try:
                docs = pickle.load(source)  # noqa: S301 - our own file, just written
            except EOFError:
                break
            wall0, cpu0 = time.perf_counter(), time.process_time()
            target.upsert(docs)
            wall += time.perf_counter() - wall0
            cpu += time.process_time() - cpu0
            count += len(docs)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        engine.finish_rebuild(target)
        wall += time.perf_counter() - wall0
        cpu += time.process_time() - cpu0
    stats = engine.stats()
    engine.close()
    return count, wall, cpu, stats


def run(console: Console) -> list[Result]:
    name = "search reindex"
    with (
        prepared_data_dir(console) as (data_dir, _build),
        tempfile.TemporaryDirectory(prefix="forum-bench-reindex-") as tmp,
    ):
        load0 = os.getloadavg()[0]
        docs, seconds, wall, cpu = forum_reindex(data_dir, Path(tmp) / "reindex.log")
        load1 = os.getloadavg()[0]
        console.print(
            f"forum search reindex: {docs:,} documents in {seconds:.1f} s (process {wall:.1f} s "
            f"wall, {cpu:.1f} s CPU); load {load0:.1f} -> {load1:.1f}"
        )
        pickled = Path(tmp) / "documents.pickle"
        prepared, building, building_cpu = prepare_documents(data_dir, pickled)
        console.print(
            f"building the {prepared:,} documents alone: {building:.1f} s ({building_cpu:.1f} s CPU)"
        )
        load2 = os.getloadavg()[0]
        alone, alone_wall, alone_cpu, stats = tantivy_alone(pickled, Path(tmp) / "search")
        load3 = os.getloadavg()[0]
        size_mb = int(stats["size_bytes"]) / 1e6  # type: ignore[call-overload]
        console.print(
            f"tantivy alone: {alone:,} documents in {alone_wall:.1f} s ({alone_cpu:.1f} s CPU), "
            f"{size_mb:,.0f} MB, {stats['segments']} segments; load {load2:.1f} -> {load3:.1f}"
        )
    ratio = seconds / alone_wall
    console.print(f"reindex / tantivy alone: {ratio:.2f}")
    size = f"{DOCS:,} synthetic"
    return [
        Result(name, f"full reindex, {docs:,} documents", seconds, "s",
               note=f"`forum search reindex` on {size}; process {wall:.1f} s wall, "
                    f"{cpu:.1f} s CPU (with its children); load average {load0:.1f} -> {load1:.1f}"),
        Result(name, "tantivy alone, the same documents", alone_wall, "s",
               note=f"{alone:,} prepared SearchDocs through start_rebuild/upsert/finish_rebuild "
                    f"(to_document included, reading them not); {alone_cpu:.1f} s CPU; "
                    f"{size_mb:,.0f} MB, {stats['segments']} segments; load average "
                    f"{load2:.1f} -> {load3:.1f}"),
        Result(name, "full reindex / tantivy alone", ratio, "x",
               goal=f"<= {RATIO_GOAL:.0f} (stretch {RATIO_STRETCH:.0f})",
               note=f"building the documents alone (iter_all_documents, SQLite): {building:.1f} s, "
                    f"{building_cpu:.1f} s CPU"),
    ]  # fmt: skip
