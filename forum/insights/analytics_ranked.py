"""The searches section's ranked tables at scale: the most frequent queries (all, or those
that found nothing) and filters, exact, from weekly rollups where the job stored them.

A closed week's rollup (`models.AnalyticsQueryWeek`) keeps its KEPT most frequent
(query, country filter) pairs and a floor: the count of the most frequent pair it does not
keep. Over a period, a pair's stored and live counts are a lower bound of its total, and
adding the floor of each stored week that does not keep it gives an upper bound; a pair
never kept has at most the sum of the floors. Only the pairs whose upper bound reaches
the TOP-th lower bound can be in the table: a pair every stored week keeps is exact
already, the others' totals are counted in the search log (an index by text and filter
finds them); the rest cannot rank. When the bounds
cannot decide (flat traffic, where every pair is rare), the whole period is counted live,
which is then cheap enough. Filters are few: every one is kept, the sum is exact.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from forum.discovery.models import SearchLogEntry
from forum.insights.models import AnalyticsQueryWeek
from forum.insights.weekly import cut_weeks, moment, runs, split

KEPT = 500  # pairs kept per closed week and scope
SHALLOW = 40  # pairs of each stored week read first: enough when searches are skewed
MOST_CANDIDATES = 200  # above this many pairs to count exactly, count the period live
Pair = tuple[str, str]  # (text, countries)


@dataclass(frozen=True)
class Ranked:
    text: str
    countries: str
    searches: int
    without_result: int


def _range(start: dt.datetime, end: dt.datetime) -> list[ColumnElement[bool]]:
    return [SearchLogEntry.logged_at >= start, SearchLogEntry.logged_at < end]


def live_pairs(
    db: Session, start: dt.datetime, end: dt.datetime, *, empty: bool
) -> dict[Pair, tuple[int, int]]:
    """(searches, found nothing) per (text, countries) in [start, end); with `empty` the
    searches that found nothing only."""
    return _pair_counts(db, [(start, end)], empty=empty)


def _pair_counts(
    db: Session,
    ranges: list[tuple[dt.datetime, dt.datetime]],
    *,
    empty: bool,
    only: Collection[Pair] | None = None,
    at_least: int = 0,
    keep: Collection[Pair] = (),
) -> dict[Pair, tuple[int, int]]:
    """`live_pairs` over several ranges, in one statement. With `only`, those pairs alone
    (each a range of the index by text and filter). With `at_least` above 1, only the pairs
    searched that often there and those of `keep` (the pairs the stored weeks keep, whose
    counts add up), so that a day's thousands of rare pairs are not fetched."""
    if not ranges or (only is not None and not only):
        return {}
    nothing = func.sum(case((SearchLogEntry.result_count == 0, 1), else_=0))
    pair = tuple_(SearchLogEntry.text, SearchLogEntry.countries)
    query = (
        select(SearchLogEntry.text, SearchLogEntry.countries, func.count(), nothing)
        .where(or_(*(and_(*_range(low, high)) for low, high in ranges)))
        .group_by(SearchLogEntry.text, SearchLogEntry.countries)
    )
    if empty:
        query = query.where(SearchLogEntry.result_count == 0)
    if only is not None:
        query = query.where(pair.in_(sorted(only)))
    if at_least > 1:
        often = func.count() >= at_least
        query = query.having(or_(often, pair.in_(sorted(keep))) if keep else often)
    return {(t, c): (int(n), int(z or 0)) for t, c, n, z in db.execute(query)}


def live_filters(db: Session, start: dt.datetime, end: dt.datetime) -> Counter[Pair]:
    """Searches per (kind, value) of the country and sector filters used in [start, end):
    counted per pair of filters in the database (a few hundred a day), then split."""
    used: Counter[Pair] = Counter()
    rows = db.execute(
        select(SearchLogEntry.countries, SearchLogEntry.sectors, func.count())
        .where(
            *_range(start, end),
            (SearchLogEntry.countries != "") | (SearchLogEntry.sectors != ""),
        )
        .group_by(SearchLogEntry.countries, SearchLogEntry.sectors)
    )
    for countries, sectors, n in rows:
        for c in countries.split(","):
            if c:
                used["country", c] += n
        for s in sectors.split(","):
            if s:
                used["sector", s] += n
    return used


