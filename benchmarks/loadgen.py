"""A closed-loop HTTP load generator, the one tool every req/s benchmark uses.

`concurrency` clients each send a GET, wait for the whole answer, and send the next, over
keep-alive connections (httpx, asyncio), for `seconds` after a warm-up. It runs in a
process of its own so it never shares an interpreter with the server it measures; the
servers compared are driven by the same function with the same settings, one after the
other. Only 200 answers count as done; anything else is counted as an error.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass

import httpx

from benchmarks.harness import percentile


@dataclass(frozen=True)
class Load:
    url: str
    concurrency: int
    seconds: float
    done: int
    errors: int
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        return self.done / self.seconds


async def _drive(
    url: str, concurrency: int, warmup: float, seconds: float, cookies: dict[str, str]
) -> Load:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30, cookies=cookies) as client:
        start = time.perf_counter()
        measure_from = start + warmup
        stop = measure_from + seconds
        latencies: list[float] = []
        errors = 0

        async def one_client() -> None:
            nonlocal errors
            while (now := time.perf_counter()) < stop:
                response = await client.get(url)
                await response.aread()
                end = time.perf_counter()
                if now >= measure_from and end <= stop:
                    if response.status_code == 200:
                        latencies.append((end - now) * 1000)
                    else:
                        errors += 1

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return Load(
        url=url,
        concurrency=concurrency,
        seconds=seconds,
        done=len(latencies),
        errors=errors,
        p50_ms=percentile(latencies, 50) if latencies else float("nan"),
        p95_ms=percentile(latencies, 95) if latencies else float("nan"),
    )


def _child(
    url: str, concurrency: int, warmup: float, seconds: float, cookies: dict[str, str],
    out: object,
) -> None:  # fmt: skip
    out.put(asyncio.run(_drive(url, concurrency, warmup, seconds, cookies)))  # type: ignore[attr-defined]


def load(
    url: str, *, concurrency: int = 8, warmup: float = 2.0, seconds: float = 10.0,
    cookies: dict[str, str] | None = None,
) -> Load:  # fmt: skip
    """Drive `url` from a separate process; answers what it measured. The clients start
    with `cookies` (a session cookie: a signed-in member) and keep what the server sets,
    as a browser does."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=_child, args=(url, concurrency, warmup, seconds, cookies or {}, queue)
    )
    process.start()
    try:
        result: Load = queue.get(timeout=warmup + seconds + 120)
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
    return result
