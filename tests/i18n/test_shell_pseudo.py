"""The page shell, the accounts' and notifications' pages in the pseudo-locale `xx`: every
sentence they show passes through gettext, and dates and numbers through the formatter."""

from __future__ import annotations

import html

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.core.pagination import Page
from forum.core.uploads import human_size
from forum.notifications.service import notify
from tests.conftest import Client, Threads, sign_in
from tests.i18n.pseudo import pseudo

pytestmark = pytest.mark.usefixtures("pseudo_locale")


def _in_xx(client: Client) -> Client:
    client.cookies.set(i18n.LANGUAGE_COOKIE, "xx")
    return client


def _text(response: object) -> str:
    return html.unescape(response.text)  # type: ignore[attr-defined]


def test_the_shell_of_a_visitors_page_is_pseudo_translated(client: Client) -> None:
    page = _text(_in_xx(client).get("/login"))
    assert '<html lang="xx">' in page
    for label in ("Discussions", "Intelligence", "Partnerships", "Skip to main content"):
        assert pseudo(label) in page
    assert pseudo("Search the forum") in page  # the search box's label and placeholder
    assert pseudo("Log in") in page and pseudo("Join") in page
    assert pseudo("Privacy") in page  # the footer
    assert pseudo("Forgot your password?") in page  # the page itself
    assert ">Discussions<" not in page


def test_the_error_page_is_pseudo_translated(client: Client) -> None:
    page = _text(_in_xx(client).get("/no-such-page"))
    assert pseudo("Page not found") in page
    assert pseudo("Go to the home page") in page
    assert pseudo("Error %(code)s") % {"code": 404} in page


def test_the_csrf_refusal_is_pseudo_translated(client: Client) -> None:
    response = _in_xx(client).post("/login", data={"email": "a@example.eu", "password": "x"})
    assert response.status_code == 403
    page = _text(response)
    assert pseudo("This form could not be verified") in page
    assert "could not be verified" not in page.replace(pseudo("could not be verified"), "")


def test_a_flash_and_the_notifications_page_are_pseudo_translated(
    client: Client, db: Session, member: User
) -> None:
    # The member's own language wins over the cookie: theirs is the pseudo-locale.
    member.language = "xx"
    notify(db, user_id=member.id, kind="reply", text="Reply number 1", url="/posts/1")
    db.flush()
    sign_in(client, db, member)
    page = _text(client.get("/notifications"))
    assert '<html lang="xx">' in page
    assert pseudo("Mark all as read") in page
    assert pseudo("Reply") in page  # the kind
    assert pseudo("Notifications") in page
    # The date went through the formatter, which the pseudo-locale brackets too.
    when = page.split("<time", 1)[1].split("</time>", 1)[0]
    assert "[" in when and "]" in when
    client.post_form("/notifications/read", {})
    after = _text(client.get("/notifications"))
    assert pseudo("All your notifications are marked read.") in after


def test_the_profile_shows_dates_and_labels_through_the_formatter(
    client: Client, db: Session, member: User
) -> None:
    member.language = "xx"
    db.flush()
    sign_in(client, db, member)
    page = _text(client.get("/profile"))
    assert pseudo("Your profile") in page
    assert pseudo("Where you are signed in") in page
    assert pseudo("This browser") in page
    facts = page.split(pseudo("Member since"), 1)[1].split("</dd>", 1)[0]
    assert "[" in facts  # the date, formatted in the reader's language


def test_the_privacy_page_is_pseudo_translated(client: Client) -> None:
    page = _text(_in_xx(client).get("/privacy"))
    assert pseudo("What an account stores") in page
    assert pseudo("Your email address") in page
    assert ">Your email address<" not in page


def test_plurals_in_the_shell_follow_the_count(client: Client) -> None:
    with i18n.using("xx"):
        assert human_size(1) == pseudo("%(num)s byte") % {"num": 1}
        assert human_size(2) == pseudo("%(num)s bytes") % {"num": 2}
    with i18n.using("en"):
        assert human_size(1) == "1 byte"
        assert human_size(2) == "2 bytes"
        assert human_size(3 * 1024 * 1024 // 2) == "1.5 MB"


def test_the_pagination_status_is_translated_and_its_numbers_formatted() -> None:
    page = Page(items=list(range(20)), page=1, per_page=20, total=12345, base_path="/x", params={})
    with i18n.using("en"):
        assert page.status_text == "1–20 of 12,345"
    with i18n.using("xx"):
        assert page.status_text.startswith("[") and pseudo("12,345") in page.status_text


def test_a_notification_is_worded_when_read_with_the_title_as_it_is_now(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Entering the Japanese food market")
    threads.reply(other_member, thread)  # notifies the thread's author
    thread.title = "Entering the Korean food market"
    db.flush()
    sign_in(client, db, member)
    english = _text(client.get("/notifications"))
    assert f"{other_member.name} replied in “Entering the Korean food market”" in english
    member.language = "xx"
    db.flush()
    page = _text(client.get("/notifications"))
    sentence = pseudo("%(actor)s replied in “%(title)s”") % {
        "actor": other_member.name,
        "title": "Entering the Korean food market",
    }
    assert sentence in page


def test_a_missing_things_page_says_so_in_a_whole_sentence(client: Client) -> None:
    page = _text(_in_xx(client).get("/threads/999999"))
    assert pseudo("There is no thread at this address.") in page
