"""Matchmaking: which partnerships have most in common with a partnership or a member.

Score = 2 × shared target countries + 3 × shared sectors; ties by name; a score of zero
is no match. Every match says why, in words, so a reader can judge it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy import Integer, Select, and_, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.core.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor
from forum.events.models import Event
from forum.events.service import partnerships_going
from forum.notifications.service import list_follows
from forum.partnerships.models import Partnership, PartnershipCountry, partnership_sector
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import UnknownCountryError, expand_codes, is_european
from forum.taxonomy.service import Country, countries_for, get_country

COUNTRY_WEIGHT = 2
SECTOR_WEIGHT = 3

# Country names that read with "the" inside a sentence ("both target the United States").
_WITH_ARTICLE = frozenset(
    {"Bahamas", "Comoros", "Gambia", "Maldives", "Netherlands", "Philippines", "Seychelles"}
)
_ARTICLE_PREFIXES = ("United ", "Central African", "Dominican Republic", "Czech Republic")
_ARTICLE_SUFFIXES = (" Islands", " Republic", " Federation", " Emirates")


@dataclass(frozen=True)
class Interests:
    """What a match is measured against: ISO country codes and sector ids."""

    countries: frozenset[str]
    sector_ids: frozenset[int]
    # Partnerships never offered as matches (the subject itself).
    exclude: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.countries and not self.sector_ids


@dataclass(frozen=True)
class Match:
    partnership: Partnership
    score: int
    shared_countries: list[Country]
    shared_sectors: list[Sector]
    reasons: list[str]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def sentence(self) -> str:
        """The reason as a sentence: "Both target Japan; both work in healthcare."."""
        return f"{self.reason[:1].upper()}{self.reason[1:]}." if self.reason else ""


def country_in_sentence(name: str) -> str:
    """`name` as it reads after a verb: "the United States", "Japan"."""
    if (
        name in _WITH_ARTICLE
        or name.startswith(_ARTICLE_PREFIXES)
        or name.endswith(_ARTICLE_SUFFIXES)
    ):
        return f"the {name}"
    return name


def sector_in_sentence(name: str) -> str:
    """ "Healthcare" -> "healthcare"; acronyms ("ICT") keep their capitals."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def join_words(words: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def reasons_for(
    countries: Sequence[Country], sectors: Sequence[Sector], *, subject: str
) -> list[str]:
    """The reasons in words: ["both target Canada and the United States", "both work in healthcare"].

    `subject` starts each reason: "both" for two partnerships, "you both" for a member.
    """
    out = []
    if countries:
        out.append(
            f"{subject} target {join_words([country_in_sentence(c.name) for c in countries])}"
        )
    if sectors:
        out.append(f"{subject} work in {join_words([sector_in_sentence(s.name) for s in sectors])}")
    return out


def interests_of_partnership(partnership: Partnership) -> Interests:
    return Interests(
        countries=frozenset(partnership.country_codes),
        sector_ids=frozenset(s.id for s in partnership.sectors),
        exclude=frozenset({partnership.id}),
    )


def interests_of_member(db: Session, user: User) -> Interests:
    """A member's partnership (once approved) plus their country, region and sector follows.

    Their own partnership is never offered as a match.
    """
    follows = list_follows(db, user.id)
    countries = set(follows.get("country", []))
    for group in follows.get("region_group", []):
        # A group retired since it was followed no longer counts; the others still do.
        with suppress(UnknownCountryError):
            countries.update(expand_codes([group]))
    slugs = follows.get("sector", [])
    sector_ids = (
        set(db.scalars(select(Sector.id).where(Sector.slug.in_(slugs)))) if slugs else set()
    )
    exclude: set[int] = set()
    own = user.partnership
    if own is not None:
        countries.update(own.country_codes)
        sector_ids.update(s.id for s in own.sectors)
        exclude.add(own.id)
    return Interests(frozenset(countries), frozenset(sector_ids), frozenset(exclude))


def _ranked(interests: Interests) -> Select[int, str, int]:
    """(id, name, score) of every partnership with a score above zero, unordered.

    One row per shared country (worth 2) and per shared sector (worth 3), summed per
    partnership: only partnerships with something in common are ever read. The weights are
    written into the SQL, not bound: PostgreSQL cannot type a bare parameter in a UNION.
    """
    points = union_all(
        select(
            PartnershipCountry.partnership_id.label("pid"),
            literal_column(str(COUNTRY_WEIGHT), Integer).label("w"),
        ).where(PartnershipCountry.country_code.in_(sorted(interests.countries))),
        select(
            partnership_sector.c.partnership_id.label("pid"),
            literal_column(str(SECTOR_WEIGHT), Integer).label("w"),
        ).where(partnership_sector.c.sector_id.in_(sorted(interests.sector_ids))),
    ).subquery()
    scores = (
        select(points.c.pid, func.sum(points.c.w).label("score")).group_by(points.c.pid).subquery()
    )
    stmt = select(Partnership.id.label("id"), Partnership.name.label("name"), scores.c.score).join(
        scores, scores.c.pid == Partnership.id
    )
    if interests.exclude:
        stmt = stmt.where(Partnership.id.not_in(sorted(interests.exclude)))
    return stmt


