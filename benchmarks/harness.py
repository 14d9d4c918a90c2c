"""What every benchmark shares: timing, percentiles, the machine, the results file."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = ROOT / "BENCHMARKS.md"


@dataclass
class Result:
    """One measured figure, beside its goal and its baseline when it has them."""

    benchmark: str
    metric: str
    value: float
    unit: str
    goal: str = ""
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def time_calls(fn: Callable[[], object], *, repeat: int, warmup: int = 10) -> list[float]:
    """Milliseconds per call of `fn`, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "mean": statistics.fmean(samples),
    }


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.strip()
        return out.stdout.strip() + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def append_results(results: list[Result]) -> str:
    """Append one run to BENCHMARKS.md and answer the Markdown written."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"\n## {now} · commit {commit()}",
        "",
        f"Machine: {machine()}",
        "",
        "| benchmark | metric | value | goal | note |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.benchmark} | {r.metric} | {r.value:.3f} {r.unit} | {r.goal} | {r.note} |"
        )
    text = "\n".join(lines) + "\n"
    if not RESULTS_FILE.exists():
        RESULTS_FILE.write_text(
            "# Benchmarks\n\nEvery `make bench` run appends a section: date, commit, machine, "
            "and each figure beside its goal and its baseline from the same run.\n"
        )
    with RESULTS_FILE.open("a") as fh:
        fh.write(text)
    return text
