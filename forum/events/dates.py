"""Event dates as reports word them, read into a range of whole days that covers them.

`parse_date_text("April 2019")` answers 1–30 April 2019 and keeps the wording, since
it is vague; "12-14 March 2019" is precise and keeps none. "To be defined" and "Not
announced" answer no dates (unknown) with the wording kept. An impossible date
("31 April 2019", "30-32 May 2019") is clamped to the nearest real day and flagged;
nothing is ever dropped: text that cannot be read at all comes back unknown, with its
wording and a flag saying so.

Vague wordings and the days they cover:
- a month ("April 2019"): the whole month; a year ("2019"): the whole year;
- a quarter ("Q2 2019", "1st quarter 2019"): its three months; a half ("H1 2019");
- a season, as the meteorological seasons of the northern hemisphere: spring March–May,
  summer June–August, autumn September–November, winter December to February (the
  winter of 2019 starts in December 2019; "Winter 2018/2019" is the same one);
- the beginning, middle or end of a month ("End January 2019"): days 1–10, 11–20,
  21 to the last; of a year ("Early 2019"): January–April, May–August, September–December;
- "(tentative)", "(to be confirmed)" and the like: the date as read, wording kept.
Numeric dates are day first (12/03/2019 is 12 March), or ISO (2019-03-12).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from babel import dates as babel_dates

from forum.core import i18n
from forum.core.i18n import _

MIN_YEAR = 1900
MAX_YEAR = 2200

MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        calendar.month_name[number].lower(),
        calendar.month_abbr[number].lower(),
    )
}
MONTHS["sept"] = 9

UNKNOWN_WORDINGS = frozenset(
    {
        "",
        "-",
        "tbd",
        "tba",
        "tbc",
        "n/a",
        "na",
        "unknown",
        "not known",
        "to be defined",
        "to be determined",
        "to be announced",
        "to be confirmed",
        "not announced",
        "not announced yet",
        "not determined",
        "not decided",
        "not defined",
        "not yet defined",
        "not yet known",
        "date to be announced",
        "date to be defined",
        "not given",
    }
)
QUALIFIERS = re.compile(
    r"\(?\b(?:tentative(?:ly)?|to be confirmed|tbc|provisional|estimated|approx(?:imately)?|"
    r"not confirmed|not determined|to be defined)\b\)?",
    re.IGNORECASE,
)
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11)}
PARTS_OF_MONTH = {
    "beginning": (1, 10),
    "start": (1, 10),
    "early": (1, 10),
    "mid": (11, 20),
    "middle": (11, 20),
    "end": (21, 31),
    "late": (21, 31),
}
PARTS_OF_YEAR = {
    "beginning": (1, 4),
    "start": (1, 4),
    "early": (1, 4),
    "mid": (5, 8),
    "middle": (5, 8),
    "end": (9, 12),
    "late": (9, 12),
}
ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": 4}


@dataclass(frozen=True)
class ParsedDate:
    """Whole days `start`..`end` (inclusive), or both None when the date is unknown.

    `wording` is the source's text when it was vague, tentative, flagged or unknown, and
    None when the dates say everything; `flag` says what was wrong with the source date
    and what was done about it, or None.
    """

    start: dt.date | None
    end: dt.date | None
    wording: str | None = None
    flag: str | None = None

    @property
    def unknown(self) -> bool:
        return self.start is None


class _Unreadable(ValueError):
    pass


@dataclass
class _Part:
    """One side of a range as written: any of day, month, year may be missing."""

    day: int | None = None
    month: int | None = None
    year: int | None = None


def _locale() -> str:
    return i18n.babel_locale(i18n.language())


def _month_name(month: int) -> str:
    """The month's name in the current language ("February", "février")."""
    return str(babel_dates.get_month_names("wide", locale=_locale())[month])


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _clean(text: str) -> str:
    s = text.lower()
    s = re.sub(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", r"\3/\2/\1", s)  # ISO to day first
    s = re.sub(r"\b(\d{1,2})[.](\d{1,2})[.](\d{4})\b", r"\1/\2/\3", s)
    s = re.sub(r"\b(mid|early|late|end)-", r"\1 ", s)
    s = re.sub(r"(\d+)\s*(?:st|nd|rd|th)\b", r"\1", s)
    s = re.sub(r"[–—‐‑]", "-", s)
    s = re.sub(r"\b(?:to|until|till|and)\b|&", "-", s)
    s = s.replace(",", " ").replace(".", " ")
    s = re.sub(r"\bof\b|\bthe\b|\bin\b", " ", s)
    return " ".join(s.split())


def _part(text: str) -> _Part:
    part = _Part()
    tokens = re.findall(r"\d{1,2}/\d{1,2}/\d{4}|[a-z]+|\d+|\S", text)
    if not tokens:
        raise _Unreadable(text)
    for token in tokens:
        if "/" in token:
            day, month, year = (int(x) for x in token.split("/"))
            if part.day or part.month or part.year:
                raise _Unreadable(text)
            part = _Part(day, month, year)
        elif token.isdigit() and len(token) == 4 and part.year is None:
            part.year = int(token)
        elif token.isdigit() and len(token) <= 2 and part.day is None:
            part.day = int(token)
        elif token in MONTHS and part.month is None:
            part.month = MONTHS[token]
        else:
            raise _Unreadable(text)
    return part


class _Builder:
    """Turns read parts into real dates, clamping what does not exist and saying so."""

    def __init__(self) -> None:
        self.flags: list[str] = []

    def day(self, year: int, month: int, day: int) -> dt.date:
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _Unreadable(str(year))
        if not 1 <= month <= 12:
            fixed = min(max(month, 1), 12)
            self.flags.append(
                _(
                    "month %(month)s does not exist: read as %(name)s",
                    month=month,
                    name=_month_name(fixed),
                )
            )
            month = fixed
        top = last_day(year, month)
        if not 1 <= day <= top:
            fixed = min(max(day, 1), top)
            self.flags.append(
                _(
                    "%(day)s %(month)s %(year)s does not exist: read as %(fixed)s",
                    day=day,
                    month=_month_name(month),
                    year=year,
                    fixed=babel_dates.format_date(
                        dt.date(year, month, fixed), "long", locale=_locale()
                    ),
                )
            )
            day = fixed
        return dt.date(year, month, day)

    def month_span(self, year: int, first: int, last: int) -> tuple[dt.date, dt.date]:
        return self.day(year, first, 1), self.day(year, last, last_day(year, min(max(last, 1), 12)))


def _vague(s: str, build: _Builder) -> tuple[dt.date, dt.date] | None:
    """Quarters, halves, seasons and parts of months or years; None if `s` is none of them."""
    year = r"(\d{4})"
    m = re.fullmatch(
        rf"(?:q([1-4])|([1-4]) quarter|(first|second|third|fourth|last) quarter) {year}", s
    )
    if m:
        q = int(m.group(1) or m.group(2) or ORDINAL_WORDS[m.group(3)])
        return build.month_span(int(m.group(4)), 3 * q - 2, 3 * q)
    m = re.fullmatch(
        rf"(?:h([12])|([12]) half|(first|second) half|(first|second) semester) {year}", s
    )
    if m:
        half = int(m.group(1) or m.group(2) or (1 if (m.group(3) or m.group(4)) == "first" else 2))
        return build.month_span(int(m.group(5)), 6 * half - 5, 6 * half)
    m = re.fullmatch(rf"(spring|summer|autumn|fall) {year}", s)
    if m:
        first, last = SEASONS[m.group(1)]
        return build.month_span(int(m.group(2)), first, last)
    m = re.fullmatch(rf"winter {year}(?: ?[/-] ?{year})?", s)
    if m:
        start_year = int(m.group(1))
        if m.group(2) and int(m.group(2)) != start_year + 1:
            raise _Unreadable(s)
        return build.day(start_year, 12, 1), build.day(
            start_year + 1, 2, last_day(start_year + 1, 2)
        )
    words = "|".join(PARTS_OF_MONTH)
    months = "|".join(MONTHS)
    m = re.fullmatch(rf"({words}) ({months}) {year}", s)
    if m:
        first, last = PARTS_OF_MONTH[m.group(1)]
        y, month = int(m.group(3)), MONTHS[m.group(2)]
        return build.day(y, month, first), build.day(y, month, min(last, last_day(y, month)))
    m = re.fullmatch(rf"({words}) {year}", s)
    if m:
        first, last = PARTS_OF_YEAR[m.group(1)]
        return build.month_span(int(m.group(2)), first, last)
    return None


def _range(s: str, build: _Builder) -> tuple[dt.date, dt.date, bool]:
    """(start, end, precise) from one date or a range "a - b" of day/month/year parts."""
    sides = [side.strip() for side in s.split("-")]
    if len(sides) > 2 or not all(sides):
        raise _Unreadable(s)
    if len(sides) == 1:
        p = _part(sides[0])
        if p.year is None:
            raise _Unreadable("no year")
        if p.month is None:
            if p.day is not None:
                raise _Unreadable(s)
            return build.day(p.year, 1, 1), build.day(p.year, 12, 31), False
        if p.day is None:
            return *build.month_span(p.year, p.month, p.month), False
        one = build.day(p.year, p.month, p.day)
        return one, one, True
    a, b = _part(sides[0]), _part(sides[1])
    if b.year is None and a.year is None:
        raise _Unreadable("no year")
    # What one side leaves out comes from the other: "12-14 March 2019", "March 12 - 14 2019".
    if b.month is None:
        b.month = a.month
    if a.month is None:
        a.month = b.month
    if b.year is None:
        b.year = a.year
    if a.year is None:
        assert b.year is not None
        same_year = a.month is None or b.month is None or a.month <= b.month
        a.year = b.year if same_year else b.year - 1  # "28 December - 3 January 2020"
    assert a.year is not None
    assert b.year is not None
    if a.month is None or b.month is None:  # "2018 - 2019"
        if a.day is not None or b.day is not None:
            raise _Unreadable(s)
        return build.day(a.year, 1, 1), build.day(b.year, 12, 31), False
    precise = a.day is not None and b.day is not None
    start = build.day(a.year, a.month, a.day if a.day is not None else 1)
    end_day = b.day if b.day is not None else last_day(b.year, min(max(b.month, 1), 12))
    end = build.day(b.year, b.month, end_day)
    return start, end, precise


def parse_date_text(text: str | None) -> ParsedDate:
    """Read a date as a report words it. Never raises; see the module's docstring."""
    wording = " ".join((text or "").split())[:200]
    if wording.lower().strip(" .") in UNKNOWN_WORDINGS:
        return ParsedDate(None, None, wording or None)
    qualified = QUALIFIERS.search(wording) is not None
    s = _clean(QUALIFIERS.sub(" ", wording)).strip(" -")
    if s in UNKNOWN_WORDINGS:
        return ParsedDate(None, None, wording)
    build = _Builder()
    try:
        found = _vague(s, build)
        if found is not None:
            start, end, precise = found[0], found[1], False
        else:
            start, end, precise = _range(s, build)
    except _Unreadable as exc:
        if str(exc) == "no year":
            return ParsedDate(None, None, wording, _("The date gives no year: it is unknown."))
        return ParsedDate(None, None, wording, _("This date could not be read: it is unknown."))
    if end < start:
        build.flags.append(_("the end came before the start: the two were swapped"))
        start, end = end, start
    flag = "; ".join(build.flags) or None
    if flag:
        flag = flag[0].upper() + flag[1:] + "."
    keep = not precise or qualified or flag is not None
    return ParsedDate(start, end, wording if keep else None, flag)


def format_range(start: dt.date | None, end: dt.date | None) -> str:
    """ "12–14 March 2019", "30 March – 2 April 2019", "1 April 2019" in the reader's
    language ("12–14 mars 2019"); "" when unknown."""
    if start is None:
        return ""
    end = end or start
    locale = i18n.babel_locale(i18n.language())
    if start == end:
        text = babel_dates.format_date(start, "long", locale=locale)
    elif locale != "en_GB":
        text = babel_dates.format_interval(start, end, "yMMMMd", locale=locale)
    elif start.year != end.year:
        text = f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"
    elif start.month != end.month:
        text = f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    else:
        text = f"{start.day}–{end.day} {end:%B %Y}"
    return i18n.decorate(text)


def quarter_of(day: dt.date) -> tuple[int, int]:
    """(year, quarter 1–4) of a day."""
    return day.year, (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class DatesShift:
    """How `forum demo --shift-dates` moved the events loaded from a report: by `months`
    whole months, so that `from_month`, a month of the report, became `now_month`.
    The events keep the report's wording; the pages say that their days were moved."""

    months: int
    now_month: dt.date

    @property
    def from_month(self) -> dt.date:
        """The report's month that became `now_month` (its first day)."""
        year, month = divmod(self.now_month.year * 12 + self.now_month.month - 1 - self.months, 12)
        return dt.date(year, month + 1, 1)