def ordered(counts: dict[Pair, tuple[int, int]], top: int) -> list[Ranked]:
    """The `top` most frequent pairs; ties by text, then filter."""
    found = (kv for kv in counts.items() if kv[1][0] > 0)  # none when a cut week's days left
    best = sorted(found, key=lambda kv: (-kv[1][0], kv[0]))[:top]
    return [Ranked(t, c, n, z) for (t, c), (n, z) in best]


def roll_up(db: Session, closed: list[dt.date]) -> int:
    """Store the ranked tables of each week of `closed` (Mondays) not stored yet."""
    stored = set(
        db.scalars(
            select(AnalyticsQueryWeek.week).where(AnalyticsQueryWeek.week.in_(closed)).distinct()
        )
    )
    done = 0
    for week in (w for w in closed if w not in stored):
        start, end = moment(week), moment(week + dt.timedelta(weeks=1))
        rows: list[dict[str, object]] = []
        for scope in ("all", "empty"):
            counts = live_pairs(db, start, end, empty=scope == "empty")
            ranked = ordered(counts, len(counts))
            floor = ranked[KEPT].searches if len(ranked) > KEPT else 0
            rows.append(_row(week, scope, 0, Ranked("", "", floor, 0)))
            rows.extend(_row(week, scope, n, r) for n, r in enumerate(ranked[:KEPT], start=1))
        used = sorted(live_filters(db, start, end).items(), key=lambda kv: (-kv[1], kv[0]))
        rows.append(_row(week, "filters", 0, Ranked("", "", 0, 0)))
        rows.extend(
            _row(week, "filters", n, Ranked(kind, value, count, 0))
            for n, ((kind, value), count) in enumerate(used, start=1)
        )
        db.execute(insert(AnalyticsQueryWeek), rows)
        done += 1
    return done


def _row(week: dt.date, scope: str, position: int, ranked: Ranked) -> dict[str, object]:
    return {
        "week": week,
        "scope": scope,
        "position": position,
        "text": ranked.text,
        "countries": ranked.countries,
        "searches": ranked.searches,
        "without_result": ranked.without_result,
    }


def _stored(
    db: Session, scope: str, closed: list[dt.date], depth: int | None = None
) -> tuple[dict[dt.date, int], list[tuple[dt.date, str, str, int, int]]]:
    """The floors of the closed weeks stored for `scope`, and their kept rows; with
    `depth`, only the first `depth` of those, the next one's count being the floor (every
    pair after it counts as much or less)."""
    floors: dict[dt.date, int] = {}
    kept: list[tuple[dt.date, str, str, int, int]] = []
    if not closed:
        return floors, kept
    deeper: dict[dt.date, int] = {}
    query = select(
        AnalyticsQueryWeek.week,
        AnalyticsQueryWeek.position,
        AnalyticsQueryWeek.text,
        AnalyticsQueryWeek.countries,
        AnalyticsQueryWeek.searches,
        AnalyticsQueryWeek.without_result,
    ).where(
        AnalyticsQueryWeek.scope == scope,
        AnalyticsQueryWeek.week >= closed[0],
        AnalyticsQueryWeek.week <= closed[-1],
        AnalyticsQueryWeek.week.in_(closed),
    )
    if depth is not None:
        query = query.where(AnalyticsQueryWeek.position <= depth + 1)
    for week, position, text, countries, searches, nothing in db.execute(query):
        if position == 0:
            floors[week] = searches
        elif depth is not None and position > depth:
            deeper[week] = searches
        else:
            kept.append((week, text, countries, searches, nothing))
    return {week: deeper.get(week, floor) for week, floor in floors.items()}, kept


def _stored_weeks(db: Session, scope: str, closed: list[dt.date]) -> set[dt.date]:
    """Those of the closed weeks (sorted Mondays) whose ranked table of `scope` is stored."""
    if not closed:
        return set()
    return set(
        db.scalars(
            select(AnalyticsQueryWeek.week).where(
                AnalyticsQueryWeek.scope == scope,
                AnalyticsQueryWeek.position == 0,
                AnalyticsQueryWeek.week >= closed[0],
                AnalyticsQueryWeek.week <= closed[-1],
                AnalyticsQueryWeek.week.in_(closed),
            )
        )
    )


