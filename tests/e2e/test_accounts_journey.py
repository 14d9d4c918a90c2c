"""A cluster manager joins: register, confirm by the mailed link, log in, choose interests,
log out. Every page passes axe; the mail is read from the .eml outbox the server writes."""

from __future__ import annotations

import re
import time
from email import policy
from email.parser import BytesParser

from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import MEMBER_PASSWORD, LiveServer, chips, pick, save_screenshot, sign_in

PASSWORD = "a sunny harbour in Lisbon"


def wait_for_link(server: LiveServer, to: str, path: str, *, tries: int = 150) -> str:
    """The first `path` link mailed to `to`, polling the outbox (the worker sends it)."""
    outbox = server.data_dir / "outbox"
    for _ in range(tries):
        for eml in sorted(outbox.glob("*.eml")) if outbox.is_dir() else []:
            message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
            if message["To"] != to:
                continue
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            found = re.search(rf"{re.escape(server.url)}({re.escape(path)}\S+)", body.get_content())
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no {path} link mailed to {to} within {tries / 10:.0f} s")


def assert_axe_clean(browser: Browser, url: str, page: Page | None = None) -> None:
    violations = axe_violations(browser, url, signed_in_from=page.context if page else None)
    assert not violations, format_violations(violations)


def test_register_verify_log_in_choose_interests_and_log_out(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    email = "lena.e2e@example.eu"
    page.goto("/")
    page.get_by_role("link", name="Join: it takes a minute").click()
    expect(page.locator("h1")).to_have_text("Join Cluster Forum")
    assert_axe_clean(browser, f"{live_server.url}/register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Your name").fill("Lena Laser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Your partnership").select_option(label="LASER-GO GLOBAL")
    save_screenshot(page, "accounts-01-register")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("h1")).to_have_text("Check your email")

    link = wait_for_link(live_server, email, "/verify/")
    page.goto(link)
    assert_axe_clean(browser, f"{live_server.url}{link}")
    page.get_by_role("button", name="Confirm and continue").click()
    # Signed in at once, straight to the interests step: no login form to fill again.
    expect(page.locator("h1")).to_have_text("What should your digest bring you?")
    expect(page.locator(".flash-success")).to_contain_text("confirmed")
    expect(page.locator(".site-account")).to_contain_text("Lena Laser")
    followed = chips(page, "Countries and regions you follow")
    for name in ("Australia", "Canada", "Israel", "Japan", "New Zealand", "Singapore"):
        expect(followed.filter(has_text=name)).to_have_count(1)
    pick(page, "Countries and regions you follow", "Moroc", "Morocco")
    expect(chips(page, "Sectors you follow").filter(has_text="Healthcare")).to_have_count(1)
    save_screenshot(page, "accounts-02-interests")
    assert_axe_clean(browser, f"{live_server.url}/welcome", page)
    pick(page, "Sectors you follow", "food", "Food industry")
    page.get_by_role("button", name="Save my interests").click()
    expect(page.locator(".flash-success")).to_contain_text("interests are saved")
    expect(page.locator(".site-account")).to_contain_text("Lena Laser")
    save_screenshot(page, "accounts-03-home-signed-in")

    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".site-account")).to_contain_text("Log in")
    expect(page.locator(".flash-info")).to_contain_text("logged out")


PHONE = {"width": 390, "height": 844}


def test_on_a_phone_join_is_in_the_first_screen_and_a_member_finds_the_settings(
    page: Page, live_server: LiveServer, member_account: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/")
    join = page.get_by_role("link", name="Join: it takes a minute")
    box = join.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"], f"Join ends {box} below the fold"
    save_screenshot(page, "accounts-00-home-390")

    sign_in(page, member_account, MEMBER_PASSWORD)
    page.goto("/intel")
    settings = page.locator(".site-account").get_by_role("link", name="Settings")
    expect(settings).to_be_visible()
    settings.click()
    expect(page).to_have_url(re.compile(r"/settings/digest$"))
