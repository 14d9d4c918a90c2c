"""The XSS corpus through every other user-controlled text: intelligence items, display
names, uploaded file names, harvested feed entries, events, both Atom feeds and the
emails (digests and notification emails). Pages, Atom HTML content and email HTML parts
are parsed; none may hold a script, an on* attribute or a javascript:/data: URL.
"""

from __future__ import annotations

import datetime as dt
import html
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.text import render_markdown
from forum.digests.digest import Digest, Entry, Section
from forum.digests.render import render_digest_email, render_digest_page
from forum.discovery.sync import close_search_engines, drain_outbox, search_engine
from forum.discussions import feeds as thread_feeds
from forum.discussions.models import Thread
from forum.events import listing as event_lists
from forum.events import service as events
from forum.intelligence import feeds as intel_feeds
from forum.intelligence import harvest
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import Feed, IntelItem
from forum.taxonomy.service import resolve_sectors, seed_sectors
from tests.conftest import Client, Outbox, People, Threads, sign_in
from tests.intelligence.test_harvest import NOW, rss
from tests.intelligence.test_harvest import Entry as FeedEntry
from tests.security.htmlcheck import DANGEROUS_SCHEMES, script_risks

PAYLOADS = [
    line for line in (Path(__file__).parent / "xss_payloads.txt").read_text().split("\n") if line
]
ATOM_NS = "{http://www.w3.org/2005/Atom}"
PUBLIC_FEED = "http://93.184.215.14/feed.xml"  # judged public by the guard; never contacted


def page_risks(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [f"{url}: {r}" for r in script_risks(response.text)]


def atom_risks(document: bytes) -> list[str]:
    """Parse an Atom document: every type="html" text and type="xhtml" subtree is checked
    as HTML, and no href anywhere has a script-capable scheme."""
    root = ET.fromstring(document)  # noqa: S314 - our own output, made by the test
    assert root.tag == f"{ATOM_NS}feed"
    problems: list[str] = []
    for element in root.iter():
        kind = element.get("type", "text")
        if kind == "html":
            problems += script_risks(element.text or "")
        elif kind == "xhtml":
            problems += script_risks("".join(ET.tostring(c, encoding="unicode") for c in element))
        href = "".join((element.get("href") or "").split()).lower()
        if href.startswith(DANGEROUS_SCHEMES):
            problems.append(f"<{element.tag} href={href[:40]}>")
    return problems


def email_risks(message: EmailMessage) -> list[str]:
    """The HTML part of a message, as a mail client would show it. Inlined styles are ours
    (the digest's CSS is inlined); anything else that could run script is a problem."""
    html = message.get_body(preferencelist=("html",))
    if html is None:
        return []
    return [r for r in script_risks(str(html.get_content())) if "style=" not in r]


def test_the_checkers_catch_what_they_must() -> None:
    feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="html">'
        b"&lt;img src=x onerror=alert(1)&gt;</content>"
        b'<link href=" javascript:alert(1)"/></entry></feed>'
    )
    assert len(atom_risks(feed)) == 2


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.update(name.lower() for name, _ in attrs)


def test_no_payload_turns_into_htmx_or_framework_attributes() -> None:
    """htmx runs hx-* attributes it finds in the page: user markup must never carry one."""
    for payload in PAYLOADS:
        finder = _Attributes()
        finder.feed(render_markdown(payload))
        bad = {n for n in finder.names if n.startswith(("hx-", "data-hx-", "ng-", "v-", "x-"))}
        assert bad == set(), payload


