"""The discussion pages in the reader's language: in the pseudo-locale `xx` every label
and sentence comes out "[Ŝéñţéñçé]", counts take their plural form through ngettext,
and dates come through the formatters (never strftime)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.core.config import Settings
from forum.core.formats import format_date, format_datetime, machine_time
from forum.discussions import moderation
from forum.discussions.models import Post, Thread
from forum.moderation import flags
from forum.notifications.models import Notification
from tests.conftest import Client, Outbox, Threads, sign_in
from tests.i18n.pseudo import pseudo
from tests.i18n.untranslated import Content, untranslated


@pytest.fixture
def xx(pseudo_locale: str, client: Client) -> Iterator[Client]:
    """A visitor reading in the pseudo-locale."""
    client.cookies.set(i18n.LANGUAGE_COOKIE, pseudo_locale)
    yield client
    client.cookies.delete(i18n.LANGUAGE_COOKIE)


def _replies(count: int, variable: str = "replies") -> str:
    """How "N reply/replies" comes out in `xx`: the message, the number formatted."""
    message = f"%({variable})s reply" if count == 1 else f"%({variable})s replies"
    return pseudo(message) % {variable: pseudo(str(count))}


def _in_xx(function: Callable[..., str], *args: object) -> str:
    with i18n.using("xx"):
        return function(*args)


def _meta_of(page: str, thread: Thread) -> str:
    """The list's card of `thread`: from its title to the end of its meta line."""
    start = page.index(f'href="{thread.url}"')
    return page[start : page.index("</p>", start)]


def _one_reply_and_two(
    db: Session, member: User, other: User, threads: Threads
) -> tuple[Thread, Thread]:
    one = threads.start(member, title="Buyers in Osaka")
    threads.reply(other, one, "Try the trade fair.")
    two = threads.start(member, title="Distributors in Lyon")
    threads.reply(other, two, "Ask the chamber.")
    threads.reply(other, two, "Or the cluster next door.")
    db.commit()
    return one, two


# --- English, the default --------------------------------------------------------------------


