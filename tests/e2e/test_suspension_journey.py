"""An admin suspends a member from the admin area: the member's open session ends at once,
logging in again is refused, and the audit log records why.

(A moderator hiding a flagged post is part of the discussions journey.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import ADMIN_PASSWORD, LiveServer, create_account, save_screenshot, sign_in

PASSWORD = "suspension journey passphrase"
MEMBER = ("sam.e2e@example.eu", "Sam Spammer", "member")
REASON = "Posted the same advertisement in every category."


@pytest.fixture
def member_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    create_account(live_server, *MEMBER[:2], PASSWORD, MEMBER[2])
    context = browser.new_context(base_url=live_server.url)
    try:
        member = context.new_page()
        sign_in(member, MEMBER[0], PASSWORD)
        yield member
    finally:
        context.close()


def test_an_admin_suspends_a_member_who_is_signed_out_and_cannot_log_in_again(
    page: Page, browser: Browser, admin_account: str, member_page: Page
) -> None:
    sign_in(page, admin_account, ADMIN_PASSWORD)
    page.goto("/admin/users")
    page.get_by_role("search", name="Find a member").get_by_label("Name or email address")\
        .fill(MEMBER[0])  # fmt: skip
    page.get_by_role("button", name="Find").click()
    row = page.get_by_role("row", name=MEMBER[1])
    expect(row).to_contain_text("active")
    row.get_by_role("link", name=MEMBER[1]).click()
    expect(page.locator("h1")).to_have_text(MEMBER[1])

    page.get_by_label("Why (required; recorded in the audit log)").fill(REASON)
    page.get_by_role("button", name=f"Suspend {MEMBER[1]}").click()
    expect(page.locator(".flash-success")).to_contain_text(
        f"{MEMBER[1]} is suspended and signed out everywhere."
    )
    status = page.locator("dl.facts dt", has_text="Status").locator("+ dd")
    expect(status).to_contain_text("suspended")
    expect(status).to_contain_text(REASON)
    expect(page.get_by_role("heading", name="Lift the suspension")).to_be_visible()
    save_screenshot(page, "suspension-01-suspended")
    violations = axe_violations(browser, page.url, signed_in_from=page.context)
    assert not violations, format_violations(violations)

    # The member's open session is gone, and the password no longer opens the account.
    member_page.reload()
    expect(member_page.locator(".site-account")).to_contain_text("Log in")
    member_page.goto("/login")
    member_page.get_by_label("Email address").fill(MEMBER[0])
    member_page.get_by_label("Password").fill(PASSWORD)
    member_page.get_by_role("button", name="Log in").click()
    expect(member_page.locator("main")).to_contain_text("This account is suspended.")
    save_screenshot(member_page, "suspension-02-login-refused")

    page.get_by_role("link", name="Actions on members in the audit log").click()
    expect(page.locator("main")).to_contain_text(REASON)
