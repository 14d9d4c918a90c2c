"""The events pages in the pseudo-locale `xx`: their sentences pass through gettext, their
dates and country names through the formatting helpers; plurals follow the count."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.events.attendance import set_attendance
from forum.events.dates import format_range
from tests.conftest import Client, People
from tests.events.conftest import Events
from tests.i18n.pseudo import pseudo

DAY = dt.date(2030, 3, 12)


def test_an_event_page_in_the_pseudo_locale(
    client: Client, events: Events, pseudo_locale: str
) -> None:
    event = events.make("Osaka Food Expo", starts_on=DAY, ends_on=DAY + dt.timedelta(days=2))
    client.cookies.set("forum_lang", pseudo_locale)
    html = client.get(f"/events/{event.id}").text
    assert f'<html lang="{pseudo_locale}"' in html
    assert f"<dt>{pseudo('When')}</dt>" in html
    assert f">{pseudo('Who is going')}</h2>" in html
    # The days through the formatter (CLDR's range, decorated), the country by CLDR.
    assert pseudo("12–14 March 2030") in html
    assert f">{pseudo('Japan')}</a>" in html
    # The member's content stays as written.
    assert "<h1>Osaka Food Expo</h1>" in html


def test_the_month_view_names_months_and_days_through_the_formatter(
    client: Client, events: Events, pseudo_locale: str
) -> None:
    events.make("Osaka Food Expo", starts_on=DAY)
    english = client.get("/events/month?m=2030-03").text
    assert "<h1>Events in March 2030</h1>" in english
    assert "Week of 11 March" in english and ">Tuesday 12 March</time>" in english
    client.cookies.set("forum_lang", pseudo_locale)
    html = client.get("/events/month?m=2030-03").text
    assert pseudo(f"Events in {pseudo('March 2030')}") in html
    assert f">{pseudo('Tuesday 12 March')}</time>" in html


def test_members_going_is_a_plural(
    client: Client, db: Session, events: Events, people: People, member: User
) -> None:
    event = events.make("Osaka Food Expo", starts_on=DAY)
    set_attendance(db, member, event, status="going")
    db.flush()
    assert re.search(r"Going:\s+1 member\s*</p>", client.get("/events").text)
    set_attendance(db, people.make(), event, status="going")
    db.flush()
    assert re.search(r"Going:\s+2 members\s*</p>", client.get("/events").text)


def test_a_date_range_in_french(french: str) -> None:
    with i18n.using(french):
        assert format_range(DAY, DAY + dt.timedelta(days=2)) == "12–14 mars 2030"
        assert format_range(DAY, DAY) == "12 mars 2030"
    assert format_range(DAY, dt.date(2030, 4, 2)) == "12 March – 2 April 2030"


def test_the_note_on_a_corrected_date_is_read_in_the_readers_language(
    client: Client, events: Events, french: str
) -> None:
    event = events.make("Osaka Food Expo", date_text="31 April 2030")
    assert event.date_flag == "31 April 2030 does not exist: read as 30 April 2030."
    client.cookies.set("forum_lang", french)
    html = client.get(f"/events/{event.id}").text
    assert "31 avril 2030 does not exist: read as 30 avril 2030." in html