def _live_weeks(
    weeks: list[dt.date], stored: set[dt.date], first: dt.date, last: dt.date
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """The [start, end) ranges of the period not answered by a stored week."""
    start, end = moment(first), moment(last + dt.timedelta(days=1))
    for run in runs([w for w in weeks if w not in stored]):
        yield max(start, moment(run[0])), min(end, moment(run[-1] + dt.timedelta(weeks=1)))


def top_pairs(db: Session, first: dt.date, last: dt.date, *, empty: bool, top: int) -> list[Ranked]:
    """The `top` most frequent pairs searched on the days `first` to `last`, exactly: from
    the first SHALLOW pairs each stored week keeps, then all it keeps, then the log."""
    start, end = moment(first), moment(last + dt.timedelta(days=1))
    weeks, closed = split(first, last)
    cut = cut_weeks(first, last)
    scope = "empty" if empty else "all"
    live: dict[Pair, tuple[int, int]] = {}
    outside: dict[dt.date, dict[Pair, tuple[int, int]]] = {w: {} for w in cut}
    at_least = 0
    for depth in (SHALLOW, None):
        floors, kept = _stored(db, scope, sorted({*closed, *cut}), depth)
        _count_outside(db, cut, floors, kept, outside, empty)
        kept = _less(kept, outside)
        if not floors:
            break
        ranges = list(_live_weeks(weeks, set(floors), first, last))
        if depth == SHALLOW:  # the weeks not stored, counted for the pairs that can rank
            at_least = _enough(floors, kept, top)
            keep = {(t, c) for _, t, c, _, _ in kept}
            live = _pair_counts(db, ranges, empty=empty, at_least=at_least, keep=keep)
        elif at_least > 1:  # the deeper rows keep more pairs: every one counted
            live = _pair_counts(db, ranges, empty=empty)
        found = _decide(db, (start, end), floors, kept, live, empty=empty, top=top)
        if found is not None:
            return found
    return ordered(live_pairs(db, start, end, empty=empty), top)


def _enough(
    floors: dict[dt.date, int], kept: list[tuple[dt.date, str, str, int, int]], top: int
) -> int:
    """The searches a pair that no stored week keeps needs in the other weeks to matter:
    the `top`-th largest sum of kept rows (a lower bound of the table's last count) less
    every floor (the most such a pair can have in the stored weeks). With fewer, it
    cannot rank, nor move that last count (it is under it)."""
    sums: dict[Pair, int] = {}
    for week, text, countries, searches, _ in kept:
        if week in floors:
            sums[text, countries] = sums.get((text, countries), 0) + searches
    ranked = sorted(sums.values(), reverse=True)
    return (ranked[top - 1] if len(ranked) >= top else 0) - sum(floors.values())


def _count_outside(
    db: Session,
    cut: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]],
    floors: dict[dt.date, int],
    kept: list[tuple[dt.date, str, str, int, int]],
    outside: dict[dt.date, dict[Pair, tuple[int, int]]],
    empty: bool,
) -> None:
    """Add to `outside` the searches on the days outside the period of each stored week
    it cuts, for the pairs that week keeps not counted yet: `_less` reads no other (a
    pair the week does not keep is bounded by its floor, whatever its days outside)."""
    for week, ranges in cut.items():
        if week not in floors:
            continue
        counted = outside[week]
        wanted = {(t, c) for w, t, c, _, _ in kept if w == week and (t, c) not in counted}
        if not wanted:
            continue
        counted.update(dict.fromkeys(wanted, (0, 0)))
        counted.update(_pair_counts(db, ranges, empty=empty, only=wanted))


def _less(
    kept: list[tuple[dt.date, str, str, int, int]],
    outside: dict[dt.date, dict[Pair, tuple[int, int]]],
) -> list[tuple[dt.date, str, str, int, int]]:
    """The kept rows of a week the period cuts, less their searches on its days outside
    the period (its floor stays a bound: a pair's part of a week is at most its week)."""
    if not outside:
        return kept
    out = []
    for week, text, countries, searches, nothing in kept:
        less = outside.get(week, {}).get((text, countries), (0, 0))
        out.append((week, text, countries, searches - less[0], nothing - less[1]))
    return out


