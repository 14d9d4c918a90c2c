"""Items tagged per second: today's tagger beside the one before issue 27, on the labelled
published items (tests/intelligence/data/published), each in its language, in the same run.

The tagger before issue 27 is read from git at benchmark time (`git show OLD_COMMIT:path`)
into a temporary package, so no copy of it lives in the tree: the benchmark runs from a git
checkout (as `make bench` does)."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.harness import Result
from forum.intelligence import tagging

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "intelligence" / "data" / "published"
ROUNDS = 5
# The last commit with the tagger as it was before issue 27 (English only, no cities).
OLD_COMMIT = "df1b9a316c96676e1f71dab0327512861e8a1a64"
OLD_MODULES = ("tag_text", "sector_keywords", "sector_tags", "country_tags", "tagging")
OLD_DATA = ("country_aliases.json",)
_OLD_PACKAGE = "old_tagger_df1b9a3"


def _git_show(path: str) -> str:
    git = shutil.which("git")
    if git is None:
        raise RuntimeError("bench_tagging reads the old tagger with git: install git")
    shown = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [git, "-C", str(ROOT), "show", f"{OLD_COMMIT}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return shown.stdout


@contextmanager
def old_tagger() -> Iterator[Callable[[str, str], object]]:
    """The old `tag(title, summary)`, imported from OLD_COMMIT's files written to a
    temporary package (its `forum.intelligence` imports pointed at that package)."""
    with tempfile.TemporaryDirectory(prefix="old-tagger-") as directory:
        package = Path(directory) / _OLD_PACKAGE
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text('"""The tagger before issue 27, from git."""\n')
        for name in OLD_MODULES:
            source = _git_show(f"forum/intelligence/{name}.py")
            (package / f"{name}.py").write_text(source.replace("forum.intelligence", _OLD_PACKAGE))
        for name in OLD_DATA:
            (package / "data" / name).write_text(_git_show(f"forum/intelligence/data/{name}"))
        sys.path.insert(0, directory)
        try:
            module = importlib.import_module(f"{_OLD_PACKAGE}.tagging")
            yield module.tag
        finally:
            sys.path.remove(directory)
            for name in [m for m in sys.modules if m.split(".")[0] == _OLD_PACKAGE]:
                del sys.modules[name]


def _items() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(DATA.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def _rate(
    rows: list[dict[str, Any]], tag_one: Callable[[dict[str, Any]], object]
) -> tuple[float, float]:
    """Items per second of wall time and of this process's CPU time (the machine is shared:
    the CPU rate is the steadier one)."""
    tag_one(rows[0])  # build the matchers first: a process does that once
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(ROUNDS):
        for row in rows:
            tag_one(row)
    done = ROUNDS * len(rows)
    return done / (time.perf_counter() - wall), done / (time.process_time() - cpu)


def run(console: Console) -> list[Result]:
    rows = _items()
    started = time.perf_counter()
    tagging.tag("warm-up", "", language="fr")
    build = time.perf_counter() - started
    new, new_cpu = _rate(rows, lambda r: tagging.tag(r["title"], r["text"], language=r["language"]))
    with old_tagger() as old_tag:
        old, old_cpu = _rate(rows, lambda r: old_tag(r["title"], r["text"]))
    console.print(
        f"{len(rows)} items x {ROUNDS}: today {new:.0f}/s ({new_cpu:.0f}/s of CPU), "
        f"before issue 27 {old:.0f}/s ({old_cpu:.0f}/s of CPU)"
    )
    note = f"{len(rows)} published items x {ROUNDS}, each in its language"
    return [
        Result("tagging", "items tagged per second (today)", new, "items/s", "", note),
        Result("tagging", "items tagged per CPU second (today)", new_cpu, "items/s", "", note),
        Result("tagging", "items tagged per second (before issue 27)", old, "items/s", "", note),
        Result(
            "tagging", "items tagged per CPU second (before issue 27)", old_cpu, "items/s", "", note
        ),
        Result("tagging", "first use in a process (matchers built)", build, "s", "", "fr"),
    ]
