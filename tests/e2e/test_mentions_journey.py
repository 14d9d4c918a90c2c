"""Typing `@` in a reply suggests members; the keyboard chooses one. axe finds nothing
serious with the suggestions open, and the page keeps its CSP."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations_here, format_violations
from .conftest import (
    MEMBER_EMAIL,
    MEMBER_PASSWORD,
    LiveServer,
    create_account,
    save_screenshot,
    sign_in,
)

WRITER = ("mentions.writer.e2e@example.eu", "Walter Writer")
MENTIONED = ("mentions.marta.e2e@example.eu", "Marta Mentionable")


def _type_a_mention(page: Page) -> None:
    page.goto("/discussions/new")
    text = page.get_by_label("Text", exact=True)
    text.click()
    text.press_sequentially("Thanks @marta.men")
    options = page.get_by_role("listbox", name="Members to mention").get_by_role("option")
    expect(options.first).to_contain_text("Marta Mentionable")
    expect(options.first).to_have_attribute("aria-selected", "true")


def test_typing_at_in_a_reply_suggests_members_and_the_keyboard_chooses(
    page: Page, browser: Browser, live_server: LiveServer, member_account: str
) -> None:
    create_account(live_server, MENTIONED[0], MENTIONED[1], MEMBER_PASSWORD, "member")
    sign_in(page, MEMBER_EMAIL, MEMBER_PASSWORD)
    _type_a_mention(page)
    save_screenshot(page, "mentions-suggested")
    text = page.get_by_label("Text", exact=True)
    text.press("Enter")
    expect(text).to_have_value("Thanks @marta.mentionable ")
    expect(page.get_by_role("listbox", name="Members to mention")).to_be_hidden()
    # Escape closes the list and leaves what was typed alone.
    text.press_sequentially("and @marta")
    suggestions = page.get_by_role("listbox", name="Members to mention")
    expect(suggestions.get_by_role("option").first).to_be_visible()
    text.press("Escape")
    expect(page.get_by_role("listbox", name="Members to mention")).to_be_hidden()
    expect(text).to_have_value("Thanks @marta.mentionable and @marta")

    # axe, with the suggestions open (a context that lets axe be injected).
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    try:
        scanned = context.new_page()
        sign_in(scanned, MEMBER_EMAIL, MEMBER_PASSWORD)
        _type_a_mention(scanned)
        violations = axe_violations_here(scanned)
    finally:
        context.close()
    assert not violations, format_violations(violations)
