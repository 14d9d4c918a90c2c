"""A member adds an intelligence item with a PDF; once the server's embedded worker has
extracted the PDF's text and drained the search outbox, a sentence from inside the PDF
finds the item."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.intelligence.test_extract import text_pdf

from .axe import axe_violations, format_violations
from .conftest import MEMBER_PASSWORD, LiveServer, pick, save_screenshot, sign_in

# Words that appear nowhere in the demo data, so the search can only find them in the PDF.
SENTENCE = "Quokka lighthouse consortia negotiate tariff relief in Hobart"
WAIT_SECONDS = 30.0


def wait_until(condition: str, check: Callable[[], bool], *, seconds: float = WAIT_SECONDS) -> None:
    """Poll `check()` every 0.1 s until it is true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {condition} within {seconds:.0f} s")
        time.sleep(0.1)


def test_a_member_adds_an_item_with_a_pdf_and_a_sentence_inside_the_pdf_finds_it(
    page: Page, browser: Browser, live_server: LiveServer, member_account: str, tmp_path: Path
) -> None:
    sign_in(page, member_account, MEMBER_PASSWORD)
    page.goto("/intel/new")
    page.get_by_label("Title").fill("Australian port tariffs for cluster exporters")
    page.get_by_label("Summary").fill("A note on tariffs, with the ministry's brief attached.")
    pick(page, "Countries or regions", "Austral", "Australia")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1")).to_have_text("Australian port tariffs for cluster exporters")
    item_path = page.url.removeprefix(live_server.url)
    assert re.fullmatch(r"/intel/\d+(-[\w-]+)?", item_path), item_path

    pdf = tmp_path / "Hobart tariff brief.pdf"
    pdf.write_bytes(text_pdf(SENTENCE))
    page.get_by_label("Attach a file").set_input_files(pdf)
    page.get_by_role("button", name="Upload the file").click()
    files = page.get_by_role("region", name="Files")
    expect(files.get_by_role("link", name="Hobart tariff brief.pdf")).to_be_visible()

    # The embedded worker extracts the text, then indexes the item through the outbox.
    wait_until(
        "extracted",
        lambda: "Text extracted" in page.request.get(item_path).text(),
    )
    wait_until(
        "indexed",
        lambda: (
            httpx.get(f"{live_server.url}/healthz", timeout=5).json()["worker"]["outbox_depth"] == 0
        ),
    )
    page.reload()
    expect(files.locator(".extraction-status")).to_contain_text("Text extracted")
    files.get_by_text("Extracted text of Hobart tariff brief.pdf").click()
    expect(files.locator(".extracted-text pre")).to_contain_text(SENTENCE)
    save_screenshot(page, "intelligence-01-item-with-pdf")
    violations = axe_violations(browser, page.url, signed_in_from=page.context)
    assert not violations, format_violations(violations)

    header_box = page.get_by_role("search", name="Site search")
    header_box.get_by_label("Search the forum").fill("quokka lighthouse consortia Hobart")
    header_box.get_by_role("button", name="Search").click()
    hit = page.locator(".search-hits .card-title a", has_text="Australian port tariffs")
    expect(hit).to_have_count(1)
    save_screenshot(page, "intelligence-02-found-by-the-pdf")
    hit.click()
    expect(page).to_have_url(re.compile(re.escape(item_path) + "$"))
