"""Demo part: every event of the report's tables (sections 5.1 and 5.2), and a few marks.

`data/events.json` holds one entry per table row in the report's own words, with how the
demo reads it. Rows sharing an `event` key are one event listed by several partnerships.
Nothing is added that the report does not say (no URL, organiser or description). The
"going" marks are demo activity, not facts: demo members mark their own partnership's
listings. Idempotent: events are found again by their source note and rewritten from
the file, dates included, so a second run changes nothing.

`forum demo --shift-dates` then moves every demo event by whole months so that the month
of the report's first joint mission (an event two or more partnerships listed: November
2018) is the current month, so that the joint missions and most of the calendar the
partnerships planned lie ahead; it leaves a marker file in the data
dir that makes every page say "demo dates shifted" (the banner) and each moved event's
page say so beside its dates; a plain `forum demo` puts the report's dates back and
removes the marker. `make run` shifts them, so that the calendar and the joint-mission
hints show upcoming events.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.demo.discussions import _demo_user
from forum.demo.registry import demo_part
from forum.events.attendance import set_attendance
from forum.events.dates import DatesShift, last_day, parse_date_text
from forum.events.models import Event
from forum.events.service import EventInput, create_imported_event, refresh_imported_event
from forum.partnerships.models import Partnership
from forum.partnerships.service import find_partnership_by_name
from forum.taxonomy.service import resolve_sectors

SOURCE_PREFIX = "From the 2019 ECCP consultation report"
SHIFT_MARKER = "demo-dates-shifted.json"


def report_events() -> dict[str, Any]:
    text = resources.files("forum.demo").joinpath("data/events.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass
class DemoEvent:
    """One event of the tables: its rows, the first (primary) giving name, place and date."""

    key: str
    rows: list[dict[str, Any]]

    @property
    def primary(self) -> dict[str, Any]:
        return next(r for r in self.rows if r.get("primary", True))

    @property
    def source_note(self) -> str:
        listed = "; ".join(
            f"section {r['section']}, listed by {r['partnership']} as “{r['name']}”"
            + (f" ({r['date']})" if r["date"] else " (no date)")
            for r in self.rows
        )
        notes = " ".join(r["note"] for r in self.rows if r.get("note"))
        return f"{SOURCE_PREFIX}: {listed}." + (f" {notes}" if notes else "")


def demo_events(data: dict[str, Any] | None = None) -> list[DemoEvent]:
    """The table rows grouped into events, in the report's order."""
    data = data or report_events()
    groups: dict[str, DemoEvent] = {}
    for row in data["rows"]:
        key = row.get("event") or "|".join(
            row[k] for k in ("section", "partnership", "name", "location", "date")
        )
        groups.setdefault(key, DemoEvent(key, [])).rows.append(row)
    return list(groups.values())


def _partnership(db: Session, row: dict[str, Any]) -> Partnership:
    name = row.get("partnership_name", row["partnership"])
    found = find_partnership_by_name(db, name)
    if found is None:
        raise LookupError(f"partnership {name!r} missing: load the partnerships part first")
    return found


def _input(db: Session, event: DemoEvent) -> EventInput:
    primary = event.primary
    partnerships: dict[int, Partnership] = {}
    listed_as: dict[int, str] = {}
    for row in event.rows:
        partnership = _partnership(db, row)
        partnerships.setdefault(partnership.id, partnership)
        if row is not primary:
            listed_as[partnership.id] = f"{row['name']}, {row['date'] or 'no date'}"
    slugs = list(dict.fromkeys(r["sector_slug"] for r in event.rows))
    return EventInput(
        name=primary["name"],
        city=primary.get("city"),
        country=primary.get("country"),
        location_text=primary.get("location_text"),
        in_europe=primary["section"].startswith("5.1"),
        date_text=primary["date"] or None,
        sectors=resolve_sectors(db, slugs),
        partnerships=list(partnerships.values()),
        listed_as=listed_as,
    )


