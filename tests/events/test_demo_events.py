"""The demo's events: every row of the report's tables 5.1 and 5.2, duplicates merged,
nothing invented, a few going marks, and `--shift-dates`."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.app import create_app
from forum.core.config import Settings
from forum.core.db import make_engine
from forum.demo import events as demo
from forum.events import attendance as event_attendance
from forum.events import listing as event_lists
from forum.events import missions
from forum.events import service as event_service
from forum.events.models import Attendance, Event, EventPartnership
from forum.partnerships.service import find_partnership_by_name
from tests.conftest import Client

D = dt.date


def _demo_events(db: Session) -> list[Event]:
    stmt = select(Event).where(Event.source_note.startswith(demo.SOURCE_PREFIX))
    return list(db.scalars(stmt.order_by(Event.id)))


def _by_name(db: Session, name: str) -> Event:
    found = [e for e in _demo_events(db) if e.name == name]
    assert len(found) == 1, name
    return found[0]


def test_every_row_of_the_tables_is_loaded_and_duplicates_are_one_event(
    events_demo: Session,
) -> None:
    data = demo.report_events()
    rows = data["rows"]
    assert len(rows) == 74  # 47 rows in Europe (5.1, as its text says), 27 beyond (5.2)
    assert sum(r["section"].startswith("5.1") for r in rows) == 47
    assert sum(r["section"].startswith("5.2") for r in rows) == 27
    loaded = _demo_events(events_demo)
    assert len(loaded) == 71  # MEDICA, Photonics West and Atlantic from Space listed twice
    listings = events_demo.scalar(select(func.count()).select_from(EventPartnership))
    assert listings == 74
    for row in rows:  # each row's partnership lists an event of that name or is merged into one
        partnership = find_partnership_by_name(
            events_demo, row.get("partnership_name", row["partnership"])
        )
        assert partnership is not None, row
        names = {
            e.name: e for e in loaded if partnership.id in {r.partnership_id for r in e.listings}
        }
        assert row["name"] in names or any(
            r.listed_as and r.listed_as.startswith(row["name"])
            for e in names.values() for r in e.listings
        ), row  # fmt: skip


def test_merged_events_keep_each_partnership_s_own_wording(events_demo: Session) -> None:
    medica = _by_name(events_demo, "MEDICA")
    assert {r.partnership.name for r in medica.listings} == {"MAGIA", "LASER-GO GLOBAL"}
    assert (medica.starts_on, medica.ends_on) == (D(2018, 11, 12), D(2018, 11, 15))
    magia = next(r for r in medica.listings if r.partnership.name == "MAGIA")
    assert magia.listed_as == "MEDICA trade fair, November 12th 2018"
    west = _by_name(events_demo, "Photonics West 2019")
    assert {r.partnership.name for r in west.listings} == {"PIMAP", "LASER-GO GLOBAL"}
    atlantic = _by_name(events_demo, "Atlantic From Space Workshop")
    assert {r.partnership.name for r in atlantic.listings} == {"IDEOO", "SpaceWave"}
    # Two events of the same name and partnership on different dates stay two events.
    matchmaking = [
        e for e in _demo_events(events_demo) if e.name == "MobiGoln-Action EU Matchmaking Event"
    ]
    assert sorted(e.date_text or e.exact_dates for e in matchmaking) == [
        "19 November 2018",
        "Summer 2019",
    ]


def test_places_dates_and_sectors_come_from_the_tables(events_demo: Session) -> None:
    mwc = _by_name(events_demo, "MWC 2019")
    assert (mwc.city, mwc.country_code, mwc.starts_on, mwc.ends_on) == (
        "Barcelona",
        "ES",
        D(2019, 2, 25),
        D(2019, 2, 28),
    )
    assert mwc.date_flag and "29 February 2019 does not exist" in mwc.date_flag
    assert mwc.date_text == "February 25th - 29th 2019"
    elbe = _by_name(events_demo, "ELBE event #2")
    assert elbe.starts_on is None and "no date" in (elbe.source_note or "")
    abu_dhabi = _by_name(events_demo, "Abu Dhabi Sustainable Week")
    assert (abu_dhabi.country_code, abu_dhabi.starts_on, abu_dhabi.date_text) == (
        "AE",
        None,
        "January",
    )
    wr2 = _by_name(events_demo, "MobiGoIn-Action International Mission WR2")
    assert (wr2.country_code, wr2.location_text, wr2.in_europe) == (
        None,
        "CHINA/SINGAPORE (not determined)",
        False,
    )
    assert [s.slug for s in wr2.sectors] == ["healthcare"]  # as the table says
    bioregions = _by_name(events_demo, "Council of European Bioregions annual meeting")
    assert (bioregions.country_code, bioregions.in_europe, bioregions.date_text) == (
        None,
        True,
        "to be defined",
    )
    moscow = _by_name(events_demo, "TransRussia 2019")
    assert moscow.in_europe is False  # the report lists it beyond Europe
    europe = Counter(e.in_europe for e in _demo_events(events_demo))
    assert europe == {True: 45, False: 26}


def test_nothing_is_invented(events_demo: Session) -> None:
    for event in _demo_events(events_demo):
        assert event.url is None and event.organiser is None and event.description == "", event.name
        assert event.created_by_id is None
        assert event.source_note and "section 5." in event.source_note


def test_us_events_and_dates_to_be_announced(events_demo: Session) -> None:
    us = [e for e in _demo_events(events_demo) if e.country_code == "US"]
    assert len(us) == 8
    unknown = sorted(e.name for e in _demo_events(events_demo) if e.starts_on is None)
    assert unknown == sorted([
        "ELBE event #2", "Transport & Logistics Fair", "Council of European Bioregions annual meeting",
        "Future food techno", "IGEM", "Abu Dhabi Sustainable Week", "ASEAN Energy forum",
        "Indonesia Renewable Energy Forum",
    ])  # fmt: skip


def test_going_marks_make_a_joint_mission_hint(events_demo: Session) -> None:
    west = _by_name(events_demo, "Photonics West 2019")
    marks = events_demo.scalars(select(Attendance).where(Attendance.event_id == west.id)).all()
    partnership_marks = {m.partnership.name for m in marks if m.partnership}
    assert partnership_marks == {"PIMAP", "LASER-GO GLOBAL"}
    assert len([m for m in marks if m.user_id]) == 2
    going = event_attendance.partnerships_going(events_demo, [west.id])[west.id]
    pimap = find_partnership_by_name(events_demo, "PIMAP")
    laser = find_partnership_by_name(events_demo, "LASER-GO GLOBAL")
    assert pimap is not None and laser is not None
    assert {pimap.id, laser.id} <= going
    assert set(pimap.country_codes) & set(laser.country_codes) == {"CA", "US"}


def test_loading_again_changes_nothing(events_demo: Session, settings: Settings) -> None:
    before = events_demo.scalar(select(func.count()).select_from(Event))
    marks = events_demo.scalar(select(func.count()).select_from(Attendance))
    summary = demo.load_events(events_demo, settings)
    assert "71 events from 74 rows" in summary and "(0 new)" in summary
    assert events_demo.scalar(select(func.count()).select_from(Event)) == before
    assert events_demo.scalar(select(func.count()).select_from(Attendance)) == marks


def test_shifting_moves_the_first_joint_mission_to_this_month_by_whole_months(
    events_demo: Session,
) -> None:
    today = D(2026, 11, 1)
    assert demo.anchor_month() == D(2018, 11, 1)  # MEDICA, listed by two partnerships
    months, moved = demo.shift_demo_dates(events_demo, today=today)
    assert months == 96
    assert moved == 63  # every dated event
    medica = _by_name(events_demo, "MEDICA")  # 12 November 2018: the first joint mission
    assert medica.starts_on == D(2026, 11, 12)
    closing = _by_name(
        events_demo, "Closing conference Cosmetics4Wellbeing"
    )  # May 9th and 10th 2019
    assert (closing.starts_on, closing.ends_on) == (D(2027, 5, 9), D(2027, 5, 10))
    wind = _by_name(events_demo, "WindEurope")  # April 2019: the whole month
    assert (wind.starts_on, wind.ends_on) == (D(2027, 4, 1), D(2027, 4, 30))
    assert wind.date_text == "April 2019"  # the report's words stay
    mwc = _by_name(events_demo, "MWC 2019")  # 25-28 February 2019
    assert (mwc.starts_on, mwc.ends_on) == (D(2027, 2, 25), D(2027, 2, 28))
    again = demo.shift_demo_dates(events_demo, today=today)
    assert again == (96, 63)
    assert _by_name(events_demo, "WindEurope").starts_on == D(2027, 4, 1)  # not moved twice
    upcoming = event_lists.all_events(events_demo, event_lists.EventFilter(today=today))
    names = {e.name for e in upcoming}
    assert "Mission to China" not in names  # March 2018, before the anchor: past
    assert {"MEDICA", "Photonics West 2019", "BIO Convention"} <= names


def test_after_shifting_the_joint_mission_hints_are_upcoming(events_demo: Session) -> None:
    today = D(2026, 11, 1)
    demo.shift_demo_dates(events_demo, today=today)
    hints = missions.event_hints(events_demo, today=today)
    assert hints, "the report's joint missions give hints"
    assert not any(h.past for h in hints)


def test_shift_day_keeps_month_ends() -> None:
    assert demo.shift_day(D(2019, 1, 31), 1, month_end=False) == D(2019, 2, 28)
    assert demo.shift_day(D(2019, 2, 28), 12, month_end=True) == D(2020, 2, 29)
    assert demo.shift_day(D(2019, 5, 15), -5, month_end=False) == D(2018, 12, 15)


def test_the_marker_labels_every_page_and_a_plain_demo_removes_it(
    settings: Settings, engine: object, session_factory: object
) -> None:
    assert demo.dates_shift(settings) is None
    demo.write_shift_marker(settings, months=96, today=D(2026, 11, 25))
    app = create_app(settings, engine=engine, session_factory=session_factory)  # type: ignore[arg-type]
    with TestClient(app) as client:
        page = client.get("/privacy")
    assert (
        "Demo dates shifted: the report's events are moved 96 months later, so that "
        "November 2018 is November 2026" in page.text
    )
    demo.clear_shift_marker(settings)
    assert demo.dates_shift(settings) is None


@pytest.mark.slow
def test_forum_demo_shift_dates_from_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env["FORUM_DATA_DIR"] = str(tmp_path)

    def forum(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "forum.cli", *args], env=env,
                                capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result

    shifted = forum("demo", "--shift-dates")
    assert "demo events: 71 events from 74 rows" in shifted.stderr
    assert "demo dates shifted: 63 events moved" in shifted.stderr
    assert (tmp_path / demo.SHIFT_MARKER).exists()
    engine = make_engine(f"sqlite:///{tmp_path / 'forum.sqlite3'}")
    with Session(engine) as db:
        wind = db.scalar(select(Event).where(Event.name == "WindEurope"))
        assert wind is not None and wind.starts_on is not None
        assert wind.starts_on > D(2019, 4, 1)
    forum("demo")
    assert not (tmp_path / demo.SHIFT_MARKER).exists()
    with Session(engine) as db:
        wind = db.scalar(select(Event).where(Event.name == "WindEurope"))
        assert wind is not None and wind.starts_on == D(2019, 4, 1)
    engine.dispose()


def test_shifted_demo_shows_upcoming_events_and_labels_each_moved_event(
    demo_db: Session, settings: Settings, app: FastAPI, client: Client, member: User
) -> None:
    """What `make run` (`forum demo --shift-dates`) shows on a fresh clone."""
    today = dt.datetime.now(dt.UTC).date()
    months, _ = demo.shift_demo_dates(demo_db, today=today)
    demo.write_shift_marker(settings, months=months, today=today)
    # The app reads the marker when it is built (bind); this one was built before.
    app.state.demo_dates_shift = demo.dates_shift(settings)
    listed = set(re.findall(r'href="/events/(\d+)"', client.get("/events").text))
    dated = [e for e in _demo_events(demo_db) if str(e.id) in listed and e.starts_on]
    assert len(dated) >= 5, [e.name for e in dated]
    assert all(e.ends_on is not None and e.ends_on >= today for e in dated)
    page = client.get(f"/events/{_by_name(demo_db, 'BIO Convention').id}").text
    assert "Shifted" in page
    assert f"The calendar moves this event {months} months later than the report dates it" in page
    assert "Demo dates shifted" in page, "and the banner says it on every page"
    own = event_service.create_event(
        demo_db,
        member,
        event_service.EventInput(name="A member's own fair", date_text="2027-03-01"),
    )
    demo_db.flush()
    assert "The calendar moves this event" not in client.get(f"/events/{own.id}").text
