"""A member sets when the digest comes and follows a country, previews the next digest
(which shows what an admin has just posted for that country), follows the digest's
unsubscribe link, confirms, and finds the digest off in the settings."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import (
    ADMIN_PASSWORD,
    MEMBER_PASSWORD,
    LiveServer,
    chips,
    pick,
    save_screenshot,
    sign_in,
)

NEWS = "Osaka food cluster delegation seeks European partners"


def test_a_member_sets_the_digest_previews_it_and_unsubscribes_by_its_link(
    page: Page, browser: Browser, live_server: LiveServer, member_account: str,
    admin_account: str,
) -> None:  # fmt: skip
    sign_in(page, member_account, MEMBER_PASSWORD)
    page.goto("/settings/digest")
    page.get_by_label("Digest", exact=True).select_option(label="Daily")
    page.get_by_label("Day of the weekly digest").select_option(label="Friday")
    page.get_by_label("Hour").select_option(label="07:00")
    pick(page, "Countries and regions you follow", "Japan", "Japan")
    page.get_by_role("button", name="Save my digest settings").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Your settings are saved. Your digest comes every day at 07:00"
    )
    expect(page.get_by_label("Digest", exact=True)).to_have_value("daily")
    expect(page.get_by_label("Day of the weekly digest")).to_have_value("4")
    expect(page.get_by_label("Hour")).to_have_value("7")
    expect(chips(page, "Countries and regions you follow").filter(has_text="Japan")).to_have_count(
        1
    )
    save_screenshot(page, "digest-01-settings")

    # Someone else posts news for Japan: a digest never shows the member's own items.
    admin = browser.new_context(base_url=live_server.url)
    try:
        other = admin.new_page()
        sign_in(other, admin_account, ADMIN_PASSWORD)
        other.goto("/intel/new")
        other.get_by_label("Title").fill(NEWS)
        pick(other, "Countries or regions", "Japan", "Japan")
        other.get_by_role("button", name="Publish").click()
        expect(other.locator("h1")).to_have_text(NEWS)
    finally:
        admin.close()

    page.get_by_role("link", name="See your next digest as it would be sent now").click()
    expect(page).to_have_url(re.compile(r"/settings/digest/preview$"))
    expect(page.locator(".flash-info")).to_contain_text("under the subject")
    digest = page.get_by_role("article")
    expect(digest.get_by_role("heading", level=1)).to_be_visible()
    expect(digest.get_by_role("link", name=NEWS)).to_be_visible()
    save_screenshot(page, "digest-02-preview")

    unsubscribe = digest.get_by_role("link", name="Unsubscribe")
    href = unsubscribe.get_attribute("href")
    assert href and re.fullmatch(re.escape(live_server.url) + r"/unsubscribe/[\w.-]+", href)
    unsubscribe.click()
    expect(page.locator("h1")).to_have_text("Unsubscribe from the digest")
    expect(page.locator("main")).to_contain_text(f"Stop the daily digest sent to {member_account}")
    violations = axe_violations(browser, href)  # opened from a mail client: no session
    assert not violations, format_violations(violations)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("h1")).to_have_text("You are unsubscribed")
    save_screenshot(page, "digest-03-unsubscribed")

    page.get_by_role("link", name="your digest settings").click()
    expect(page.get_by_label("Digest", exact=True)).to_have_value("off")
    # The same link again says so and offers no button.
    page.goto(href)
    expect(page.locator("main")).to_contain_text("The digest is already off")
    expect(page.get_by_role("button", name="Unsubscribe")).to_have_count(0)
