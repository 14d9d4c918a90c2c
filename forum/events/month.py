"""The month view of the calendar: a month's events by day, in weeks, and the loosely dated
ones apart."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from babel import dates as babel_dates
from sqlalchemy.orm import Session

from forum.core import i18n
from forum.core.i18n import _
from forum.events.listing import EventFilter, all_events, today_utc
from forum.events.models import Event
from forum.events.service import EventError


def _skeleton(skeleton: str, day: dt.date) -> str:
    """`day` by a CLDR skeleton in the reader's language ("MMMMd": 11 March, 11 mars)."""
    locale = i18n.babel_locale(i18n.language())
    return i18n.decorate(babel_dates.format_skeleton(skeleton, day, locale=locale))


@dataclass
class Day:
    day: dt.date
    events: list[Event]

    @property
    def label(self) -> str:
        """Tuesday 12 March (as the reader's language writes it)."""
        return _skeleton("MMMMEEEEd", self.day)


@dataclass
class Week:
    monday: dt.date
    days: list[Day]

    @property
    def label(self) -> str:
        """11 March: the week's Monday."""
        return _skeleton("MMMMd", self.monday)


@dataclass
class MonthView:
    """A month's events by day, grouped in weeks (Monday first), listing only days with
    events. An event shows on its first day, or on the 1st when it began the month before.
    Events whose dates are worded loosely ("April 2019") are listed apart in `loose`."""

    year: int
    month: int
    weeks: list[Week]
    loose: list[Event]

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def prev_key(self) -> str:
        prev = self.first - dt.timedelta(days=1)
        return f"{prev.year:04d}-{prev.month:02d}"

    @property
    def next_key(self) -> str:
        after = self.first + dt.timedelta(days=31)
        return f"{after.year:04d}-{after.month:02d}"

    @property
    def empty(self) -> bool:
        return not self.weeks and not self.loose


def parse_month(value: str | None, *, today: dt.date | None = None) -> tuple[int, int]:
    """`YYYY-MM` to (year, month); the current month when empty. Raises EventError."""
    if not value:
        today = today or today_utc()
        return today.year, today.month
    try:
        year, month = (int(part) for part in value.split("-"))
        dt.date(year, month, 1)
    except ValueError as exc:
        raise EventError(_("Give the month as YYYY-MM, e.g. 2019-04."), "m") from exc
    if not 1900 <= year <= 2200:
        raise EventError(_("Give a month between 1900 and 2200."), "m")
    return year, month


def month_view(db: Session, year: int, month: int, flt: EventFilter) -> MonthView:
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    in_month = EventFilter(
        countries=flt.countries, sectors=flt.sectors, partnership_ids=flt.partnership_ids,
        in_europe=flt.in_europe, date_from=first, date_to=last, when="all",
    )  # fmt: skip
    events = all_events(db, in_month)
    loose = [e for e in events if e.date_text]
    by_day: dict[dt.date, list[Event]] = defaultdict(list)
    for event in events:
        if event.date_text or event.starts_on is None:
            continue
        by_day[max(event.starts_on, first)].append(event)
    weeks: dict[dt.date, Week] = {}
    for day in sorted(by_day):
        monday = day - dt.timedelta(days=day.weekday())
        weeks.setdefault(monday, Week(monday, [])).days.append(Day(day, by_day[day]))
    return MonthView(year, month, list(weeks.values()), loose)