@demo_part("events", order=40)
def load_events(session: Session, settings: Settings) -> str:
    data = report_events()
    events = demo_events(data)
    keyed: dict[str, Event] = {}
    new = 0
    for item in events:
        note = item.source_note
        found = session.scalar(select(Event).where(Event.source_note == note))
        if found is None:
            found = create_imported_event(session, _input(session, item), source_note=note)
            new += 1
        else:
            refresh_imported_event(session, found, _input(session, item))
        keyed[item.key] = found
    marks = _mark_going(session, data, keyed)
    return (
        f"{len(events)} events from {len(data['rows'])} rows of the report's tables "
        f"({new} new), {marks} going marks"
    )


def _mark_going(session: Session, data: dict[str, Any], keyed: dict[str, Event]) -> int:
    created: list[User] = []
    marks = 0
    for entry in data["going"]:
        event = keyed[entry["event"]]
        for name in entry["partnerships"]:
            user = _demo_user(session, name, created)
            set_attendance(session, user, event, status="going", for_partnership=True)
            marks += 1
        for name in entry["members"]:
            user = _demo_user(session, name, created)
            set_attendance(session, user, event, status="going")
            marks += 1
    return marks


# --- shifted dates -------------------------------------------------------------------------


def anchor_month() -> dt.date:
    """The first day of the month the shift brings to the current month: that of the
    report's first event listed by two or more partnerships (its first joint mission)."""
    starts = [
        start
        for item in demo_events()
        if len(item.rows) > 1
        and (start := parse_date_text(item.primary["date"] or None).start) is not None
    ]
    return min(starts).replace(day=1)


def months_to(today: dt.date) -> int:
    """How many months after the report's first joint mission (`anchor_month`) `today` falls."""
    anchor = anchor_month()
    return today.year * 12 + today.month - (anchor.year * 12 + anchor.month)


def shift_day(day: dt.date, months: int, *, month_end: bool) -> dt.date:
    """`day` moved by whole months; the last day of a month stays the last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    top = last_day(year, month)
    return dt.date(year, month, top if month_end else min(day.day, top))


def shift_demo_dates(session: Session, *, today: dt.date) -> tuple[int, int]:
    """Move the demo events so that `anchor_month()` is `today`'s month; (months, events moved).

    Works from the report's dates (re-read from the data file), so running it twice
    moves nothing further.
    """
    months = months_to(today)
    moved = 0
    for item in demo_events():
        event = session.scalar(select(Event).where(Event.source_note == item.source_note))
        # The report's own days, read again from its wording as when they were loaded.
        original = parse_date_text(item.primary["date"] or None)
        if event is None or original.start is None or original.end is None:
            continue
        end = original.end
        # A vague range ("April 2019", "End January 2019") runs to its month's end again;
        # exact days (even clamped ones, "25-28 February") keep their numbers.
        vague = original.wording is not None and original.flag is None
        month_end = vague and end.day == last_day(end.year, end.month)
        event.starts_on = shift_day(original.start, months, month_end=False)
        event.ends_on = shift_day(end, months, month_end=month_end)
        moved += 1
    session.flush()
    return months, moved


def marker_path(settings: Settings) -> Path:
    return settings.data_dir / SHIFT_MARKER


def write_shift_marker(settings: Settings, *, months: int, today: dt.date) -> None:
    settings.ensure_data_dir()
    marker_path(settings).write_text(
        json.dumps({"months": months, "shifted_on": today.isoformat()}), "utf-8"
    )


def clear_shift_marker(settings: Settings) -> None:
    marker_path(settings).unlink(missing_ok=True)


def dates_shift(settings: Settings) -> DatesShift | None:
    """How this instance's demo events are shifted (the marker file), else None."""
    try:
        data = json.loads(marker_path(settings).read_text("utf-8"))
        months = int(data["months"])
        shifted_on = dt.date.fromisoformat(data["shifted_on"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return DatesShift(months=months, now_month=shifted_on.replace(day=1))
