"""Counting clicks on digests without knowing who clicked (FORUM_COUNT_DIGEST_CLICKS):
off by default; on, each entry link passes through the forum's signed redirect, which
counts per week and section and never names a member or an entry."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.weeks import monday_of
from forum.digests import clicks
from forum.digests.models import DigestClick
from forum.digests.render import render_digest_email
from tests.conftest import Client
from tests.digests.test_render import MESSAGE_ID, make_digest, parsed, parts


def _entry_links(settings: Settings, user: User) -> list[str]:
    text, html = parts(
        parsed(render_digest_email(settings, user, make_digest(user), message_id=MESSAGE_ID))
    )
    return re.findall(r'href="([^"]+)"', html) + re.findall(r"http://testserver/\S+", text)


def test_digest_links_go_straight_to_their_page_by_default(
    settings: Settings, member: User
) -> None:
    links = _entry_links(settings, member)
    assert "http://testserver/intel/7" in links
    assert not any("/d/" in link for link in links)


def test_counted_links_add_one_per_week_and_section_and_open_the_page(
    client: Client, db: Session, settings: Settings, member: User
) -> None:
    settings.count_digest_clicks = True
    counted = [link for link in _entry_links(settings, member) if "/d/" in link]
    assert counted, "the entry links pass through the counting redirect"
    assert "http://testserver/intel/7" not in _entry_links(settings, member)
    path = counted[0].removeprefix("http://testserver")
    for expected in (1, 2):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/intel/7"
        db.expire_all()
        row = db.scalar(select(DigestClick))
        assert row is not None and row.section == "intel" and row.clicks == expected
        assert row.week == monday_of(dt.datetime.now(dt.UTC).date())
    # What is kept names no member and no entry.
    columns = {c["name"] for c in inspect(db.get_bind()).get_columns("digest_click")}
    assert columns == {"week", "section", "clicks"}


def test_a_forged_or_altered_click_link_is_not_followed(
    client: Client, settings: Settings, member: User
) -> None:
    settings.count_digest_clicks = True
    token = clicks.counted_url(
        settings, "http://testserver/intel/7", section="intel", sent_on=dt.date(2026, 12, 7)
    ).rsplit("/", 1)[1]
    assert client.get(f"/d/{token[:-2]}xx").status_code == 404
    assert client.get("/d/not-a-token").status_code == 404
    # Only this site's pages are ever behind a counted link: no open redirect.
    outside = clicks.counted_url(
        settings, "https://example.org/x", section="intel", sent_on=dt.date(2026, 12, 7)
    )
    assert outside == "https://example.org/x"


def test_the_privacy_page_says_whether_digest_clicks_are_counted(
    client: Client, settings: Settings
) -> None:
    page = " ".join(client.get("/privacy").text.split())
    assert "clicks on them are not counted" in page
    settings.count_digest_clicks = True
    page = " ".join(client.get("/privacy").text.split())
    assert "Clicks on digest links" in page and "Not who clicked" in page