def test_one_reply_and_two_replies_in_english(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    one, two = _one_reply_and_two(db, member, other_member, threads)
    listing = client.get("/discussions").text
    assert "· 1 reply" in _meta_of(listing, one)
    assert "· 2 replies" in _meta_of(listing, two)
    assert "1 replies" not in listing
    assert "· 1 reply ·" in " ".join(client.get(one.url).text.split())
    assert "· 2 replies ·" in " ".join(client.get(two.url).text.split())


def test_a_posts_date_in_english_goes_through_the_formatter(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    post = threads.reply(other_member, thread, "Try the trade fair.")
    db.commit()
    page = client.get(thread.url).text
    shown = re.search(
        rf'<a class="meta" href="/posts/{post.id}"[^>]*><time[^>]*>([^<]+)</time>', page
    )
    assert shown is not None
    with i18n.using("en"):
        assert shown.group(1) == format_datetime(post.created_at)  # "7 Dec 2026, 14:05"
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", shown.group(1))


# --- the pseudo-locale ----------------------------------------------------------------------


def test_the_list_in_xx_shows_pseudo_translated_labels_plurals_and_dates(
    xx: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    one, two = _one_reply_and_two(db, member, other_member, threads)
    page = xx.get("/discussions").text
    for label in ("Discussions", "Categories", "All categories", "Filter", "Apply filters",
                  "Kind", "Country", "Sector", "Any kind", "Discussion"):  # fmt: skip
        assert pseudo(label) in page, label
    assert pseudo("Good practices, questions and cooperation offers from cluster managers, "
                  "tagged by country and sector.") in page  # fmt: skip
    assert _replies(1) in _meta_of(page, one)
    assert _replies(2) in _meta_of(page, two)
    day = _in_xx(format_date, two.last_activity_at)
    assert day.startswith("[") and day in _meta_of(page, two)
    assert pseudo("last activity %(date)s") % {"date": day} in _meta_of(page, two)


def test_the_thread_page_in_xx_shows_pseudo_translated_labels_and_the_posts_date(
    xx: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Buyers in Osaka")
    post = threads.reply(other_member, thread, "Try the trade fair.")
    db.commit()
    page = xx.get(thread.url).text
    for label in ("Discussions", "Replies", "Your reply", "As a tree", "Show in order of posting",
                  "Permalink", "Discussion"):  # fmt: skip
        assert pseudo(label) in page, label
    assert _replies(1) in page
    assert pseudo("views")[1:-1] in page or pseudo("view")[1:-1] in page
    when = _in_xx(format_datetime, post.created_at)
    assert when.startswith("[")
    assert f'datetime="{machine_time(post.created_at)}">{when}</time>' in page
    # A visitor is offered the login link, in a sentence around it.
    assert (
        pseudo('<a href="/login?next=/threads/%(id)s">Log in</a> to reply.') % {"id": thread.id}
        in page
    )


def test_the_thread_page_in_xx_has_no_text_left_untranslated(
    pseudo_locale: str, client: Client, db: Session, member: User, other_member: User,
    moderator: User, threads: Threads,
) -> None:  # fmt: skip
    thread = threads.start(member, title="Buyers in Osaka", body="Who knows a distributor?")
    first = threads.reply(other_member, thread, "Try the trade fair.")
    threads.reply(member, thread, "Thanks!", parent=first)
    hidden = threads.reply(other_member, thread, "Buy my pills.")
    moderation.hide_post(db, moderator, hidden, reason="Spam.")
    content = Content.of_database(db, "Cluster Forum")
    for reader in (None, other_member, moderator):
        if reader is not None:
            reader.language = pseudo_locale
            db.commit()
            sign_in(client, db, reader)
        else:
            client.cookies.set(i18n.LANGUAGE_COOKIE, pseudo_locale)
            db.commit()
        page = client.get(thread.url).text
        main = page[page.index("<main") : page.index("</main>")]
        assert untranslated(main, content) == [], reader


def test_the_moderation_queue_in_xx(
    pseudo_locale: str, client: Client, db: Session, member: User, other_member: User,
    moderator: User, threads: Threads, settings: Settings,
) -> None:  # fmt: skip
    thread = threads.start(member, title="Buyers in Osaka")
    post = threads.reply(member, thread, "Call my cousin.")
    flags.flag(db, other_member, object_type="post", object_id=post.id, reason="Spam.",
               settings=settings)  # fmt: skip
    flags.flag(db, moderator, object_type="post", object_id=post.id, reason="Really.",
               settings=settings)  # fmt: skip
    moderator.language = pseudo_locale
    db.commit()
    sign_in(client, db, moderator)
    page = client.get("/moderation").text
    assert pseudo("Moderation") in page
    assert pseudo("Dismiss the flag") in page
    assert pseudo("%(flags)s other open flag on it") % {"flags": pseudo("1")} in page
    content = Content.of_database(db, "Cluster Forum")
    main = page[page.index("<main") : page.index("</main>")]
    assert untranslated(main, content) == []


def test_a_refusal_in_xx_on_the_page_and_from_the_service(
    pseudo_locale: str, client: Client, db: Session, member: User, moderator: User,
    threads: Threads,
) -> None:  # fmt: skip
    thread = threads.start(member, title="Buyers in Osaka")
    moderation.lock(db, moderator, thread, reason="Heated.")
    member.language = pseudo_locale
    db.commit()
    sign_in(client, db, member)
    page = client.get(thread.url).text
    assert pseudo("This thread is locked: it takes no new replies.") in page
    refused = client.post(
        f"/threads/{thread.id}/posts", data={"csrf_token": client.csrf_token(), "body": "Hello."}
    )
    assert refused.status_code == 403
    assert pseudo("This thread is locked: it takes no new replies.") in refused.text


def test_the_feed_title_in_xx(xx: Client, db: Session, member: User, threads: Threads) -> None:
    threads.start(member)
    db.commit()
    feed = xx.get("/feeds/threads.atom").text
    assert pseudo("Cluster Forum: threads") in feed
    assert pseudo("Discussions and good practices of the Cluster Forum") in feed


def test_a_flag_email_is_in_the_moderators_language(
    pseudo_locale: str, db: Session, member: User, other_member: User, moderator: User,
    threads: Threads, settings: Settings, outbox: Outbox,
) -> None:  # fmt: skip
    moderator.language = pseudo_locale
    thread = threads.start(member, title="Buyers in Osaka")
    post: Post = threads.reply(member, thread, "Call my cousin.")
    flags.flag(db, other_member, object_type="post", object_id=post.id, reason="Spam.",
               settings=settings)  # fmt: skip
    db.commit()
    (message,) = outbox.to(moderator.email)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    label = pseudo("post #%(id)s in “%(title)s”") % {"id": post.id, "title": thread.title}
    assert label in message["Subject"]
    assert label in body.get_content()


def test_a_flags_stored_notification_stays_the_english_record(
    pseudo_locale: str, db: Session, member: User, other_member: User, moderator: User,
    threads: Threads, settings: Settings,
) -> None:  # fmt: skip
    thread = threads.start(member, title="Buyers in Osaka")
    post = threads.reply(member, thread, "Call my cousin.")
    with i18n.using(pseudo_locale):  # the reporter reads in xx
        flags.flag(db, other_member, object_type="post", object_id=post.id, reason="Spam.",
                   settings=settings)  # fmt: skip
    db.flush()
    stored = db.scalar(select(Notification.text).where(Notification.user_id == moderator.id))
    assert stored == f"{other_member.name} flagged post #{post.id} in “Buyers in Osaka”"
