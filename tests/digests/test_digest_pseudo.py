"""The digest in the pseudo-locale: a member whose language is `xx` gets every section
title, summary, meta line, link label and date of their digest translated or formatted
for them (both parts, the subject, the "view in browser" page), whoever's content it
carries and whichever process builds it; and counts take their plural forms."""

from __future__ import annotations

import datetime as dt
import html
import re
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.mail import SMTPTransport
from forum.core.privacy import FORMER_MEMBER_NAME
from forum.digests.builder import build_digest
from forum.digests.digest import Digest
from forum.digests.planner import due_members
from forum.digests.render import render_digest_email, render_digest_page
from forum.digests.sender import send_pending
from forum.events import attendance as event_attendance
from forum.events import service as events
from forum.notifications.service import follow
from forum.taxonomy.models import Sector
from tests.conftest import Client, People, Threads, sign_in
from tests.digests.smtp_sink import running_sink
from tests.digests.test_content import add_item, practice
from tests.i18n.pseudo import pseudo
from tests.i18n.untranslated import Content, untranslated, untranslated_lines

WEEK = dt.timedelta(days=7)


class World:
    def __init__(self, reader: User, writer: User, content: Content) -> None:
        self.reader, self.writer, self.content = reader, writer, content


@pytest.fixture
def world(db: Session, people: People, threads: Threads, pseudo_locale: str) -> World:
    """A reader in `xx` (Tokyo) following Japan, food and a thread, with something new in
    every section: intelligence, a good practice, two replies, a call closing soon, an
    event with people going, and an unread mention, all written by an English member."""
    reader = people.make(name="Zoë Reader", email="zoe@example.eu")
    reader.language, reader.timezone = pseudo_locale, "Asia/Tokyo"
    writer = people.make(name="Rita Writer")
    writer.language = "en"
    follow(db, reader.id, "country", "JP")
    follow(db, reader.id, "sector", "food")
    now = utcnow()
    add_item(db, writer, title="Sake exporters meet Osaka food buyers")
    add_item(db, writer, title="Global seafood rules", is_global=True, countries=())
    add_item(db, writer, title="Tokyo food tender", kind="tender",
             deadline=now + dt.timedelta(days=5))  # fmt: skip
    practice(db, writer, title="A shared stand at FOODEX")
    thread = threads.start(writer, title="Buyers in Osaka")
    follow(db, reader.id, "thread", str(thread.id))
    threads.reply(writer, thread, "We met two distributors.")
    threads.reply(writer, thread, f"And @{reader.handle} knows a third one.")
    fair = events.create_event(db, writer, events.EventInput(
        name="FOODEX Japan", country="JP", city="Chiba",
        starts_on=now.date() + dt.timedelta(days=3), ends_on=now.date() + dt.timedelta(days=6),
    ))  # fmt: skip
    event_attendance.set_attendance(db, writer, fair, status="going")
    db.flush()
    strings = ["Cluster Forum", reader.name, writer.name]
    strings += [s.name for s in db.scalars(select(Sector))]
    strings += ["Sake exporters meet Osaka food buyers", "Global seafood rules",
                "Tokyo food tender", "A shared stand at FOODEX", "Buyers in Osaka",
                "We met two distributors.", f"And @{reader.handle} knows a third one.",
                "FOODEX Japan", "Chiba", "Import rules for processed food change in April.",
                "We shared one stand at FOODEX. Two distributors."]  # fmt: skip
    return World(reader, writer, Content(strings))


def digest_of(db: Session, settings: Settings, user: User, now: dt.datetime) -> Digest:
    return build_digest(
        db, settings, user, period=now.date(), window_start=now - WEEK,
        window_end=now + dt.timedelta(minutes=1), now=now,
    )  # fmt: skip


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def assert_digest_translated(message: EmailMessage, content: Content) -> None:
    subject = str(message["Subject"])
    assert subject.startswith("["), subject
    assert untranslated_lines(subject, content) == [], subject
    text, html = _parts(message)
    assert untranslated_lines(text, content) == [], text
    assert untranslated(html, content) == [], html
    assert 'lang="xx"' in html


def test_every_section_of_a_digest_to_an_xx_member_is_in_xx(
    db: Session, settings: Settings, world: World
) -> None:
    digest = digest_of(db, settings, world.reader, utcnow())
    keys = {s.key for s in digest.sections}
    assert {"intel", "good_practices", "threads", "deadlines", "events", "replies"} <= keys
    message = render_digest_email(settings, world.reader, digest, message_id="<d@testserver>")
    assert_digest_translated(message, world.content)
    text, html = _parts(message)
    # A title, a date through the formatter, a count with its plural form.
    assert pseudo("New intelligence for your follows").upper() in text
    assert pseudo("Threads you follow with new replies") in html
    assert (
        "["
        + pseudo("%(num)s new replies · latest by %(name)s, %(date)s")[1:12].replace("%(num)s", "2")
        in text
    )
    long_day = re.search(r"\[\d{1,2} [^\]\d]+ \d{4}\]", text)
    assert long_day is not None, "the period and dates through the formatter"


def test_the_view_in_browser_fragment_is_in_the_members_language(
    db: Session, settings: Settings, world: World
) -> None:
    digest = digest_of(db, settings, world.reader, utcnow())
    page = render_digest_page(settings, world.reader, digest)
    assert untranslated(page, world.content) == [], page


