"""A cluster manager's journey in French and in German (issue 24): sign up in that language
(French chosen with the footer's switcher, German from the browser's Accept-Language),
choose interests with the picker by typing the country's name in that language ("Japon",
"Japan") and the sector's ("Agroalimentaire", "Lebensmittelindustrie"), share a good
practice, and receive the digest in that language: its subject, its text part and its
HTML part. axe finds no serious or critical violation on any page of the journey, `lang`
attributes included; screenshots are saved.

The words the pages show are read from the compiled catalogs (`make install`), so that
the journey follows the translations as they are corrected."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from forum.core import i18n
from forum.core.i18n import _
from forum.digests.wording import SECTION_TITLES

from .axe import axe_violations_here, format_violations
from .conftest import (
    ADMIN_PASSWORD,
    REPO_ROOT,
    SCREENSHOTS,
    LiveServer,
    _server_env,
    chips,
    pick,
    save_screenshot,
    sign_in,
)
from .test_accounts_journey import wait_for_link

PASSWORD = "a long evening of tastings in Kyoto"


@dataclass(frozen=True)
class Journey:
    code: str
    email: str
    name: str
    typed_country: str
    country: str  # Japan, as the picker shows it in this language
    typed_sector: str
    sector: str  # the food industry, as the taxonomy names it in this language
    title: str
    approach: str
    results: str
    # Headers of the browser: the German manager's browser asks for German.
    headers: dict[str, str] = field(default_factory=dict)

    def t(self, message: str, **variables: Any) -> str:
        """`message` as this language's catalog writes it."""
        with i18n.using(self.code):
            assert i18n.language() == self.code, "compile the catalogs first: make install"
            return _(message, **variables)

    def read(self, lazy: object) -> str:
        """A label written at import time (`_l`), read in this language."""
        with i18n.using(self.code):
            return str(lazy)


JOURNEYS = {
    "fr": Journey(
        code="fr",
        email="amelie.e2e@example.eu",
        name="Amélie Lefèvre",
        typed_country="Japon",
        country="Japon",
        typed_sector="agroal",
        sector="Agroalimentaire",
        title="Journées de dégustation pour les acheteurs japonais",
        approach="Deux journées de dégustation avec des importateurs, préparées avec nos membres.",
        results="Trois importateurs ont demandé des échantillons et un contrat est signé.",
    ),
    "de": Journey(
        code="de",
        email="juergen.e2e@example.eu",
        name="Jürgen Schäfer",
        typed_country="Japan",
        country="Japan",
        typed_sector="Lebensmittelindu",
        sector="Lebensmittelindustrie",
        title="Verkostungstage für japanische Einkäufer",
        approach="Zwei Verkostungstage mit Importeuren, gemeinsam mit unseren Mitgliedern vorbereitet.",
        results="Drei Importeure haben Muster angefordert, ein Vertrag ist unterschrieben.",
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    ),
}


def press(page: Page, button: str) -> None:
    """Submit with the keyboard, as the picker's user does: the picker's list, still open
    over the button, cannot take the press."""
    found = page.get_by_role("button", name=button)
    found.focus()
    found.press("Enter")


def assert_axe_clean(browser: Browser, page: Page, journey: Journey) -> None:
    """axe on the page as the manager sees it (their cookies, their browser's language):
    no serious or critical violation, and the page says its language."""
    context = browser.new_context(
        bypass_csp=True,
        storage_state=page.context.storage_state(),
        extra_http_headers=journey.headers,
    )
    try:
        scanned = context.new_page()
        scanned.goto(page.url, wait_until="load")
        assert scanned.locator("html").get_attribute("lang") == journey.code, page.url
        violations = axe_violations_here(scanned)
    finally:
        context.close()
    assert not violations, f"axe on {page.url}:\n{format_violations(violations)}"


def digest_for(server: LiveServer, to: str, *, tries: int = 300) -> EmailMessage:
    """The digest mailed to `to` (the message with an HTML part), polling the outbox."""
    outbox = server.data_dir / "outbox"
    for _attempt in range(tries):
        for eml in sorted(outbox.glob("*.eml")) if outbox.is_dir() else []:
            message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
            assert isinstance(message, EmailMessage)
            if message["To"] == to and message.get("List-Unsubscribe"):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no digest mailed to {to} within {tries / 10:.0f} s")


def part(message: EmailMessage, kind: str) -> str:
    body = message.get_body(preferencelist=(kind,))
    assert body is not None, f"the digest has no {kind} part"
    assert body.get_content_type() == f"text/{kind}"
    content: str = body.get_content()
    return content


