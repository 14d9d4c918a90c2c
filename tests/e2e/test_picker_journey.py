"""The country, region and sector picker, by keyboard: a member types "jap", "JP" and "ASEAN"
on the interests step, chooses with Enter, removes a chip with Backspace, saves, and finds
the choices on the profile; a good practice is shared with the picker on a phone-wide
screen; and without scripts the same forms still submit."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import (
    MEMBER_PASSWORD,
    LiveServer,
    chips,
    create_account,
    offered,
    pick,
    picker,
    save_screenshot,
    sign_in,
)

PASSWORD = "a picker passphrase for the journey"
COUNTRIES = "Countries and regions you follow"
SECTORS = "Sectors you follow"


def test_a_member_chooses_countries_regions_and_sectors_by_typing(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    email = create_account(live_server, "pia.picker@example.eu", "Pia Picker", PASSWORD, "member")
    sign_in(page, email, PASSWORD)
    page.goto("/welcome")
    box = page.get_by_role("combobox", name=COUNTRIES)
    expect(box).to_be_visible()
    # With the script on, the help says how to type; the Ctrl hint is for the plain list.
    field = picker(page, COUNTRIES)
    expect(field.locator(".picker-js-hint")).to_be_visible()
    expect(field.locator(".picker-nojs-hint")).to_be_hidden()

    pick(page, COUNTRIES, "ASEAN", "ASEAN (region)")
    # An ISO code finds its country; what was typed is taken back with Backspace.
    box.press_sequentially("JP", delay=20)
    expect(offered(page, COUNTRIES).locator(".option")).to_have_text(["Japan"])
    save_screenshot(page, "picker-00-typing-jp")
    box.press("Backspace")
    box.press("Backspace")
    expect(box).to_have_value("")
    expect(chips(page, COUNTRIES)).to_have_count(1)
    # Nothing found says so.
    box.press_sequentially("zzqx", delay=20)
    expect(field.locator(".no-results")).to_contain_text("Nothing matches")
    for _ in range(4):
        box.press("Backspace")

    pick(page, COUNTRIES, "jap", "Japan")
    expect(chips(page, COUNTRIES)).to_have_count(2)
    save_screenshot(page, "picker-01-typed")
    # Backspace in the empty box removes the last chip; Enter brings it back.
    box.press("Backspace")
    expect(chips(page, COUNTRIES).filter(has_text="Japan")).to_have_count(0)
    pick(page, COUNTRIES, "jap", "Japan")

    sectors = page.get_by_role("combobox", name=SECTORS)
    sectors.focus()
    sectors.press_sequentially("food", delay=20)
    expect(offered(page, SECTORS).locator(".option")).to_have_text(
        ["Food industry", "Food innovation"]
    )
    sectors.press("Enter")
    expect(chips(page, SECTORS)).to_have_text(["Food industry×"])
    save_screenshot(page, "picker-02-interests")

    violations = axe_violations(browser, f"{live_server.url}/welcome", signed_in_from=page.context)
    assert not violations, format_violations(violations)

    page.get_by_role("button", name="Save my interests").click()
    expect(page.locator(".flash-success")).to_contain_text("interests are saved")
    page.goto("/profile#follows")
    followed = chips(page, COUNTRIES)
    expect(followed.filter(has_text="Japan")).to_have_count(1)
    expect(followed.filter(has_text="ASEAN")).to_have_count(1)
    expect(chips(page, SECTORS).filter(has_text="Food industry")).to_have_count(1)
    save_screenshot(page, "picker-03-profile")


def test_a_good_practice_is_shared_with_the_picker_on_a_phone(
    page: Page, browser: Browser, live_server: LiveServer, member_account: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, member_account, MEMBER_PASSWORD)
    page.goto("/discussions/new?kind=good_practice")
    countries = re.compile(r"^Countries or regions")
    expect(picker(page, countries).locator(".required-marker")).to_have_text("(required)")
    page.get_by_label("Title").fill("A shared stand at Foodex, told from a phone")
    page.get_by_label("Approach: what you did").fill("Six SMEs on one stand.")
    page.get_by_label("Results: what came of it").fill("Two distributors in Osaka.")
    pick(page, countries, "jap", "Japan")
    pick(page, "Sectors", "food", "Food industry")
    save_screenshot(page, "picker-04-good-practice-390")
    violations = axe_violations(
        browser, f"{live_server.url}/discussions/new?kind=good_practice",
        signed_in_from=page.context,
    )  # fmt: skip
    assert not violations, format_violations(violations)
    page.get_by_role("button", name="Share it").click()
    expect(page.locator("h1")).to_have_text("A shared stand at Foodex, told from a phone")
    tags = page.locator(".tag-list").first
    expect(tags).to_contain_text("Japan")
    expect(tags).to_contain_text("Food industry")


def test_pickers_without_scripts_still_submit(
    browser: Browser, live_server: LiveServer, member_account: str
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, member_account, MEMBER_PASSWORD)
        page.goto("/discussions/new?kind=good_practice")
        expect(page.locator(".picker-nojs-hint").first).to_be_visible()
        page.get_by_label("Title").fill("Told without scripts")
        page.get_by_label("Approach: what you did").fill("A plain list.")
        page.get_by_label("Results: what came of it").fill("It still works.")
        page.get_by_label(re.compile(r"^Countries or regions")).select_option(["g:asean", "KR"])
        page.get_by_label("Sectors").select_option(label="Textile")
        page.get_by_role("button", name="Share it").click()
        expect(page.locator("h1")).to_have_text("Told without scripts")
        tags = page.locator(".tag-list").first
        for name in ("South Korea", "Viet Nam|Vietnam", "Textile"):
            expect(tags).to_contain_text(re.compile(name))
    finally:
        context.close()
