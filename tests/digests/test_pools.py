"""The pools' bit sets pick exactly what the per-item rules pick: the same items in the same
order, the same totals, the same follows in the same order (`forum/digests/pools.py`).

The reference below is the builder's walk over each item as it was written before the
pools: every candidate of the followed countries (the global ones for a member who
follows a country) and sectors, in the window, not the member's own, scored one by one.
Random candidate sets (ties in time, authors, global and specific items, region groups)
and random follows are checked against it, with the candidates in their own order and
shuffled (hand-made candidates)."""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections import Counter
from collections.abc import Mapping, Sequence

import pytest

from forum.accounts.models import User
from forum.core.config import Settings
from forum.digests.candidates import DEADLINE_DAYS, Candidates, IntelCandidate
from forum.digests.interests import MemberInterests
from forum.digests.member_view import SECTION_CAP, MemberView
from forum.digests.pools import pick_deadlines, pick_intel

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
COUNTRIES = ["JP", "KR", "CN", "VN", "TH", "FR", "DE", "US", "BR", "MA"]
SECTORS = ["food", "energy", "healthcare", "ict"]
GROUPS = ["g:asean", "g:east-asia", "g:eu27"]


def _pool(
    v: MemberView,
    by_country: Mapping[str, Sequence[IntelCandidate]],
    everywhere: Sequence[IntelCandidate],
    by_sector: Mapping[str, Sequence[IntelCandidate]],
) -> dict[int, IntelCandidate]:
    """The items a member's follows reach, walked one by one (the reference for the bit
    sets): by each followed country, the global ones when any country is followed, by
    each followed sector."""
    pool: dict[int, IntelCandidate] = {}
    for code in v.country_source:
        for item in by_country.get(code, ()):
            pool[item.id] = item
    if v.country_source:
        for item in everywhere:
            pool[item.id] = item
    for slug in v.sectors:
        for item in by_sector.get(slug, ()):
            pool[item.id] = item
    return pool


def _reference_intel(
    v: MemberView,
) -> tuple[list[IntelCandidate], int, list[tuple[tuple[str, str], int]]]:
    pool = _pool(v, v.c.intel_by_country, v.c.intel_global, v.c.intel_by_sector)
    any_country = bool(v.country_source)
    scored = []
    matched: Counter[tuple[str, str]] = Counter()
    for item in pool.values():
        if not v.in_window(item.added_at) or v.mine(item.author_id):
            continue
        hits = v.matched_follows(item.countries, item.sectors)
        matched.update(hits)
        sector_hit = any(kind == "sector" for kind, _ in hits)
        country_hit = any(kind != "sector" for kind, _ in hits) or (item.is_global and any_country)
        scored.append((
            -item.specific, -(country_hit + sector_hit), -item.added_at.timestamp(), -item.id,
            item,
        ))  # fmt: skip
    first = heapq.nsmallest(SECTION_CAP, scored, key=lambda row: row[:4])
    return [item for *_, item in first], len(scored), matched.most_common()


def _reference_deadlines(v: MemberView) -> tuple[list[IntelCandidate], int]:
    pool = _pool(v, v.c.deadlines_by_country, v.c.deadlines_global, v.c.deadlines_by_sector)
    chosen = sorted(
        (
            i for i in pool.values()
            if i.deadline is not None and not v.mine(i.author_id)
            and v.now <= i.deadline <= v.now + dt.timedelta(days=DEADLINE_DAYS)
        ),
        key=lambda i: (i.deadline, i.id),
    )  # fmt: skip
    return chosen[:SECTION_CAP], len(chosen)


def _candidates(rng: random.Random, count: int, *, shuffled: bool) -> Candidates:
    items = []
    for i in range(count):
        # Few distinct times: many ties, broken by id.
        added = NOW - dt.timedelta(hours=rng.choice([1, 2, 3, 30, 100, 200, 300]))
        deadline = NOW + dt.timedelta(
            days=rng.choice([-1, 0, 1, 3, 13, 14, 20]), hours=rng.choice([0, 1])
        )
        items.append(
            IntelCandidate(
                id=1000 + i * 7 % 97 + i * 100, title=f"Item {i}", kind="funding_call",
                countries=frozenset(rng.sample(COUNTRIES, rng.choice([0, 1, 1, 2, 3, 6]))),
                sectors=frozenset(rng.sample(SECTORS, rng.choice([0, 1, 1, 2]))),
                is_global=rng.random() < 0.15, author_id=rng.choice([None, None, 1, 2, 3]),
                added_at=added, deadline=deadline if rng.random() < 0.9 else None,
                excerpt="", search_date=added, specific=rng.random() < 0.5,
            )
        )  # fmt: skip
    intel = sorted(items, key=lambda i: (-i.added_at.timestamp(), -i.id))
    deadlines = sorted(
        (i for i in items if i.deadline is not None and NOW <= i.deadline <= NOW + dt.timedelta(days=14)),
        key=lambda i: (i.deadline, i.id),  # type: ignore[arg-type, return-value]
    )  # fmt: skip
    if shuffled:
        rng.shuffle(intel)
        rng.shuffle(deadlines)
    return Candidates(
        window_start=NOW - dt.timedelta(days=14), window_end=NOW, now=NOW, intel=intel,
        deadlines=deadlines, threads=[], replies={}, reply_threads={}, events=[],
        follower_counts={}, sector_names={}, category_names={}, partnership_names={},
    )  # fmt: skip


def _view(settings: Settings, c: Candidates, rng: random.Random, days: int) -> MemberView:
    interests = MemberInterests()
    interests.follows["country"] = set(rng.sample(COUNTRIES, rng.choice([0, 1, 2, 4])))
    interests.follows["region_group"] = set(rng.sample(GROUPS, rng.choice([0, 0, 1, 2])))
    interests.follows["sector"] = set(rng.sample(SECTORS, rng.choice([0, 1, 2])))
    user = User(id=rng.choice([1, 2, 4]), email="reader@example.invalid", name="Reader")
    return MemberView(
        settings, user, c, interests, window_start=NOW - dt.timedelta(days=days), window_end=NOW,
        now=NOW,
    )  # fmt: skip


@pytest.mark.parametrize("shuffled", [False, True])
def test_the_pools_pick_what_the_per_item_rules_pick(settings: Settings, shuffled: bool) -> None:
    rng = random.Random(26 + shuffled)
    checked = 0
    for _ in range(12):
        c = _candidates(rng, rng.choice([0, 5, 40, 300]), shuffled=shuffled)
        for _ in range(25):
            view = _view(settings, c, rng, rng.choice([1, 7, 14]))
            first, total, matched = _reference_intel(view)
            picked = pick_intel(view, SECTION_CAP)
            assert [i.id for i in picked.first] == [i.id for i in first]
            assert (picked.total, picked.matched) == (total, matched)
            closing, closing_total = _reference_deadlines(view)
            soonest = pick_deadlines(view, SECTION_CAP)
            assert [i.id for i in soonest.first] == [i.id for i in closing]
            assert soonest.total == closing_total
            checked += bool(total)
    assert checked > 100  # most views had something to pick
