"""A member marks "going" to a demo event, sees it under "Who is going" and downloads the
event's .ics file, which a calendar program would read.

The demo's dated events are all from the 2019 consultation report, so the event is taken
from the archive; the upcoming list holds only the demo's undated ones."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import MEMBER_NAME, MEMBER_PASSWORD, LiveServer, save_screenshot, sign_in


def test_a_member_marks_going_to_an_event_and_downloads_its_calendar_file(
    page: Page, browser: Browser, live_server: LiveServer, member_account: str
) -> None:
    sign_in(page, member_account, MEMBER_PASSWORD)
    page.goto("/events/archive")
    first = page.locator(".card-list .card-title a").first
    name = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(name)
    event_path = page.url.removeprefix(live_server.url)
    assert re.fullmatch(r"/events/\d+", event_path), event_path

    going = page.get_by_role("region", name="Who is going")
    going.get_by_role("button", name="I am going").click()
    expect(page.locator(".flash-success")).to_contain_text(f"You are going to {name}.")
    expect(going.get_by_role("button", name=re.compile(r"^I am going ✓"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(going.get_by_role("listitem").filter(has_text=MEMBER_NAME)).to_contain_text("going")
    save_screenshot(page, "events-01-going")
    violations = axe_violations(browser, page.url, signed_in_from=page.context)
    assert not violations, format_violations(violations)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    path = download.path()
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == name
    assert f"{live_server.url}{event_path}" in str(vevent["DESCRIPTION"])
    # All-day dates: DTEND is the day after the last day.
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert type(start) is dt.date and type(end) is dt.date
    assert end > start