def test_the_digest_sender_writes_to_an_xx_member_in_xx_and_to_others_in_english(
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    world: World,
    people: People,
) -> None:
    english = people.make(name="Eve English", email="eve@example.eu")
    follow(db, english.id, "country", "JP")
    due_members(db, utcnow(), settings=settings, force=True)
    db.commit()
    with running_sink() as sink:
        report = send_pending(
            session_factory, settings, transport=SMTPTransport(sink.url), now=utcnow()
        )
        assert report.failed == 0
        (to_reader,) = sink.to(world.reader.email)
        (to_english,) = sink.to(english.email)
    assert_digest_translated(to_reader, world.content)
    text, html = _parts(to_english)
    assert "[" not in str(to_english["Subject"]) and "[" not in text and "[" not in html
    assert "New intelligence for your follows" in html


def test_new_replies_are_counted_with_plural_forms_in_english_and_xx(
    db: Session, settings: Settings, people: People, threads: Threads, pseudo_locale: str
) -> None:
    reader, writer = people.make(), people.make(name="Rita Replier")
    one = threads.start(writer, title="One answer")
    two = threads.start(writer, title="Two answers")
    for thread in (one, two):
        follow(db, reader.id, "thread", str(thread.id))
    threads.reply(writer, one, "First.")
    threads.reply(writer, two, "First.")
    threads.reply(writer, two, "Second.")
    db.flush()

    def metas(language: str) -> dict[str, str]:
        reader.language = language
        digest = digest_of(db, settings, reader, utcnow())
        (section,) = [s for s in digest.sections if s.key == "threads"]
        return {e.title: e.meta for e in section.entries}

    english = metas("en")
    assert english["One answer"].startswith("1 new reply · latest by Rita Replier")
    assert english["Two answers"].startswith("2 new replies · latest by Rita Replier")
    xx = metas(pseudo_locale)
    one_form = pseudo("%(num)s new reply · latest by %(name)s, %(date)s")
    many_form = pseudo("%(num)s new replies · latest by %(name)s, %(date)s")
    assert xx["One answer"].startswith(
        one_form.split(", %(date)s")[0] % {"num": 1, "name": "Rita Replier"}
    )
    assert xx["Two answers"].startswith(
        many_form.split(", %(date)s")[0] % {"num": 2, "name": "Rita Replier"}
    )


def test_and_n_more_takes_its_plural_form_in_the_email(
    settings: Settings, people: People, pseudo_locale: str
) -> None:
    from forum.digests.digest import Entry, Section

    reader = people.make()
    entry = Entry(title="An item", url="http://testserver/intel/1", meta="", excerpt="")
    for more, english in ((1, "and 1 more"), (2, "and 2 more")):
        digest = Digest(
            user_id=reader.id, period=dt.date(2026, 12, 7),
            window_start=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
            window_end=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
            sections=[Section(key="intel", title="New", entries=[entry], more=more)],
        )  # fmt: skip
        reader.language = "en"
        _text, html = _parts(render_digest_email(settings, reader, digest, message_id="<m@x>"))
        assert english in html
        reader.language = pseudo_locale
        _text, html = _parts(render_digest_email(settings, reader, digest, message_id="<m@x>"))
        assert pseudo("and %(num)s more").replace("%(num)s", f"[{more}]") in html


def test_an_erased_author_is_named_in_the_readers_language(
    db: Session, settings: Settings, people: People, threads: Threads, pseudo_locale: str
) -> None:
    reader, writer = people.make(), people.make(name="Rita Replier")
    thread = threads.start(reader, title="Our question")
    follow(db, reader.id, "thread", str(thread.id))
    threads.reply(writer, thread, "An answer.")
    writer.name = FORMER_MEMBER_NAME  # what erasing an account that wrote leaves
    reader.language = pseudo_locale
    db.flush()

    digest = digest_of(db, settings, reader, utcnow())

    (threads_section,) = [s for s in digest.sections if s.key == "threads"]
    assert pseudo("Former member") in threads_section.entries[0].meta
    (replies,) = [s for s in digest.sections if s.key == "replies"]
    assert replies.entries[0].title == pseudo("%(actor)s replied in “%(title)s”") % {
        "actor": pseudo("A former member"),
        "title": "Our question",
    }


# --- the digest settings page, in the member's language --------------------------------------


def test_the_settings_page_its_flash_and_its_errors_are_in_the_members_language(
    client: Client, db: Session, member: User, pseudo_locale: str, sectors: None
) -> None:
    member.language = pseudo_locale
    sign_in(client, db, member)
    db.commit()
    page = client.get("/settings/digest").text
    assert "<h1>" + pseudo("Your digest and emails") + "</h1>" in page
    assert ">" + pseudo("Wednesday") + "</option>" in page

    saved = client.post(
        "/settings/digest",
        data={"csrf_token": client.csrf_token(), "frequency": "weekly", "weekday": "2",
              "hour": "8", "timezone": "America/Toronto", "sectors": ["food"]},
    )  # fmt: skip
    assert saved.status_code == 303
    flash = pseudo(
        "Your settings are saved. Your digest comes every %(day)s at %(hour)s (%(zone)s)."
    ) % {"day": pseudo("Wednesday"), "hour": "08:00", "zone": "America/Toronto"}
    assert flash in html.unescape(client.get("/settings/digest").text)

    refused = client.post(
        "/settings/digest",
        data={"csrf_token": client.csrf_token(), "frequency": "weekly", "weekday": "2",
              "hour": "8", "timezone": "Atlantis/Capital"},
    )  # fmt: skip
    assert refused.status_code == 422
    error = pseudo("%(zone)s is not a time zone we know (e.g. Europe/Brussels).")
    assert error % {"zone": "'Atlantis/Capital'"} in html.unescape(refused.text)
