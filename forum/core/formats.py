"""Dates, times, numbers, plurals and the names of countries and languages, in the
reader's language and time zone: the one place that formats them (through Babel and
CLDR), for pages, emails and feeds alike. Templates use them as filters:

    {{ post.created_at|datetime }}   7 Dec 2026, 14:05 · 7 déc. 2026, 14:05
    {{ thread.created_at|date }}     7 Dec 2026 · 7 déc. 2026
    {{ item.deadline|date("long") }} 7 December 2026
    {{ note.created_at|timeago }}    3 days ago · il y a 3 jours
    {{ count|number }}               12,345 · 12 345
    {{ "KR"|country_name }}          South Korea · Corée du Sud
    <time datetime="{{ post.created_at|machine_time }}">   2026-12-07T13:05:00Z

A datetime without a time zone is read as UTC; it is shown in the reader's time zone.
A date (no time) is shown as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry
from babel import Locale, UnknownLocaleError, dates, lists, numbers

from forum.core import i18n

DateLike = dt.date | dt.datetime
Width = Literal["short", "medium", "long", "full"]


def _locale() -> str:
    return i18n.babel_locale(i18n.language())


@cache
def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(i18n.DEFAULT_TIMEZONE)


def reader_zone() -> dt.tzinfo:
    """The time zone of whoever is reading now (the member's, else the site's)."""
    return _zone(i18n.current().timezone)


def _local(value: dt.datetime) -> dt.datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(reader_zone())


def format_date(value: DateLike | None, format: Width = "medium") -> str:
    """A day: `short` 07/12/2026, `medium` 7 Dec 2026, `long` 7 December 2026, `full`
    Monday, 7 December 2026 (as the reader's language writes them)."""
    if value is None:
        return ""
    choice = i18n.current()
    locale = i18n.babel_locale(choice.language)
    if isinstance(value, dt.datetime):
        return i18n.decorate(_moment(locale, choice.timezone, _utc(value), format, "date"))
    return i18n.decorate(_day(locale, value, format))


def format_datetime(value: dt.datetime | None, format: Width = "medium") -> str:
    """A moment, to the minute, in the reader's time zone: 7 Dec 2026, 14:05."""
    if value is None:
        return ""
    choice = i18n.current()
    locale = i18n.babel_locale(choice.language)
    return i18n.decorate(_moment(locale, choice.timezone, _utc(value), format, "datetime"))


def format_time(value: dt.datetime | None) -> str:
    """The hour and minute in the reader's time zone: 14:05, 2:05 PM."""
    if value is None:
        return ""
    choice = i18n.current()
    locale = i18n.babel_locale(choice.language)
    return i18n.decorate(_moment(locale, choice.timezone, _utc(value), "short", "time"))


# A page shows the same dates to many readers (a thread's posts, a list's rows): what
# Babel wrote for a (locale, zone, moment) is kept, so a page costs one lookup per date.
# CLDR's patterns are fixed for a process, so nothing kept goes stale.
@cache
def _babel(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(i18n.babel_locale(i18n.DEFAULT_LANGUAGE))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


@lru_cache(maxsize=4096)
def _day(locale: str, day: dt.date, width: Width) -> str:
    return dates.format_date(day, width, locale=_babel(locale))


@lru_cache(maxsize=16384)
def _moment(locale: str, zone: str, value: dt.datetime, width: Width, part: str) -> str:
    local = value.astimezone(_zone(zone))
    if part == "date":
        return _day(locale, local.date(), width)
    time = dates.format_time(local.time(), "short", locale=_babel(locale))
    if part == "time":
        return time
    pattern = str(dates.get_datetime_format(width, locale=_babel(locale)))
    return pattern.replace("{1}", _day(locale, local.date(), width)).replace("{0}", time)


def format_timeago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago (or how soon): 3 days ago, in 2 hours, il y a 3 jours."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    delta = aware - (now or dt.datetime.now(dt.UTC))
    if abs(delta) < dt.timedelta(seconds=45):
        return i18n.gettext("just now")
    return i18n.decorate(
        dates.format_timedelta(delta, add_direction=True, threshold=1, locale=_babel(_locale()))
    )


def format_month(value: DateLike | None) -> str:
    """A month and year: December 2026."""
    if value is None:
        return ""
    day = _local(value).date() if isinstance(value, dt.datetime) else value
    return i18n.decorate(dates.format_skeleton("yMMMM", day, locale=_babel(_locale())))


def format_number(value: float | int | None) -> str:
    """A number with the reader's grouping and decimal signs: 12,345.5 · 12 345,5."""
    if value is None:
        return ""
    return i18n.decorate(_number(_locale(), value))


@lru_cache(maxsize=4096)
def _number(locale: str, value: float | int) -> str:
    return numbers.format_decimal(value, locale=_babel(locale))


def format_percent(value: float | None) -> str:
    """A share (0.25) as a percentage: 25 %, 25%."""
    if value is None:
        return ""
    return i18n.decorate(numbers.format_percent(value, locale=_babel(_locale())))


@cache
def _territories(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale).territories)
    except (UnknownLocaleError, ValueError):
        return dict(Locale("en").territories)


def country_name(code: str | None) -> str:
    """A country's common name in the reader's language, from CLDR (South Korea, Corée
    du Sud), else pycountry's English name, else the code itself."""
    if not code:
        return ""
    return i18n.decorate(_country(_locale(), code.upper()))


@lru_cache(maxsize=4096)
def _country(locale: str, code: str) -> str:
    name = _territories(locale).get(code)
    if name is None:
        country = pycountry.countries.get(alpha_2=code)
        name = getattr(country, "common_name", None) or getattr(country, "name", code)
    return str(name)


def language_name(code: str | None, *, in_itself: bool = False) -> str:
    """A language's name in the reader's language (or, `in_itself`, in that language:
    the switcher's "Français")."""
    if not code:
        return ""
    try:
        target = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return i18n.decorate(code)
    if in_itself:
        name = target.get_display_name(target) or code
        return name[:1].upper() + name[1:]
    try:
        name = target.get_display_name(Locale.parse(_locale())) or code
    except (UnknownLocaleError, ValueError):
        name = code
    return i18n.decorate(name[:1].upper() + name[1:])


def format_list(items: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C", as the reader's language lists things ("A, B et C")."""
    if len(items) <= 1:
        return "".join(items)
    return i18n.decorate(lists.format_list(list(items), locale=_babel(_locale())))


# The areas of the IANA's canonical names: a person picks "Europe/Brussels", not the
# database's old aliases ("Eire", "W-SU", "EST5EDT") that it keeps for compatibility.
_ZONE_AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/",
               "Australia/", "Europe/", "Indian/", "Pacific/")  # fmt: skip


@cache
def timezone_choices() -> tuple[str, ...]:
    """The time zones offered in a choice, sorted: every "Area/Location" zone, and UTC.
    (A zone stored before, even an alias, stays valid: this is only what is offered.)"""
    zones = (z for z in available_timezones() if z.startswith(_ZONE_AREAS))
    return ("UTC", *sorted(zones))


def machine_time(value: DateLike) -> str:
    """The value of a `<time datetime>` attribute: a date as YYYY-MM-DD, a datetime in UTC
    to the second (`2026-12-07T14:05:09Z`; HTML allows at most three decimals, Python's
    isoformat gives six)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


JINJA_FILTERS: dict[str, Callable[..., Any]] = {
    "machine_time": machine_time,
    "date": format_date,
    "datetime": format_datetime,
    "time": format_time,
    "timeago": format_timeago,
    "month": format_month,
    "number": format_number,
    "percent": format_percent,
    "country_name": country_name,
    "language_name": language_name,
    "and_list": format_list,
}
JINJA_GLOBALS: dict[str, Callable[..., Any]] = {"reader_zone": reader_zone}
