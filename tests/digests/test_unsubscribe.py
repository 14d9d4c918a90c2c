"""The links in a digest that work without a session: one-click unsubscribe (RFC 8058) and
"view in browser". A GET never changes anything; a forged token changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.mail import SMTPTransport
from forum.digests.planner import due_members
from forum.digests.sender import send_pending
from forum.digests.tokens import browser_token, unsubscribe_token
from forum.intelligence import writes as intel_writes
from forum.notifications.models import EmailSettings
from forum.notifications.service import follow
from forum.taxonomy.service import resolve_sectors, seed_sectors
from tests.conftest import TEST_SECRET, Client, People, sign_in
from tests.digests.smtp_sink import SMTPSink

ITEM_TITLE = "Sake exporters meet Osaka food buyers"


@pytest.fixture
def cookieless(app: FastAPI) -> Iterator[TestClient]:
    """A mail provider's one-click POST: no cookies, no CSRF token, no session."""
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


@pytest.fixture
def reader(db: Session, people: People) -> User:
    seed_sectors(db)
    author = people.make(name="Ana Author")
    author.digest_frequency = "off"
    user = people.make(name="Jun Food", email="jun@example.eu")
    follow(db, user.id, "country", "JP")
    follow(db, user.id, "sector", "food")
    intel_writes.create_item(
        db,
        author,
        intel_writes.ItemInput(
            title=ITEM_TITLE,
            countries=["JP"],
            sectors=resolve_sectors(db, ["food"]),
        ),
    )
    db.flush()
    return user