def _explain(
    db: Session, interests: Interests, rows: Iterable[tuple[int, int]], *, subject: str
) -> list[Match]:
    """Matches for (id, score) rows, in their order, with shared countries and sectors."""
    pairs = list(rows)
    loaded = {
        p.id: p
        for p in db.scalars(
            select(Partnership)
            .where(Partnership.id.in_([pid for pid, _ in pairs]))
            .options(selectinload(Partnership.sectors), selectinload(Partnership.country_rows))
        )
    }
    out = []
    for pid, score in pairs:
        partnership = loaded[pid]
        countries = countries_for(set(partnership.country_codes) & interests.countries)
        sectors = [s for s in partnership.sectors if s.id in interests.sector_ids]
        out.append(
            Match(
                partnership=partnership,
                score=int(score),
                shared_countries=countries,
                shared_sectors=sectors,
                reasons=reasons_for(countries, sectors, subject=subject),
            )
        )
    return out


def list_matches(
    db: Session,
    interests: Interests,
    *,
    subject: str = "both",
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[Match], str | None]:
    """Best matches first (score, then name), by keyset cursor; the next cursor or None.

    Raises InvalidCursorError for a cursor this function did not make.
    """
    if interests.empty:
        return [], None
    ranked = _ranked(interests).subquery()
    stmt = select(ranked.c.id, ranked.c.score, ranked.c.name)
    if cursor:
        score, name, last_id = decode_cursor(cursor, arity=3)
        if not (isinstance(score, int) and isinstance(name, str) and isinstance(last_id, int)):
            raise InvalidCursorError
        stmt = stmt.where(
            or_(
                ranked.c.score < score,
                and_(
                    ranked.c.score == score,
                    or_(ranked.c.name > name, and_(ranked.c.name == name, ranked.c.id > last_id)),
                ),
            )
        )
    rows = list(
        db.execute(
            stmt.order_by(ranked.c.score.desc(), ranked.c.name, ranked.c.id).limit(limit + 1)
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last_id, last_score, last_name = rows[-1]
        next_cursor = encode_cursor([int(last_score), last_name, last_id])
    return _explain(db, interests, ((r[0], r[1]) for r in rows), subject=subject), next_cursor


def page_matches(
    db: Session,
    interests: Interests,
    *,
    page: int,
    per_page: int,
    base_path: str,
    subject: str = "both",
) -> Page[Match]:
    """One numbered page of matches for an HTML list."""
    if interests.empty:
        return Page([], page, per_page, 0, base_path, {})
    ranked = _ranked(interests).subquery()
    total = db.scalar(select(func.count()).select_from(ranked)) or 0
    rows = db.execute(
        select(ranked.c.id, ranked.c.score)
        .order_by(ranked.c.score.desc(), ranked.c.name, ranked.c.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = _explain(db, interests, ((r[0], r[1]) for r in rows), subject=subject)
    return Page(items, page, per_page, total, base_path, {})


def matches_for_partnership(
    db: Session, partnership: Partnership, *, limit: int = 20
) -> list[Match]:
    """The best `limit` matches of `partnership`, best first."""
    matches, _ = list_matches(db, interests_of_partnership(partnership), limit=limit)
    return matches


# --- joint-mission hints -------------------------------------------------------------------


@dataclass(frozen=True)
class EventHint:
    """An event that two or more partnerships with a target country in common are going to."""

    event: Event
    partnerships: list[Partnership]  # those sharing a target with another one going
    shared_countries: list[Country]  # targeted by at least two of them
    past: bool
    targets: dict[int, frozenset[str]]

    @property
    def reason(self) -> str:
        names = join_words([p.name for p in self.partnerships])
        where = join_words([country_in_sentence(c.name) for c in self.shared_countries])
        both = "both" if len(self.partnerships) == 2 else "several of them"
        return f"{names} are going; {both} target {where}"

    def shared_with(self, partnership_id: int) -> list[tuple[Partnership, list[Country]]]:
        """The others going and the targets each shares with `partnership_id`."""
        mine = self.targets.get(partnership_id, frozenset())
        out = []
        for other in self.partnerships:
            common = mine & self.targets.get(other.id, frozenset())
            if other.id != partnership_id and common:
                out.append((other, countries_for(common)))
        return out


@dataclass(frozen=True)
class QuarterHint:
    """A country outside Europe that several partnerships go to, by their events, in one quarter."""

    country: Country
    year: int
    quarter: int
    going: list[tuple[Partnership, list[Event]]]
    past: bool

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"

    @property
    def reason(self) -> str:
        names = join_words([p.name for p, _ in self.going])
        return f"{names} go to {country_in_sentence(self.country.name)} in {self.label}"

    def involves(self, partnership_id: int) -> bool:
        return any(p.id == partnership_id for p, _ in self.going)


def _quarter(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _targets(db: Session, partnership_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = {}
    for pid, code in db.execute(
        select(PartnershipCountry.partnership_id, PartnershipCountry.country_code).where(
            PartnershipCountry.partnership_id.in_(sorted(set(partnership_ids)))
        )
    ):
        found.setdefault(pid, set()).add(code)
    return {pid: frozenset(codes) for pid, codes in found.items()}


def _european(code: str | None) -> bool:
    try:
        return is_european(code or "")
    except UnknownCountryError:
        return False


def _is_past(event: Event, today: dt.date) -> bool:
    return event.ends_on is not None and event.ends_on < today


def _upcoming_first(past: bool, start: dt.date | None, name: str) -> tuple[int, int, str]:
    """Upcoming by first day (unknown last), then past newest first."""
    if past:
        return (2, -(start.toordinal() if start else 0), name)
    return (0 if start else 1, start.toordinal() if start else 0, name)


def event_hints(
    db: Session, *, partnership_id: int | None = None, today: dt.date | None = None
) -> list[EventHint]:
    """Events two or more partnerships with a shared target are going to (listing the event
    or marked "going"), upcoming first; only those `partnership_id` is among, when given."""
    today = today or utcnow().date()
    going = {eid: pids for eid, pids in partnerships_going(db).items() if len(pids) > 1}
    if partnership_id is not None:
        going = {eid: pids for eid, pids in going.items() if partnership_id in pids}
    targets = _targets(db, (pid for pids in going.values() for pid in pids))
    chosen: dict[int, tuple[set[int], set[str]]] = {}
    for eid, pids in going.items():
        sharing: set[int] = set()
        shared: set[str] = set()
        ordered = sorted(pids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                common = targets.get(a, frozenset()) & targets.get(b, frozenset())
                if common:
                    sharing |= {a, b}
                    shared |= common
        if partnership_id is not None and partnership_id not in sharing:
            continue
        if sharing:
            chosen[eid] = (sharing, shared)
    if not chosen:
        return []
    events = {e.id: e for e in db.scalars(select(Event).where(Event.id.in_(sorted(chosen))))}
    partnerships = _partnerships_by_id(db, {pid for s, _ in chosen.values() for pid in s})
    hints = [
        EventHint(
            event=events[eid],
            partnerships=sorted((partnerships[pid] for pid in sharing), key=lambda p: p.name),
            shared_countries=countries_for(shared),
            past=_is_past(events[eid], today),
            targets={pid: targets.get(pid, frozenset()) for pid in sharing},
        )
        for eid, (sharing, shared) in chosen.items()
    ]
    hints.sort(key=lambda h: _upcoming_first(h.past, h.event.starts_on, h.event.name))
    return hints


def quarter_hints(
    db: Session, *, partnership_id: int | None = None, today: dt.date | None = None
) -> list[QuarterHint]:
    """Countries outside Europe that two or more partnerships go to in the same quarter, by
    the events they are going to there; upcoming quarters first.

    An event counts in a quarter when all its days fall in it: "2019" or "Summer 2019" say
    no quarter. Events in Europe are left out: the partnerships' targets are third markets.
    """
    today = today or utcnow().date()
    events = list(
        db.scalars(
            select(Event).where(
                Event.country_code.is_not(None),
                Event.starts_on.is_not(None),
                Event.ends_on.is_not(None),
                or_(Event.in_europe.is_(None), Event.in_europe.is_(False)),
            )
        )
    )
    by_id = {
        e.id: e
        for e in events
        if e.starts_on
        and e.ends_on
        and _quarter(e.starts_on) == _quarter(e.ends_on)
        and (e.in_europe is False or not _european(e.country_code))
    }
    groups: dict[tuple[str, int, int], dict[int, list[Event]]] = {}
    for eid, pids in partnerships_going(db, sorted(by_id)).items():
        event = by_id[eid]
        assert event.starts_on is not None
        assert event.country_code is not None
        key = (event.country_code, *_quarter(event.starts_on))
        for pid in pids:
            groups.setdefault(key, {}).setdefault(pid, []).append(event)
    groups = {k: v for k, v in groups.items() if len(v) > 1}
    if partnership_id is not None:
        groups = {k: v for k, v in groups.items() if partnership_id in v}
    partnerships = _partnerships_by_id(db, {pid for v in groups.values() for pid in v})
    hints = []
    for (code, year, quarter), going in groups.items():
        country = get_country(code)
        if country is None:
            continue
        # Past once the next quarter has begun.
        next_quarter = dt.date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
        hints.append(
            QuarterHint(
                country=country,
                year=year,
                quarter=quarter,
                going=sorted(
                    (
                        (partnerships[pid], sorted(evs, key=lambda e: (e.starts_on, e.name)))
                        for pid, evs in going.items()
                    ),
                    key=lambda pair: pair[0].name,
                ),
                past=next_quarter <= today,
            )
        )
    hints.sort(
        key=lambda h: _upcoming_first(h.past, dt.date(h.year, h.quarter * 3 - 2, 1), h.country.name)
    )
    return hints


def _partnerships_by_id(db: Session, ids: set[int]) -> dict[int, Partnership]:
    if not ids:
        return {}
    return {
        p.id: p
        for p in db.scalars(
            select(Partnership)
            .where(Partnership.id.in_(sorted(ids)))
            .options(selectinload(Partnership.sectors), selectinload(Partnership.country_rows))
        )
    }
