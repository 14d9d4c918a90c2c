"""The embedded engine's own promises: one writer, readers that follow its commits
(in this process and others), atomic rebuilds, old indexes refused, exact facets."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from search.embedded import EmbeddedEngine
from search.embedded_schema import SCHEMA_VERSION
from search.engine import FACETS, SearchDoc, SearchError, SearchIndexOutdated, SearchQuery

ROOT = Path(__file__).resolve().parents[2]
WHEN = dt.datetime(2021, 5, 4, tzinfo=dt.UTC)


def doc(
    number: int, title: str = "Harbour logistics", body: str = "", **fields: object
) -> SearchDoc:
    return SearchDoc(f"post:{number}", "post", title, body or title, f"/p/{number}", WHEN, **fields)  # type: ignore[arg-type]


def wait_for(predicate: object, *, seconds: float = 20.0) -> None:
    """Poll `predicate` until true, within a bound (never a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {seconds} s")
        time.sleep(0.02)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "search"


def test_ensure_index_creates_the_index_once_and_keeps_it(path: Path) -> None:
    engine = EmbeddedEngine(path)
    engine.ensure_index()
    engine.upsert([doc(1)])
    again = EmbeddedEngine(path)
    again.ensure_index()
    assert again.stats()["documents"] == 1
    assert json.loads((path / "CURRENT").read_text()) == {
        "generation": "gen-000001",
        "schema": SCHEMA_VERSION,
    }
    engine.close()


def test_searching_before_any_index_exists_is_a_search_error(path: Path) -> None:
    with pytest.raises(SearchError, match="ensure_index"):
        EmbeddedEngine(path).search(SearchQuery(text="harbour"))


def test_a_second_engine_sees_the_writers_commits_on_its_next_search(path: Path) -> None:
    writer, reader = EmbeddedEngine(path), EmbeddedEngine(path)
    writer.ensure_index()
    assert reader.search(SearchQuery(text="harbour")).total == 0
    writer.upsert([doc(1)])
    assert reader.search(SearchQuery(text="harbour")).total == 1
    writer.upsert([doc(2)])
    writer.delete(["post:1"])
    assert [h.id for h in reader.search(SearchQuery(text="harbour")).hits] == ["post:2"]
    assert reader.stats()["documents"] == 1
    writer.close()


def test_only_one_engine_may_write_to_an_index(path: Path) -> None:
    first, second = EmbeddedEngine(path), EmbeddedEngine(path)
    first.ensure_index()
    first.upsert([doc(1)])
    with pytest.raises(SearchError, match="only one process may write"):
        second.upsert([doc(2)])
    # Reading is always allowed, and closing the first writer frees the lock.
    assert second.search(SearchQuery(text="harbour")).total == 1
    first.close()
    second.upsert([doc(2)])
    assert second.search(SearchQuery(text="harbour")).total == 2
    second.close()


WRITER_PROCESS = """
import datetime as dt, sys
from search.embedded import EmbeddedEngine
from search.engine import SearchDoc
engine = EmbeddedEngine(sys.argv[1])
engine.ensure_index()
when = dt.datetime(2021, 5, 4, tzinfo=dt.UTC)
for line in sys.stdin:
    number = int(line)
    if number < 0:
        break
    engine.upsert([SearchDoc(f"post:{number}", "post", "Harbour", "Quay", "/p", when)])
    print(number, flush=True)
engine.close()
"""


def test_a_web_process_reads_what_a_worker_process_writes(path: Path) -> None:
    EmbeddedEngine(path).ensure_index()
    web = EmbeddedEngine(path)
    with subprocess.Popen(
        [sys.executable, "-c", WRITER_PROCESS, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as worker:
        assert worker.stdin is not None and worker.stdout is not None
        try:
            for number in (1, 2, 3):
                worker.stdin.write(f"{number}\n")
                worker.stdin.flush()
                assert worker.stdout.readline().strip() == str(number)  # committed
                assert web.search(SearchQuery(text="harbour")).total == number
            # While the worker holds the writer, this process cannot write.
            with pytest.raises(SearchError, match="only one process may write"):
                web.upsert([doc(9)])
        finally:
            worker.stdin.write("-1\n")
            worker.stdin.flush()
            assert worker.wait(timeout=60) == 0
    web.upsert([doc(9)])  # the worker is gone, and with it the lock
    assert web.search(SearchQuery(text="harbour")).total == 4
    web.close()


def test_a_rebuild_switch_reaches_readers_and_writers_in_place(path: Path) -> None:
    live, reader = EmbeddedEngine(path), EmbeddedEngine(path)
    live.ensure_index()
    live.upsert([doc(1, "Old harbour")])
    assert reader.search(SearchQuery(text="old")).total == 1
    target = live.start_rebuild()
    target.upsert([doc(2, "New harbour"), doc(3, "New quay")])
    # Uncommitted until the switch: nobody sees the new index yet.
    assert reader.search(SearchQuery(text="new")).total == 0
    live.finish_rebuild(target)
    assert reader.search(SearchQuery(text="old")).total == 0
    assert reader.search(SearchQuery(text="new")).total == 2
    assert json.loads((path / "CURRENT").read_text())["generation"] == "gen-000002"
    # The old generation is removed; the live engine writes to the new one.
    assert sorted(p.name for p in path.glob("gen-*")) == ["gen-000002"]
    live.upsert([doc(4, "New pier")])
    assert reader.search(SearchQuery(text="new")).total == 3
    live.close()


def test_only_one_rebuild_runs_at_a_time_and_an_abandoned_one_is_cleaned_up(path: Path) -> None:
    live = EmbeddedEngine(path)
    live.ensure_index()
    target = live.start_rebuild()
    with pytest.raises(SearchError, match="already running"):
        live.start_rebuild()
    target.close()  # abandoned, e.g. the reindex command was interrupted
    second = live.start_rebuild()
    assert sorted(p.name for p in path.glob("gen-*")) == ["gen-000001", "gen-000003"]
    live.finish_rebuild(second)
    assert sorted(p.name for p in path.glob("gen-*")) == ["gen-000003"]
    live.close()


def test_an_index_built_by_an_older_schema_is_refused_until_rebuilt(path: Path) -> None:
    live = EmbeddedEngine(path)
    live.ensure_index()
    live.upsert([doc(1)])
    live.close()
    (path / "CURRENT").write_text(json.dumps({"generation": "gen-000001", "schema": 0}))
    stale = EmbeddedEngine(path)
    with pytest.raises(SearchIndexOutdated, match="forum search reindex"):
        stale.ensure_index()
    with pytest.raises(SearchIndexOutdated):
        stale.search(SearchQuery())
    target = stale.start_rebuild()
    target.upsert([doc(2)])
    stale.finish_rebuild(target)
    assert [h.id for h in stale.search(SearchQuery()).hits] == ["post:2"]
    stale.close()


def test_a_failed_batch_writes_nothing(path: Path) -> None:
    engine = EmbeddedEngine(path)
    engine.ensure_index()
    with pytest.raises(ValueError, match="post:x"):
        engine.upsert([doc(1), SearchDoc("post:x", "post", "t", "b", "/", WHEN)])
    assert engine.stats()["documents"] == 0
    engine.close()


def test_facet_counts_stay_exact_for_broad_and_narrow_queries(path: Path) -> None:
    """Broad queries are counted as "the filter's documents minus the misses"; the
    counts must equal a brute-force count over the full listing either way."""
    engine = EmbeddedEngine(path)
    engine.ensure_index()
    countries = ["JP", "KR", "MA", "CA", "US"]
    sectors = ["food", "textile", "energy"]
    docs = []
    for n in range(1, 301):
        words = ["common"] if n % 5 else ["rare"]
        if n % 7 == 0:
            words.append("seventh")
        docs.append(
            SearchDoc(
                f"intel:{n}" if n % 3 == 0 else f"post:{n}",
                "intel" if n % 3 == 0 else "post",
                f"Item {n}",
                " ".join(words),
                f"/x/{n}",
                WHEN + dt.timedelta(hours=n),
                subkind="news" if n % 3 == 0 else None,
                countries=tuple(countries[i] for i in range(5) if n % (i + 2) == 0),
                sectors=(sectors[n % 3],),
                visibility="members" if n % 11 == 0 else "public",
            )
        )
    engine.upsert(docs)
    by_id = {d.id: d for d in docs}

    def brute(query: SearchQuery) -> dict[str, dict[str, int]]:
        listing = engine.search(
            SearchQuery(
                text=query.text, countries=query.countries, visibilities=query.visibilities,
                per_page=1000,
            )
        )  # fmt: skip
        counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        for hit in listing.hits:
            d = by_id[hit.id]
            counts["kind"][d.kind] += 1
            if d.subkind:
                counts["subkind"][d.subkind] += 1
            counts["country"].update(d.countries)
            counts["sector"].update(d.sectors)
        return {name: dict(c) for name, c in counts.items()}

    for query in [
        SearchQuery(text="common ", per_page=3),  # 80 %: counted by difference
        SearchQuery(text="rare ", per_page=3),  # 20 %: counted directly
        SearchQuery(text="seventh ", per_page=3, countries=["JP"]),
        SearchQuery(per_page=3, countries=["KR", "CA"]),
        SearchQuery(text="common ", per_page=3, visibilities=("public", "members")),
    ]:
        expected = brute(query)
        for _ in range(3):  # first computed, then from the kept counts
            assert engine.search(query).facets == expected, query
        engine.upsert([docs[0]])  # a commit invalidates the kept counts
        assert engine.search(query).facets == expected, query
    engine.close()


def test_searches_from_many_threads_while_writing(path: Path) -> None:
    engine = EmbeddedEngine(path)
    engine.ensure_index()
    engine.upsert([doc(n) for n in range(1, 51)])
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                results = engine.search(SearchQuery(text="harbour", per_page=5))
                assert results.total >= 50
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    for batch in range(51, 101, 10):
        engine.upsert([doc(n) for n in range(batch, batch + 10)])
    wait_for(lambda: engine.search(SearchQuery(text="harbour")).total == 100)
    done.set()
    for thread in readers:
        thread.join(timeout=30)
    assert errors == []
    engine.close()


def test_long_bodies_get_a_snippet_around_the_match_between_ellipses(path: Path) -> None:
    engine = EmbeddedEngine(path)
    engine.ensure_index()
    body = (
        "Filler words about nothing. " * 30
        + "The harbour tender closes in May. "
        + "More filler. " * 30
    )
    engine.upsert([doc(1, "Port news", body)])
    (hit,) = engine.search(SearchQuery(text="tender")).hits
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert "<mark>tender</mark>" in hit.snippet
    assert len(hit.snippet) < 300
    engine.close()


def test_a_match_deep_in_a_huge_body_is_found_with_the_beginning_as_snippet(path: Path) -> None:
    engine = EmbeddedEngine(path)
    engine.ensure_index()
    body = "Opening words of the attachment. " + "padding " * 30_000 + "lighthouse"
    engine.upsert([doc(1, "Annual report", body)])
    (hit,) = engine.search(SearchQuery(text="lighthouse")).hits
    assert hit.snippet.startswith("Opening words of the attachment.")
    assert hit.snippet.endswith("…") and "<mark>" not in hit.snippet
    engine.close()
