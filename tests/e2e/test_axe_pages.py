"""axe on the pages no other browser test scans: no serious or critical violation.

Home (for a visitor; signed in here, with "Since your last visit"), partnership, country, insights, intelligence list and events are scanned by the
foundation journey; search by the search journey; a thread by the discussions journey;
/settings/digest and its preview by the account pages; an event page, an intelligence item
with a file, the unsubscribe page and a member's admin page by their journeys.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from .axe import axe_violations, format_violations
from .conftest import MEMBER_PASSWORD, LiveServer, sign_in

PUBLIC = ["/discussions", "/discussions/c/good-practices"]
SIGNED_IN = [
    "/",
    "/discussions?view=new",
    "/discussions?view=unread",
    "/discussions/new?kind=good_practice",
    "/intel/new",
    "/events/new",
    "/notifications",
    "/settings/searches",
    "/settings/calendar",
]


@pytest.fixture(scope="module")
def member_context(
    browser: Browser, live_server: LiveServer, member_account: str
) -> Iterator[BrowserContext]:
    """One signed-in session for every page of this module: its cookies are copied."""
    context = browser.new_context(base_url=live_server.url)
    try:
        sign_in(context.new_page(), member_account, MEMBER_PASSWORD)
        yield context
    finally:
        context.close()


@pytest.mark.parametrize("path", PUBLIC + SIGNED_IN)
def test_the_page_has_no_serious_or_critical_accessibility_violation(
    browser: Browser, live_server: LiveServer, member_context: BrowserContext, path: str
) -> None:
    signed_in = member_context if path in SIGNED_IN else None
    # The member's cookies go along either way: a public page answers them alike.
    assert member_context.request.get(path).status == 200, path
    violations = axe_violations(browser, live_server.url + path, signed_in_from=signed_in)
    assert not violations, f"axe on {path}:\n{format_violations(violations)}"