def _decide(
    db: Session,
    bounds: tuple[dt.datetime, dt.datetime],
    floors: dict[dt.date, int],
    kept: list[tuple[dt.date, str, str, int, int]],
    live: dict[Pair, tuple[int, int]],
    *,
    empty: bool,
    top: int,
) -> list[Ranked] | None:
    """The `top` pairs from the stored weeks' `floors` and `kept` rows and the `live`
    counts of the other weeks; None when these bounds cannot decide."""
    known: dict[Pair, list[int]] = {pair: list(counts) for pair, counts in live.items()}
    seen: dict[Pair, set[dt.date]] = {}  # the stored weeks that keep the pair
    for week, text, countries, searches, nothing in kept:
        if week in floors:
            counts = known.setdefault((text, countries), [0, 0])
            counts[0] += searches
            counts[1] += nothing
            seen.setdefault((text, countries), set()).add(week)
    lowest = sorted((counts[0] for counts in known.values()), reverse=True)
    bound = lowest[top - 1] if len(lowest) >= top else 0
    all_floors = sum(floors.values())
    if all_floors and all_floors >= bound:  # a pair never kept might still rank
        return None
    exact: dict[Pair, tuple[int, int]] = {}
    unsure = []
    for pair, (searches, nothing) in known.items():
        gap = all_floors - sum(floors[w] for w in seen.get(pair, ()))
        if searches + gap < bound:
            continue  # cannot rank
        if gap:
            unsure.append(pair)
        else:  # kept by every stored week (or no stored week dropped anything): exact
            exact[pair] = (searches, nothing)
    if len(unsure) > MOST_CANDIDATES:
        return None
    for pair in unsure:
        exact[pair] = _count_pair(db, pair, bounds, empty=empty)
    return ordered(exact, top)


def _count_pair(
    db: Session, pair: Pair, bounds: tuple[dt.datetime, dt.datetime], *, empty: bool
) -> tuple[int, int]:
    """(searches, found nothing) of one pair in [start, end): a range of the index by
    text and filter (ix_search_log_query), whatever the period."""
    nothing = func.sum(case((SearchLogEntry.result_count == 0, 1), else_=0))
    query = select(func.count(), nothing).where(
        SearchLogEntry.text == pair[0], SearchLogEntry.countries == pair[1], *_range(*bounds)
    )
    if empty:
        query = query.where(SearchLogEntry.result_count == 0)
    searches, found_nothing = db.execute(query).one()
    return int(searches), int(found_nothing or 0)


def top_filters(db: Session, first: dt.date, last: dt.date, *, top: int) -> list[Ranked]:
    """The `top` filters most used on the days `first` to `last` (kind as text, value as
    countries), exactly: stored weeks keep every filter."""
    weeks, closed = split(first, last)
    cut = cut_weeks(first, last)
    used: Counter[Pair] = Counter()
    floors = _stored_weeks(db, "filters", sorted({*closed, *cut}))
    if floors:  # summed in the database: some 250 filters a week
        for kind, value, searches in db.execute(
            select(
                AnalyticsQueryWeek.text,
                AnalyticsQueryWeek.countries,
                func.sum(AnalyticsQueryWeek.searches),
            )
            .where(
                AnalyticsQueryWeek.scope == "filters",
                AnalyticsQueryWeek.week.in_(sorted(floors)),
                AnalyticsQueryWeek.position > 0,
            )
            .group_by(AnalyticsQueryWeek.text, AnalyticsQueryWeek.countries)
        ):
            used[kind, value] += int(searches)
    for week, ranges in cut.items():
        if week in floors:
            for low, high in ranges:
                used.subtract(live_filters(db, low, high))
    for low, high in _live_weeks(weeks, set(floors), first, last):
        used.update(live_filters(db, low, high))
    best = sorted(((k, n) for k, n in used.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))
    best = best[:top]
    return [Ranked(kind, value, n, 0) for (kind, value), n in best]
