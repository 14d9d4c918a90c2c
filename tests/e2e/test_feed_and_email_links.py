"""Issue 22 in the browser: a saved search's private feed address and its renewal; the
pages a digest's grouped follow/mute link and a notification email's unsubscribe link
open from a mail client (no session). axe on each, and the harness's CSP check."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import Browser, Page, expect

from forum.digests import tokens

from .axe import axe_violations, format_violations
from .conftest import SECRET_KEY, LiveServer, create_account, save_screenshot, sign_in

# A member of this module's own: the shared journey member's digest must not gain a
# saved search from here.
EMAIL, PASSWORD = "feeds.e2e@example.eu", "a passphrase for the feed journeys"


@pytest.fixture(scope="module")
def feeds_member(live_server: LiveServer) -> str:
    return create_account(live_server, EMAIL, "Fenna Feeds", PASSWORD, "member")


def _member_id(live_server: LiveServer, email: str) -> int:
    with sqlite3.connect(live_server.data_dir / "forum.sqlite3") as db:
        (found,) = db.execute("SELECT id FROM user_account WHERE email = ?", (email,)).fetchone()
    return int(found)


def test_a_member_finds_the_private_feed_of_a_saved_search_and_renews_it(
    page: Page, browser: Browser, live_server: LiveServer, feeds_member: str
) -> None:
    sign_in(page, feeds_member, PASSWORD)
    page.goto("/search?q=cluster&country=JP")
    feed_link = page.get_by_role("link", name="Atom feed of this search")
    expect(feed_link).to_have_attribute("href", "/feeds/search.atom?q=cluster&country=JP")
    page.get_by_label("Save this search as").fill("Clusters in Japan (feed)")
    page.get_by_role("button", name="Save this search").click()
    page.goto("/settings/searches")
    card = page.locator("li.card", has_text="Clusters in Japan (feed)")
    address = card.get_by_label("Private feed address (Atom)")
    old = address.input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/feeds/saved/[\w.-]+\.atom", old), old
    answer = page.request.get(old)
    assert answer.status == 200 and "<feed" in answer.text()
    violations = axe_violations(browser, live_server.url + "/settings/searches",
                                signed_in_from=page.context)  # fmt: skip
    assert not violations, format_violations(violations)
    save_screenshot(page, "saved-search-feed")

    card.get_by_role("button", name=re.compile("^New feed address")).click()
    expect(page.locator(".flash-success")).to_contain_text("has a new address")
    new = page.locator("li.card", has_text="Clusters in Japan (feed)").get_by_label(
        "Private feed address (Atom)"
    )
    assert new.input_value() != old
    assert page.request.get(old).status == 404


def test_the_grouped_follow_page_and_the_email_unsubscribe_page_work_without_a_session(
    page: Page, browser: Browser, live_server: LiveServer, feeds_member: str
) -> None:
    member = _member_id(live_server, feeds_member)
    grouped = tokens.interests_token(
        SECRET_KEY, member, [("follow", "country", "KR"), ("follow", "sector", "food")]
    )
    page.goto(f"/digests/interests/{grouped}")
    expect(page.locator("h1")).to_have_text("Follow or mute")
    violations = axe_violations(browser, f"{live_server.url}/digests/interests/{grouped}")
    assert not violations, format_violations(violations)
    page.get_by_role("button", name="Follow South Korea").click()
    expect(page.locator(".flash-success")).to_contain_text("You follow South Korea")

    off = tokens.emails_off_token(SECRET_KEY, member, "mention")
    page.goto(f"/emails/off/{off}")
    expect(page.locator("main")).to_contain_text("Stop emailing mentions of you")
    violations = axe_violations(browser, f"{live_server.url}/emails/off/{off}")
    assert not violations, format_violations(violations)
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.locator(".flash-success")).to_contain_text("We will email no more mentions")