@pytest.fixture
def digest_message(
    db: Session,
    reader: User,
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> EmailMessage:
    due_members(db, utcnow(), settings=settings, force=True)
    db.commit()
    report = send_pending(session_factory, settings, transport=SMTPTransport(sink.url))
    assert report.sent == 1
    (message,) = sink.to(reader.email)
    return message


def path_of(header_value: str) -> str:
    """The https-or-http link of a List-Unsubscribe value, as a path."""
    (url,) = re.findall(r"<(https?://[^>]+)>", header_value)
    return urlsplit(url).path


def frequency(db: Session, user: User) -> str:
    db.expire_all()
    fresh = db.get(User, user.id)
    assert fresh is not None
    return fresh.digest_frequency


def test_one_click_post_from_the_email_header_turns_the_digest_off_without_cookies(
    db: Session, reader: User, digest_message: EmailMessage, cookieless: TestClient
) -> None:
    path = path_of(digest_message["List-Unsubscribe"])
    assert not cookieless.cookies

    response = cookieless.post(path, data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    assert frequency(db, reader) == "off"
    email_settings = db.get(EmailSettings, reader.id)
    assert email_settings is not None and email_settings.unsubscribed_at is not None


def test_a_get_on_the_unsubscribe_link_shows_a_button_and_changes_nothing(
    db: Session, reader: User, client: Client
) -> None:
    token = unsubscribe_token(TEST_SECRET, reader.id)

    page = client.get(f"/unsubscribe/{token}")

    assert page.status_code == 200
    assert frequency(db, reader) == "weekly"
    assert db.get(EmailSettings, reader.id) is None
    assert page.headers["x-robots-tag"].startswith("noindex")
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page.text, re.S)
    assert form is not None, "the page's button posts"
    assert form.group(1) == f"/unsubscribe/{token}"
    assert 'name="List-Unsubscribe" value="One-Click"' in form.group(2)
    assert "<button" in form.group(2)


def test_the_page_button_posts_what_one_click_posts(
    db: Session, reader: User, client: Client
) -> None:
    token = unsubscribe_token(TEST_SECRET, reader.id)
    client.get(f"/unsubscribe/{token}")  # the browser has the CSRF cookie, not the token

    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert frequency(db, reader) == "off"
    again = client.get(f"/unsubscribe/{token}")
    assert "already off" in again.text
    assert 'value="One-Click"' not in again.text


@pytest.mark.parametrize(
    "forge",
    [
        lambda user: unsubscribe_token("another-secret", user.id),
        lambda user: unsubscribe_token(TEST_SECRET, user.id)[:-2] + "xx",
        lambda user: browser_token(TEST_SECRET, user.id, dt.date(2027, 1, 11)),
        lambda user: "not-a-token",
    ],
    ids=["other-key", "altered", "other-purpose", "garbage"],
)
def test_a_forged_unsubscribe_token_changes_nothing(
    db: Session, reader: User, cookieless: TestClient, forge: object
) -> None:
    token = forge(reader)  # type: ignore[operator]

    posted = cookieless.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    shown = cookieless.get(f"/unsubscribe/{token}")

    assert posted.status_code == 404
    assert shown.status_code == 404
    assert frequency(db, reader) == "weekly"
    assert db.get(EmailSettings, reader.id) is None


def test_view_in_browser_shows_the_digest_that_was_sent_inside_a_site_page(
    reader: User, digest_message: EmailMessage, cookieless: TestClient
) -> None:
    text = digest_message.get_body(preferencelist=("plain",))
    assert text is not None
    (url,) = set(re.findall(r"(http://testserver/digests/(?!interests?/)\S+)", text.get_content()))

    page = cookieless.get(urlsplit(url).path)

    assert page.status_code == 200
    assert ITEM_TITLE in page.text
    assert '<main id="main"' in page.text
    assert page.headers["x-robots-tag"].startswith("noindex")


def test_view_in_browser_answers_404_for_a_forged_token_or_a_period_never_sent(
    reader: User, cookieless: TestClient
) -> None:
    assert cookieless.get("/digests/forged.token").status_code == 404
    forged = browser_token("another-secret", reader.id, dt.date(2027, 1, 11))
    assert cookieless.get(f"/digests/{forged}").status_code == 404
    never = browser_token(TEST_SECRET, reader.id, dt.date(2027, 1, 11))
    assert cookieless.get(f"/digests/{never}").status_code == 404


def test_unsubscribe_page_offers_to_resubscribe_in_one_click(
    db: Session, reader: User, client: Client
) -> None:
    reader.digest_frequency = "daily"
    db.flush()
    token = unsubscribe_token(TEST_SECRET, reader.id)
    client.get(f"/unsubscribe/{token}")
    done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert frequency(db, reader) == "off"
    form = re.search(
        r'<form method="post" action="(/unsubscribe/[^"]+/resubscribe)">(.*?)</form>',
        done.text,
        re.S,
    )
    assert form is not None, "the confirmation offers the way back"
    assert 'name="frequency" value="daily"' in form.group(2), "the frequency the member had"
    assert "Resubscribe to the daily digest" in form.group(2)
    refused = client.post(form.group(1), data={"frequency": "daily"})
    assert refused.status_code == 403, "a page's button: the CSRF token is needed"
    assert frequency(db, reader) == "off"
    back = client.post_form(form.group(1), {"frequency": "daily"})
    assert back.status_code == 200
    assert "Your digest is back on" in back.text
    assert frequency(db, reader) == "daily"
    email_settings = db.get(EmailSettings, reader.id)
    assert email_settings is not None and email_settings.unsubscribed_at is None
    forged = client.post_form(f"/unsubscribe/{token[:-2]}xx/resubscribe", {"frequency": "daily"})
    assert forged.status_code == 404


def test_the_already_off_page_offers_the_weekly_digest_back(
    db: Session, reader: User, client: Client
) -> None:
    reader.digest_frequency = "off"
    db.flush()
    token = unsubscribe_token(TEST_SECRET, reader.id)
    page = client.get(f"/unsubscribe/{token}")
    assert "already off" in page.text
    assert f'action="/unsubscribe/{token}/resubscribe"' in page.text
    client.post_form(f"/unsubscribe/{token}/resubscribe", {"frequency": "never-mind"})
    assert frequency(db, reader) == "weekly", "an unknown frequency reads as weekly"


def test_home_page_of_an_unsubscribed_member_does_not_promise_a_digest(
    db: Session, reader: User, client: Client
) -> None:
    sign_in(client, db, reader)
    assert "What your digest would bring you" in client.get("/").text
    token = unsubscribe_token(TEST_SECRET, reader.id)
    client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    home = client.get("/").text
    assert "What your digest would bring you" not in home
    assert "Your digest is off" in home
    assert ITEM_TITLE in home, "what is new for the member is still shown"
