"""Where each demo part registers itself (`forum.plugins` lists them): `forum demo` and the
synthetic generator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from forum.core.config import Settings

# The version of what `forum demo --synthetic N` writes: bump it whenever a producer, the
# text generator or their seeds change what a given N and seed make. Benchmarks key the
# data dirs they cache on it (benchmarks/bench_search_api.py).
SYNTHETIC_VERSION = 1

# A demo part loads its data idempotently and answers a one-line summary.
DemoLoader = Callable[[Session, Settings], str]


@dataclass(frozen=True)
class DemoPart:
    name: str
    order: int
    load: DemoLoader


@dataclass(frozen=True)
class SyntheticProducer:
    """Makes `count` synthetic rows; yields how many it made so far (for progress bars).

    `share` is its part of `forum demo --synthetic N`; the shares of all producers
    are normalised, so adding a producer re-balances the mix.
    """

    name: str
    share: float
    produce: Callable[[Session, int, int], Iterator[int]]  # (session, count, seed)


DEMO_PARTS: dict[str, DemoPart] = {}
SYNTHETIC: dict[str, SyntheticProducer] = {}


def demo_part(name: str, *, order: int) -> Callable[[DemoLoader], DemoLoader]:
    def register(load: DemoLoader) -> DemoLoader:
        DEMO_PARTS[name] = DemoPart(name, order, load)
        return load

    return register


def synthetic_producer(
    name: str, *, share: float
) -> Callable[
    [Callable[[Session, int, int], Iterator[int]]], Callable[[Session, int, int], Iterator[int]]
]:
    def register(
        produce: Callable[[Session, int, int], Iterator[int]],
    ) -> Callable[[Session, int, int], Iterator[int]]:
        SYNTHETIC[name] = SyntheticProducer(name, share, produce)
        return produce

    return register


def split_synthetic(total: int) -> dict[str, int]:
    """How many rows each producer makes for `forum demo --synthetic total` (the producers
    registered by then: `forum.plugins` imports them all)."""
    weights = {name: p.share for name, p in SYNTHETIC.items()}
    whole = sum(weights.values()) or 1.0
    counts = {name: int(total * w / whole) for name, w in weights.items()}
    # Give the rounding remainder to the largest producer so the total is exact.
    if counts:
        biggest = max(weights, key=lambda n: weights[n])
        counts[biggest] += total - sum(counts.values())
    return counts
