"""Three members and a moderator use a good-practice thread: share, reply, reply to the
reply, switch views, edit, flag, hide. The thread page passes axe."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .axe import axe_violations, format_violations
from .conftest import REPO_ROOT, LiveServer, _server_env, pick, save_screenshot

PASSWORD = "journey passphrase for all"
PEOPLE = {
    "ana": ("ana.e2e@example.eu", "Ana Author", "member"),
    "ben": ("ben.e2e@example.eu", "Ben Replier", "member"),
    "cleo": ("cleo.e2e@example.eu", "Cleo Third", "member"),
    "mo": ("mo.e2e@example.eu", "Mo Moderator", "moderator"),
}


@pytest.fixture(scope="module")
def accounts(live_server: LiveServer) -> dict[str, str]:
    env = _server_env(live_server.data_dir, live_server.url)
    for email, name, role in PEOPLE.values():
        subprocess.run(
            [sys.executable, "-m", "forum.cli", "user", "create", email, "--name", name,
             "--role", role, "--password-stdin"],
            input=PASSWORD + "\n", env=env, cwd=REPO_ROOT, capture_output=True, text=True,
            timeout=60, check=True,
        )  # fmt: skip
    return {key: email for key, (email, _, _) in PEOPLE.items()}


@pytest.fixture
def contexts(browser: Browser, live_server: LiveServer) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def signed_in(
    browser: Browser, live_server: LiveServer, email: str, opened: list[BrowserContext]
) -> Page:
    context = browser.new_context(base_url=live_server.url)
    opened.append(context)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".site-account")).to_contain_text("Log out")
    return page


def test_a_good_practice_thread_from_sharing_to_moderation(
    page: Page, browser: Browser, live_server: LiveServer, accounts: dict[str, str],
    contexts: list[BrowserContext],
) -> None:  # fmt: skip
    # Ana shares a good practice in five fields, in the page that checks CSP violations.
    page.goto("/login")
    page.get_by_label("Email address").fill(accounts["ana"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/discussions")
    page.get_by_role("link", name="Share a good practice").click()
    page.get_by_label("Title").fill("Joint stand at FOODEX Japan")
    page.get_by_label("Approach: what you did").fill("We booked one stand for **six** SMEs.")
    page.get_by_label("Results: what came of it").fill("Two distribution agreements in Osaka.")
    pick(page, re.compile("^Countries or regions"), "Japan", "Japan")
    pick(page, "Sectors", "Food", "Food industry")
    save_screenshot(page, "discussions-01-new-good-practice")
    page.get_by_role("button", name="Share it").click()
    expect(page.locator("h1")).to_have_text("Joint stand at FOODEX Japan")
    expect(page.locator(".good-practice")).to_contain_text("six")
    expect(page.locator(".tag-list")).to_contain_text("Japan")
    thread_url = page.url.replace(live_server.url, "")

    # Ben replies; Cleo replies to Ben's reply.
    ben = signed_in(browser, live_server, accounts["ben"], contexts)
    ben.goto(thread_url)
    ben.get_by_label("Reply to the thread").fill("We did the same in Tokyo: it works.")
    ben.get_by_role("button", name="Post reply").click()
    expect(ben.locator(".post").first).to_contain_text("it works")
    cleo = signed_in(browser, live_server, accounts["cleo"], contexts)
    cleo.goto(thread_url)
    cleo.get_by_role("link", name="Reply to Ben Replier").click()
    cleo.get_by_label("Your reply").fill("Which trade fair in Tokyo, Ben?")
    cleo.get_by_role("button", name="Post reply").click()
    nested = cleo.locator(".post.depth-1")
    expect(nested).to_contain_text("Which trade fair")

    # Tree and flat views.
    cleo.get_by_role("link", name="Show in order of posting").click()
    expect(cleo.locator(".post.depth-1")).to_have_count(0)
    expect(cleo.locator(".post").last).to_contain_text("in reply to Ben Replier")
    cleo.get_by_role("link", name="Show as a tree").click()
    expect(cleo.locator(".post.depth-1")).to_have_count(1)

    # Cleo edits her reply.
    cleo.locator(".post.depth-1").get_by_role("link", name="Edit").click()
    cleo.get_by_label("Text").fill("Which trade fair in Tokyo, Ben? FOODEX too?")
    cleo.get_by_role("button", name="Save").click()
    expect(cleo.locator(".post.depth-1")).to_contain_text("FOODEX too?")
    expect(cleo.locator(".post.depth-1")).to_contain_text("(edited)")
    save_screenshot(cleo, "discussions-02-tree")

    # Ana flags Cleo's reply; Mo hides it; Ben no longer sees it.
    page.goto(thread_url)
    reply = page.locator(".post.depth-1")
    reply.locator("summary", has_text="Flag").click()
    reply.get_by_label("What is wrong with this post?").fill("Off topic for this good practice.")
    reply.get_by_role("button", name="Send to the moderators").click()
    mo = signed_in(browser, live_server, accounts["mo"], contexts)
    mo.goto("/moderation")
    expect(mo.locator("main")).to_contain_text("Off topic for this good practice.")
    mo.goto(thread_url)
    target = mo.locator(".post.depth-1")
    target.locator("summary", has_text="Moderate").click()
    target.get_by_label("Why (required; kept in the audit log)").fill("Flagged as off topic.")
    target.get_by_role("button", name="Hide").click()
    mo.goto(thread_url)
    expect(mo.locator(".post.depth-1")).to_contain_text("Hidden by a moderator")
    ben.goto(thread_url)
    expect(ben.locator("main")).not_to_contain_text("FOODEX too?")
    save_screenshot(ben, "discussions-03-after-hiding")

    violations = axe_violations(
        browser, f"{live_server.url}{thread_url}", signed_in_from=ben.context
    )
    assert not violations, format_violations(violations)
    anonymous = axe_violations(browser, f"{live_server.url}{thread_url}")
    assert not anonymous, format_violations(anonymous)
    assert re.match(r"^/threads/\d+$", thread_url)