def send_digest(server: LiveServer, email: str) -> None:
    """`forum digest send --now --user EMAIL`, as an operator runs it. The server's own
    worker may be sending at that moment (the sender lease lets one run): the digest is
    then sent by the worker, and the outbox is polled either way."""
    done = subprocess.run(
        [sys.executable, "-m", "forum.cli", "digest", "send", "--now", "--user", email],
        env=_server_env(server.data_dir, server.url), cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    if done.returncode == 1:
        assert "stopped early" in done.stderr + done.stdout, done.stdout + done.stderr


def publish_news(browser: Browser, server: LiveServer, admin_account: str, title: str) -> None:
    """Someone else's news on Japan and food: a digest never shows the member's own posts."""
    context = browser.new_context(base_url=server.url)
    try:
        other = context.new_page()
        sign_in(other, admin_account, ADMIN_PASSWORD)
        other.goto("/intel/new")
        other.get_by_label("Title").fill(title)
        pick(other, "Countries or regions", "Japan", "Japan")
        pick(other, "Sectors", "food industry", "Food industry")
        other.get_by_role("button", name="Publish").click()
        expect(other.locator("h1")).to_have_text(title)
    finally:
        context.close()


@pytest.mark.parametrize("code", list(JOURNEYS))
def test_a_manager_joins_shares_and_gets_the_digest_in_their_language(
    page: Page, browser: Browser, live_server: LiveServer, admin_account: str, code: str
) -> None:
    j = JOURNEYS[code]
    t = j.t
    if j.headers:
        page.set_extra_http_headers(j.headers)

    # Sign up in that language: French chosen with the footer's switcher, German as the
    # browser asks.
    page.goto("/")
    if code == "fr":
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_label("Language", exact=True).select_option(label="Français")
        page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", code)
    page.get_by_role("link", name=t("Join: it takes a minute")).click()
    expect(page.locator("h1")).to_have_text(t("Join Cluster Forum"))
    assert_axe_clean(browser, page, j)
    page.get_by_label(t("Email address")).fill(j.email)
    page.get_by_label(t("Your name")).fill(j.name)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    save_screenshot(page, f"language-{code}-01-register")
    page.get_by_role("button", name=t("Join"), exact=True).click()
    expect(page.locator("h1")).to_have_text(t("Check your email"))

    page.goto(wait_for_link(live_server, j.email, "/verify/"))
    assert_axe_clean(browser, page, j)
    page.get_by_role("button", name=t("Confirm and continue")).click()
    expect(page.locator("h1")).to_have_text(t("What should your digest bring you?"))
    expect(page.locator("html")).to_have_attribute("lang", code)

    # Interests, typed in that language.
    places = t("Countries and regions you follow")
    sectors = t("Sectors you follow")
    pick(page, places, j.typed_country, j.country)
    pick(page, sectors, j.typed_sector, j.sector)
    save_screenshot(page, f"language-{code}-02-interests")
    assert_axe_clean(browser, page, j)
    press(page, t("Save my interests"))
    expect(page.locator(".flash-success")).to_contain_text(
        t("Your interests are saved. Your digest will follow them.")
    )
    page.goto("/profile#follows")
    expect(chips(page, places).filter(has_text=j.country)).to_have_count(1)
    expect(chips(page, sectors).filter(has_text=j.sector)).to_have_count(1)

    # A good practice, written in that language, tagged with the picker.
    page.goto("/discussions/new?kind=good_practice")
    expect(page.locator("h1")).to_have_text(t("Share a good practice"))
    page.get_by_label(t("Title"), exact=True).fill(j.title)
    page.get_by_label(t("Approach: what you did")).fill(j.approach)
    page.get_by_label(t("Results: what came of it")).fill(j.results)
    pick(page, re.compile("^" + re.escape(t("Countries or regions"))), j.typed_country, j.country)
    pick(page, re.compile("^" + re.escape(t("Sectors"))), j.typed_sector, j.sector)
    save_screenshot(page, f"language-{code}-03-good-practice")
    assert_axe_clean(browser, page, j)
    press(page, t("Share it"))
    expect(page.locator("h1")).to_have_text(j.title)
    tags = page.get_by_role("list", name=t("Tags"))
    expect(tags.get_by_role("link", name=j.country, exact=True)).to_be_visible()
    expect(tags.get_by_role("link", name=j.sector, exact=True)).to_be_visible()
    save_screenshot(page, f"language-{code}-04-thread")
    assert_axe_clean(browser, page, j)

    # The digest, in that language: its subject, its text part and its HTML part.
    news = f"Osaka food buyers meet European clusters ({code})"
    publish_news(browser, live_server, admin_account, news)
    send_digest(live_server, j.email)
    digest = digest_for(live_server, j.email)
    subject = str(digest["Subject"])
    assert j.country in subject and j.sector in subject, subject
    assert "new on" not in subject and "digest" not in subject.casefold(), subject
    intel_title = j.read(SECTION_TITLES["intel"])
    text = part(digest, "plain")
    assert news in text
    assert intel_title.upper() in text, (
        "the section's title, in capitals as the text part writes it"
    )
    assert j.sector in text, "the entry's sectors, named in that language"
    body = part(digest, "html")
    assert f'<html lang="{code}"' in body
    shown = html.unescape(body)
    assert news in shown and intel_title in shown and j.sector in shown
    assert t("Unsubscribe") in shown and t("Choose what it brings you, or when") in shown

    # The HTML part as a mail client shows it.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"language-{code}-05-digest.html").write_text(body, encoding="utf-8")
    mail_client = browser.new_context()
    try:
        shown_page = mail_client.new_page()
        shown_page.set_content(body)
        shown_page.screenshot(
            path=str(SCREENSHOTS / f"language-{code}-05-digest.png"), full_page=True
        )
    finally:
        mail_client.close()
