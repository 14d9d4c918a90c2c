"""A digest you can act on (issue 22): every "and N more" link lists the section's items
(and more), keeping every follow the section used; reply entries show the reply's text;
the text part keeps a section's follow/mute links together at its end."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.digests.builder import build_digest
from forum.digests.digest import Digest, Section
from forum.digests.member_view import SECTION_CAP
from forum.digests.render import digest_text
from forum.events import service as events
from forum.intelligence import writes as intel_writes
from forum.notifications.service import follow
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, People, Threads

WEEK = dt.timedelta(days=7)


def digest_for(db: Session, settings: Settings, user: User, now: dt.datetime) -> Digest:
    return build_digest(
        db, settings, user, period=now.date(), window_start=now - WEEK,
        window_end=now + dt.timedelta(minutes=1), now=now,
    )  # fmt: skip


def add_item(
    db: Session, author: User, title: str, countries: list[str], sectors: list[str], **kw: object
) -> int:
    item = intel_writes.create_item(
        db,
        author,
        intel_writes.ItemInput(
            title=title, summary="Summary.", countries=countries,
            sectors=resolve_sectors(db, sectors), **kw,  # type: ignore[arg-type]
        ),
        status="published",
    )  # fmt: skip
    return item.id


def listed(client: Client, url: str, pattern: str) -> set[str]:
    """The addresses matching `pattern` on every page the link leads to."""
    found: set[str] = set()
    path: str | None = urlsplit(url)._replace(scheme="", netloc="").geturl()
    for _page in range(20):
        assert path is not None
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        found |= set(re.findall(pattern, response.text))
        following = re.search(r'<a[^>]*href="([^"]+)"[^>]*rel="next"', response.text) or re.search(
            r'<a[^>]*rel="next"[^>]*href="([^"]+)"', response.text
        )
        if following is None:
            return found
        path = following.group(1).replace("&amp;", "&")
    return found


def test_every_more_link_lists_the_sections_items_keeping_the_sector(
    client: Client, db: Session, settings: Settings, people: People, sectors: None
) -> None:
    now = utcnow()
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    follow(db, reader.id, "sector", "healthcare")
    # More items than a section shows: some about Japan only, some in healthcare only
    # (the old link kept the country and dropped these), and one neither.
    ids = [add_item(db, writer, f"Japan item {n}", ["JP"], ["food"]) for n in range(6)]
    ids += [add_item(db, writer, f"Health item {n}", ["CL"], ["healthcare"]) for n in range(6)]
    other = add_item(db, writer, "Chilean wine", ["CL"], ["food"])
    deadline = now + dt.timedelta(days=5)
    calls = [
        add_item(db, writer, "Japan call", ["JP"], ["food"], kind="funding_call",
                 deadline=deadline),
        add_item(db, writer, "Health tender", ["CL"], ["healthcare"], kind="tender",
                 deadline=deadline),
    ]  # fmt: skip
    today = now.date()
    health_sector = resolve_sectors(db, ["healthcare"])
    # Every other event in Japan, the others in healthcare: each follow brings half.
    made = [
        events.create_event(
            db,
            writer,
            events.EventInput(
                name=f"Fair {n}",
                country="JP" if n % 2 else "CL",
                sectors=health_sector if n % 2 == 0 else [],
                starts_on=today + dt.timedelta(days=3 + 5 * n),
            ),
        )
        for n in range(10)
    ]
    db.commit()

    digest = digest_for(db, settings, reader, now)

    intel = next(s for s in digest.sections if s.key == "intel")
    assert intel.more == len(ids) + len(calls) - SECTION_CAP
    assert intel.more_url is not None
    on_page = {int(n) for n in listed(client, intel.more_url, r'href="/intel/(\d+)"')}
    assert set(ids) | set(calls) <= on_page
    assert other not in on_page, "the link keeps the follows: not everything"
    intel_page = client.get(urlsplit(intel.more_url)._replace(scheme="", netloc="").geturl())
    assert "Showing the items of any of these filters" in intel_page.text

    deadlines = next(s for s in digest.sections if s.key == "deadlines")
    assert deadlines.more_url is not None
    assert set(calls) <= {
        int(n) for n in listed(client, deadlines.more_url, r'href="/intel/(\d+)"')
    }

    events_section: Section = next(s for s in digest.sections if s.key == "events")
    assert events_section.more == len(made) - SECTION_CAP
    assert events_section.more_url is not None
    on_events = {int(n) for n in listed(client, events_section.more_url, r'href="/events/(\d+)"')}
    assert {e.id for e in made} <= on_events
    events_page = client.get(
        urlsplit(events_section.more_url)._replace(scheme="", netloc="").geturl()
    )
    assert "Showing the events of any of these filters" in events_page.text


def test_reply_entries_show_the_replys_text(
    db: Session, settings: Settings, people: People, threads: Threads
) -> None:
    now = utcnow()
    reader, writer = people.make(), people.make(name="Wendy Writer")
    thread = threads.start(reader, title="Our question")
    threads.reply(writer, thread, "Try the **Osaka** trade office first, they answer in a day.")
    follow(db, reader.id, "thread", str(thread.id))
    db.flush()

    digest = digest_for(db, settings, reader, now)

    for key in ("replies", "threads"):
        (entry,) = next(s for s in digest.sections if s.key == key).entries
        assert entry.excerpt == "Try the Osaka trade office first, they answer in a day.", key
    text = digest_text(settings, reader, digest)
    assert "Try the Osaka trade office first" in text


def test_the_text_part_gives_a_sections_follow_links_as_one_address(
    client: Client, db: Session, settings: Settings, people: People, sectors: None
) -> None:
    now = utcnow()
    reader, writer = people.make(), people.make()
    for kind, target in (("country", "JP"), ("sector", "food"), ("sector", "healthcare")):
        follow(db, reader.id, kind, target)
    add_item(db, writer, "Japan food", ["JP"], ["food"])
    add_item(db, writer, "Health in Chile", ["CL"], ["healthcare"])
    db.commit()

    digest = digest_for(db, settings, reader, now)
    text = digest_text(settings, reader, digest)

    intel = next(s for s in digest.sections if s.key == "intel")
    assert len(intel.follow_links) == 3
    labels = " · ".join(label for label, _url in intel.follow_links)
    assert f"{labels}:" in text
    assert intel.follow_all_url is not None and intel.follow_all_url in text
    # One address for the section instead of three long ones.
    assert "/digests/interest/" not in text
    assert all(len(line) <= 120 for line in text.splitlines() if "/digests/" not in line)

    path = urlsplit(intel.follow_all_url).path
    page = client.get(path)
    assert page.status_code == 200
    buttons = re.findall(r'action="(/digests/interest/[^"]+)"', page.text)
    assert len(buttons) == 3 and "Stop following Japan" in page.text
    assert client.post(buttons[0], data={}).status_code == 303
    again = client.get(path).text
    assert len(re.findall(r'action="/digests/interest/', again)) == 2
    assert client.get("/digests/interests/forged").status_code == 404