@pytest.mark.slow
def test_intel_items_names_file_names_and_harvested_entries_are_inert_everywhere(
    client: Client, db: Session, settings: Settings, session_factory: sessionmaker[Session],
    people: People, sectors: None, admin: User,
) -> None:  # fmt: skip
    food = resolve_sectors(db, ["food"])
    made: list[IntelItem] = []
    for i, payload in enumerate(PAYLOADS):
        author = people.make(name=f"{payload[:100]} {i}")
        item = intel_writes.create_item(
            db, author,
            intel_writes.ItemInput(
                title=f"{payload[:250]} {i}", summary=payload, body=payload, countries=["JP"],
                sectors=food, source_name=payload[:100], url=f"https://news.example.eu/{i}",
            ),
        )  # fmt: skip
        made.append(item)
    db.flush()
    sign_in(client, db, admin)
    for i, (item, payload) in enumerate(zip(made, PAYLOADS, strict=True)):
        response = client.post(
            f"/intel/{item.id}/attachments",
            data={"csrf_token": client.csrf_token()},
            files={"file": (f"{payload}.txt", f"file {i}\n".encode(), "text/plain")},
        )
        assert response.status_code == 303, (payload, response.status_code)

    # Harvested entries: titles, summaries and links straight from a hostile feed.
    entries = [
        FeedEntry(f"{payload} h{i}", f"https://feeds.example.eu/a/{i}", f"urn:h:{i}", payload)
        for i, payload in enumerate(PAYLOADS)
    ]
    entries += [
        FeedEntry(f"hostile link {i}", link, f"urn:l:{i}", "x")
        for i, link in enumerate(
            ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
             " JaVaScRiPt:alert(1)", "vbscript:msgbox(1)", "java\tscript:alert(1)"]
        )
    ]  # fmt: skip
    body = rss(entries, title="<script>alert('feed title')</script>")
    feed = Feed(url=PUBLIC_FEED, name="<img src=x onerror=alert(1)> feed", enabled=True,
                items_added=0, interval_minutes=360, default_kind="news",
                default_countries=["JP"], default_sectors=["food"], auto_publish=True)  # fmt: skip
    db.add(feed)
    db.commit()
    served = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"Content-Type": "text/xml"})
    )
    result = harvest.harvest_one(
        session_factory, feed.id, allow_private=False, force=True, now=NOW, transport=served
    )
    assert result is not None and not result.failed, result
    db.expire_all()
    harvested = list(db.scalars(select(IntelItem).where(IntelItem.feed_id == feed.id)))
    assert len(harvested) >= len(PAYLOADS)
    assert all(h.url is None or h.url.startswith("http") for h in harvested)

    problems: list[str] = []
    pages = [f"/intel/{item.id}" for item in made]
    pages += [f"/intel/{h.id}" for h in harvested[::5]]
    pages += [f"/intel?page={n}" for n in range(1, 8)]
    pages += ["/intel?country=JP", "/admin/feeds", f"/admin/feeds/{feed.id}", "/"]
    pages += [f"/members/{people_handle}" for people_handle in _handles(db, made[:40])]
    for url in pages:
        problems += page_risks(client, url)
    assert problems == []
    # Template syntax in user text stays text: it is shown, never evaluated.
    for item, payload in zip(made, PAYLOADS, strict=True):
        if payload.startswith(("{{7*7}}", "#{7*7}", "<%= 7*7 %>", "[[7*7]]")):
            shown = client.get(f"/intel/{item.id}").text
            assert html.escape(payload.split("{%")[0], quote=False) in shown, payload

    atom = client.get("/feeds/intel.atom")
    assert atom.status_code == 200
    assert atom_risks(atom.content) == []
    every = list(db.scalars(select(IntelItem)))
    document = intel_feeds.build_feed(
        every, base_url="http://testserver", self_url="http://testserver/feeds/intel.atom",
        alternate="http://testserver/intel", title="all",
    )  # fmt: skip
    assert atom_risks(document) == []


def _handles(db: Session, items: list[IntelItem]) -> list[str]:
    ids = [item.author_id for item in items]
    return [u.handle for u in db.scalars(select(User).where(User.id.in_(ids)))]


