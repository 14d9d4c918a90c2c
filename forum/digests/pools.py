"""The digest's pools as bit sets: which of the window's items a member's follows bring,
counted and ranked without visiting each one.

A busy week puts hundreds of items in one member's pool (the digest benchmark: about
560 of 1,900), of which the digest shows 8; scoring each one in Python was half of the
sender's time. Here bit i of an int stands for `rows[i]` of one candidate list, the masks
of a country, a sector, the global items, a window and an author are made once per
candidate set (`Candidates.shared`), and a member's pool is a few ORs and ANDs of them:
its size a `bit_count()`, its first entries its lowest bits. The result is exactly the
one of the per-item rules in `builder.py`, which stay the definition (and the test's
reference: tests/digests/test_pools.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from forum.digests.candidates import Candidates, IntelCandidate

if TYPE_CHECKING:
    from forum.digests.member_view import MemberView

T = TypeVar("T")

Follow = tuple[str, str]  # ("country", "JP"), ("region_group", "g:asean"), ("sector", "food")


class Pool(Generic[T]):
    """One candidate list as bits (bit i is `rows[i]`), with its masks made once."""

    def __init__(self, rows: Sequence[T], sort_key: Callable[[T], Any]) -> None:
        self.rows = list(rows)
        self.sort_key = sort_key
        self._bit = {id(row): i for i, row in enumerate(self.rows)}
        self._masks: dict[Hashable, int] = {}
        self._groups: dict[str, dict[Hashable, int]] = {}
        # Whether the list is in `sort_key`'s order (the candidates' own order): then the
        # lowest bits of a mask are its first rows. Otherwise (candidates made by hand)
        # a mask's rows are sorted.
        keys = [sort_key(row) for row in self.rows]
        self.ordered = all(a < b for a, b in pairwise(keys))

    def mask(self, key: Hashable, rows: Iterable[T]) -> int:
        """The bits of `rows` (read only the first time `key` is asked for)."""
        found = self._masks.get(key)
        if found is None:
            bits = bytearray((len(self.rows) + 8) // 8)
            for row in rows:
                i = self._bit[id(row)]
                bits[i >> 3] |= 1 << (i & 7)
            found = self._masks[key] = int.from_bytes(bits, "little")
        return found

    def where(self, key: Hashable, keep: Callable[[T], bool]) -> int:
        return self.mask(key, (row for row in self.rows if keep(row)))

    def grouped(self, name: str, value: Callable[[T], Hashable]) -> dict[Hashable, int]:
        """Each `value` of the rows -> the bits of the rows that have it (made once)."""
        found = self._groups.get(name)
        if found is None:
            rows: dict[Hashable, list[T]] = {}
            for row in self.rows:
                rows.setdefault(value(row), []).append(row)
            found = self._groups[name] = {v: self.mask((name, v), r) for v, r in rows.items()}
        return found

    def rows_of(self, mask: int) -> list[T]:
        """Every row of `mask`, list order."""
        out = []
        while mask:
            low = mask & -mask
            out.append(self.rows[low.bit_length() - 1])
            mask ^= low
        return out

    def first(self, masks: Sequence[int], n: int) -> list[T]:
        """The first `n` rows of the masks taken in turn, each in `sort_key` order."""
        out: list[T] = []
        for mask in masks:
            if not self.ordered:
                out += sorted(self.rows_of(mask), key=self.sort_key)[: n - len(out)]
                mask = 0
            while mask and len(out) < n:
                low = mask & -mask
                out.append(self.rows[low.bit_length() - 1])
                mask ^= low
            if len(out) >= n:
                break
        return out


def _newest_first(item: IntelCandidate) -> tuple[float, int]:
    return -item.added_at.timestamp(), -item.id


def _by_deadline(item: IntelCandidate) -> tuple[dt.datetime, int]:
    assert item.deadline is not None
    return item.deadline, item.id


def intel_pool(c: Candidates) -> Pool[IntelCandidate]:
    found = c.shared.get("intel pool")
    if found is None:
        found = c.shared["intel pool"] = Pool(c.intel, _newest_first)
    return found


def deadline_pool(c: Candidates) -> Pool[IntelCandidate]:
    found = c.shared.get("deadline pool")
    if found is None:
        found = c.shared["deadline pool"] = Pool(c.deadlines, _by_deadline)
    return found


def _authored(pool: Pool[IntelCandidate], author_id: int) -> int:
    """The rows `author_id` wrote (a member's digest never lists their own)."""
    return pool.grouped("author", lambda r: r.author_id).get(author_id, 0)


def _countries(
    pool: Pool[IntelCandidate], view: MemberView, by_country: dict[str, list[IntelCandidate]]
) -> tuple[int, dict[Follow, int]]:
    """All the followed countries' rows, and each country follow's (a region group's
    countries together)."""
    sources: dict[Follow, int] = {}
    for code, source in view.country_source.items():
        rows = pool.mask(("country", code), by_country.get(code, ()))
        sources[source] = sources.get(source, 0) | rows
    every = 0
    for rows in sources.values():
        every |= rows
    return every, sources


@dataclass
class Picked(Generic[T]):
    first: list[T]  # the section's first rows, in its order
    total: int  # how many the pool holds
    # The follows the rows are there for, with how many each, as Counter.most_common
    # orders them (most first; a tie in the order the per-item walk meets them).
    matched: list[tuple[Follow, int]]


def pick_intel(view: MemberView, cap: int) -> Picked[IntelCandidate]:
    """`builder.intel_for_follows`'s items: in the window, not the member's own, of a
    followed country (or any global item, for a member who follows a country) or sector;
    specific items first, then those matching both a followed country and a followed
    sector, each group newest first."""
    c = view.c
    pool = intel_pool(c)
    valid = pool.where(
        ("window", view.start, view.end), lambda i: view.start <= i.added_at < view.end
    ) & ~_authored(pool, view.user.id)
    country_hit, sources = _countries(pool, view, c.intel_by_country)
    if view.country_source:
        country_hit |= pool.mask("global", c.intel_global)
    sectors: dict[Follow, int] = {}
    for slug in view.sectors:
        sectors[("sector", slug)] = pool.mask(("sector", slug), c.intel_by_sector.get(slug, ()))
    sector_hit = 0
    for rows in sectors.values():
        sector_hit |= rows
    chosen = (country_hit | sector_hit) & valid
    both = chosen & country_hit & sector_hit
    specific = pool.where("specific", lambda i: i.specific)
    first = pool.first(
        [both & specific, chosen & ~both & specific, both & ~specific, chosen & ~both & ~specific],
        cap,
    )
    masks = sources | sectors
    counts = {f: n for f, rows in masks.items() if (n := (rows & chosen).bit_count())}
    return Picked(first, chosen.bit_count(), _first_seen(view, pool, chosen, counts, masks))


def _first_seen(
    view: MemberView,
    pool: Pool[IntelCandidate],
    chosen: int,
    counts: dict[Follow, int],
    masks: dict[Follow, int],
) -> list[tuple[Follow, int]]:
    """The matched follows in Counter.most_common's order over the per-item walk: by
    count, a tie in the order of first appearance, the pool walked as the builder fills
    it (each followed country's items, the global ones, each followed sector's, each in
    the candidates' order), each item's follows in `matched_follows`' order. Only the
    items that bring a follow not yet met are visited: at most one per follow."""
    c = view.c
    segments = [("country", code) for code in view.country_source]
    if view.country_source:
        segments.append(("global", ""))
    segments += [("sector", slug) for slug in view.sectors]
    order: list[Follow] = []
    left = set(counts)
    walked = 0  # the rows already met: a row keeps its first place in the walk
    for key in segments:
        if not left:
            break
        segment = _segment(pool, c, key) & ~walked
        walked |= segment
        wanted = 0
        for follow in left:
            wanted |= masks[follow]
        bits = segment & chosen & wanted
        while bits and left:  # lowest bit first: the candidates' (and each list's) order
            low = bits & -bits
            bits ^= low
            item = pool.rows[low.bit_length() - 1]
            for follow in view.matched_follows(item.countries, item.sectors):
                if follow in left:
                    left.discard(follow)
                    order.append(follow)
    rank = {follow: i for i, follow in enumerate(order)}
    return sorted(counts.items(), key=lambda fc: (-fc[1], rank[fc[0]]))


def _segment(pool: Pool[IntelCandidate], c: Candidates, key: tuple[str, str]) -> int:
    kind, value = key
    if kind == "country":
        return pool.mask(key, c.intel_by_country.get(value, ()))
    if kind == "sector":
        return pool.mask(key, c.intel_by_sector.get(value, ()))
    return pool.mask("global", c.intel_global)


def pick_deadlines(view: MemberView, cap: int) -> Picked[IntelCandidate]:
    """`builder.deadlines`' calls and tenders: closing between now and DEADLINE_DAYS on,
    not the member's own, of a followed country (any global one for a member who follows
    a country) or sector; soonest first."""
    from forum.digests.candidates import DEADLINE_DAYS

    c = view.c
    pool = deadline_pool(c)
    now, until = view.now, view.now + dt.timedelta(days=DEADLINE_DAYS)
    valid = pool.where(
        ("closing", now),
        lambda i: i.deadline is not None and now <= i.deadline <= until,
    ) & ~_authored(pool, view.user.id)
    chosen, _sources = _countries(pool, view, c.deadlines_by_country)
    if view.country_source:
        chosen |= pool.mask("global", c.deadlines_global)
    for slug in view.sectors:
        chosen |= pool.mask(("sector", slug), c.deadlines_by_sector.get(slug, ()))
    chosen &= valid
    return Picked(pool.first([chosen], cap), chosen.bit_count(), [])


def new_by_followers(view: MemberView) -> list[IntelCandidate]:
    """The highlights' items (`Candidates.intel_by_followers`) in the member's window, not
    their own: the window's list made once, shared by the members who wrote none of it."""
    c = view.c
    key = ("by followers", view.start, view.end)
    new: list[IntelCandidate] | None = c.shared.get(key)
    if new is None:
        new = c.shared[key] = [i for i in c.intel_by_followers() if view.in_window(i.added_at)]
    if not _authored(intel_pool(c), view.user.id):
        return new
    return [i for i in new if not view.mine(i.author_id)]
