"""Joint-mission hints: events that two or more partnerships with a target country in
common are going to, and quarters in which they go to the same country."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from forum.core import formats
from forum.core.db import utcnow
from forum.core.i18n import _
from forum.events.attendance import partnerships_going
from forum.events.models import Event
from forum.partnerships.matching import countries_in_sentence, linked_words
from forum.partnerships.models import Partnership, PartnershipCountry
from forum.taxonomy.regions import UnknownCountryError, is_european
from forum.taxonomy.service import Country, countries_for, get_country


def country_links(countries: Sequence[Country]) -> Markup:
    """Links to the countries' pages, named and joined in the reader's language."""
    return linked_words([(c.url, c.label) for c in countries])


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
        names = formats.format_list([p.name for p in self.partnerships])
        where = countries_in_sentence(self.shared_countries)
        if len(self.partnerships) == 2:
            return _("%(names)s are going; both target %(countries)s", names=names, countries=where)
        return _(
            "%(names)s are going; several of them target %(countries)s",
            names=names,
            countries=where,
        )

    @property
    def partnership_links(self) -> Markup:
        """The partnerships going, as links joined in the reader's language."""
        return linked_words([(f"/partnerships/{p.slug}", p.name) for p in self.partnerships])

    @property
    def country_links(self) -> Markup:
        return country_links(self.shared_countries)

    def links_to(self, countries: Sequence[Country]) -> Markup:
        """`countries` (those shared with one other partnership) as links."""
        return country_links(countries)

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
        return _("Q%(quarter)s %(year)s", quarter=self.quarter, year=self.year)

    @property
    def reason(self) -> str:
        names = formats.format_list([p.name for p, _ in self.going])
        where = countries_in_sentence([self.country])
        return _(
            "%(names)s go to %(country)s in %(quarter)s",
            names=names,
            country=where,
            quarter=self.label,
        )

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