@pytest.mark.slow
def test_events_are_inert_on_every_page(client: Client, db: Session, admin: User) -> None:
    seed_sectors(db)
    food = resolve_sectors(db, ["food"])
    start = event_lists.today_utc() + dt.timedelta(days=3)
    made = []
    for i, payload in enumerate(PAYLOADS):
        made.append(
            events.create_event(
                db, admin,
                events.EventInput(
                    name=f"{payload[:250]} {i}", description=payload, organiser=payload[:250],
                    city=payload[:150], location_text=payload[:150], country="JP",
                    starts_on=start + dt.timedelta(days=i % 20), sectors=food,
                    date_text=payload[:100],
                ),
            )
        )  # fmt: skip
    db.flush()
    sign_in(client, db, admin)
    pages = [f"/events/{event.id}" for event in made]
    pages += ["/events", "/events?page=2", "/events?page=3", f"/events/month?month={start:%Y-%m}"]
    pages += [f"/events/{made[0].id}/edit"]
    problems: list[str] = []
    for url in pages:
        problems += page_risks(client, url)
    assert problems == []


def test_the_threads_atom_feed_is_inert(
    client: Client, db: Session, people: People, threads: Threads
) -> None:
    for i, payload in enumerate(PAYLOADS):
        author = people.make(name=f"{payload[:100]} {i}")
        threads.start(author, title=f"{payload[:200]} {i}", body=payload)
    db.flush()
    response = client.get("/feeds/threads.atom")
    assert response.status_code == 200
    assert atom_risks(response.content) == []
    every = list(db.scalars(select(Thread)))
    document = thread_feeds.build_feed(
        every, thread_feeds.load_openings(db, every), base_url="http://testserver",
        self_url="http://testserver/feeds/threads.atom", title="all",
    )  # fmt: skip
    assert atom_risks(document) == []


def test_the_search_feeds_are_inert(
    client: Client, db: Session, people: People, threads: Threads, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    for i, payload in enumerate(PAYLOADS):
        author = people.make(name=f"{payload[:100]} {i}")
        threads.start(author, title=f"{payload[:200]} xssfeed {i}", body=f"xssfeed {payload}")
    db.commit()
    engine = search_engine(settings)
    engine.ensure_index()
    drain_outbox(session_factory, engine, settings)
    try:
        for url in ("/feeds/search.atom?q=xssfeed", "/feeds/search.atom",
                    "/feeds/threads.atom?q=xssfeed"):  # fmt: skip
            response = client.get(url)
            assert response.status_code == 200, url
            assert "xssfeed" in response.text, url
            assert atom_risks(response.content) == [], url
    finally:
        close_search_engines()


def test_digest_emails_and_pages_are_inert(db: Session, settings: Settings, people: People) -> None:
    problems: list[str] = []
    for start in range(0, len(PAYLOADS), 8):
        chunk = PAYLOADS[start : start + 8]
        reader = people.make(name=chunk[0][:100])
        entries = [
            Entry(title=p, url=f"http://testserver/intel/{start + n}", meta=p, excerpt=p)
            for n, p in enumerate(chunk)
        ]
        digest = Digest(
            user_id=reader.id,
            period=dt.date(2026, 12, 7),
            window_start=dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC),
            window_end=dt.datetime(2026, 12, 7, 6, tzinfo=dt.UTC),
            sections=[
                Section(
                    key="intel", title=chunk[-1], entries=entries, more=3,
                    more_url="http://testserver/intel?country=JP",
                    follow_links=((chunk[1], "http://testserver/digests/interest/abc"),),
                    summary=chunk[2],
                )
            ],
        )  # fmt: skip
        message = render_digest_email(settings, reader, digest, message_id=f"<d{start}@t>")
        problems += email_risks(message)
        problems += script_risks(render_digest_page(settings, reader, digest))
    assert problems == []


@pytest.mark.slow
def test_notification_emails_are_inert(
    db: Session, people: People, threads: Threads, outbox: Outbox
) -> None:
    for i, payload in enumerate(PAYLOADS):
        owner = people.make(name=f"Owner {i}")
        thread = threads.start(owner, title=f"{payload[:200]} {i}", body="Opening post.")
        replier = people.make(name=f"{payload[:100]} {i}")
        threads.reply(replier, thread, f"{payload} @{owner.handle}")
    db.commit()
    messages = outbox.messages()
    assert len(messages) >= len(PAYLOADS)
    problems = [r for m in messages for r in email_risks(m)]
    assert problems == []
