"""The thread page's replies kept as HTML (forum.discussions.post_html): a page made of
kept replies is the page rendered anew, for every reader, and no reader is ever shown a
reply as another reader, another language or an older state of the post had it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.accounts.sessions import SESSION_COOKIE
from forum.core import formats, i18n
from forum.core.security import CSRF_COOKIE, csrf_token_for
from forum.discussions import moderation, writes
from forum.discussions.models import Post, Thread
from forum.discussions.post_html import KEPT, ArticleView, KeptArticles
from tests.conftest import TEST_SECRET, Client, People, Threads, sign_in

PILLS = "Buy my miracle pills at example.com"


@pytest.fixture(autouse=True)
def nothing_kept() -> Iterator[None]:
    KEPT.clear()
    yield
    KEPT.clear()


@pytest.fixture
def busy(
    db: Session, threads: Threads, people: People, member: User, other_member: User,
    moderator: User,
) -> Thread:  # fmt: skip
    """A thread by someone else with a reply of each kind: `other_member`'s plain, edited,
    deleted (with an answer) and hidden (with an answer) replies, a hidden one alone, and
    `member`'s own."""
    thread = threads.start(people.make(name="Opal Opener"), title="Buyers in Osaka")
    threads.reply(other_member, thread, "A plain answer")
    threads.reply(member, thread, "My own answer")
    edited = threads.reply(other_member, thread, "First words")
    writes.edit_post(db, other_member, edited, body="Second words")
    deleted = threads.reply(other_member, thread, "Words taken back")
    threads.reply(member, thread, "An answer to what was taken back", parent=deleted)
    writes.delete_post(db, other_member, deleted)
    hidden = threads.reply(other_member, thread, "Rude words")
    threads.reply(member, thread, "An answer to the rude words", parent=hidden)
    moderation.hide_post(db, moderator, hidden, reason="rude")
    moderation.hide_post(db, moderator, threads.reply(other_member, thread, PILLS), reason="spam")
    db.flush()
    return thread


def _as(client: Client, db: Session, reader: User | None) -> None:
    if reader is None:
        client.cookies.delete(SESSION_COOKIE)
    else:
        sign_in(client, db, reader)


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return re.sub(r"(?i)(nonce[=\-\"': ]+)[A-Za-z0-9_\-]+", r"\1N", response.text)


def _replies(page: str) -> str:
    """The page's replies (the header above changes as notifications are read)."""
    start = page.index('<div class="post-list">')
    return page[start : page.index('<section aria-labelledby="reply-heading"', start)]


@pytest.mark.parametrize("view", ["tree", "flat"])
def test_a_page_of_kept_replies_is_the_page_rendered_anew_for_every_reader(
    client: Client, db: Session, busy: Thread, member: User, other_member: User,
    moderator: User, view: str,
) -> None:  # fmt: skip
    readers = {"visitor": None, "member": member, "author": other_member, "moderator": moderator}
    url = f"/threads/{busy.id}?page=1&view={view}"
    anew = {}
    for name, reader in readers.items():
        KEPT.clear()
        _as(client, db, reader)
        anew[name] = _replies(_page(client, url))
        assert KEPT.hits == 0
        assert KEPT.misses >= 5, "each reply rendered"
    # Each reader's replies as they see them are kept; then each page comes from them.
    for reader in readers.values():
        _as(client, db, reader)
        _page(client, url)
    for name, reader in readers.items():
        _as(client, db, reader)
        misses = KEPT.misses
        assert _replies(_page(client, url)) == anew[name], name
        assert KEPT.misses == misses, f"{name}: every reply came from what was kept"
    assert PILLS not in anew["member"] and PILLS not in anew["visitor"]
    assert PILLS in anew["moderator"]
    assert "Rude words" not in anew["author"], "a hidden post's author no longer reads it here"
    assert anew["member"].count('action="/posts/') > anew["visitor"].count('action="/posts/')


def test_a_reply_kept_for_a_moderator_never_shows_its_hidden_text_to_a_member(
    client: Client, db: Session, busy: Thread, member: User, moderator: User
) -> None:
    url = f"/threads/{busy.id}?page=1"
    sign_in(client, db, moderator)
    shown = _page(client, url)
    assert "Rude words" in shown and PILLS in shown
    for reader in (member, None):
        _as(client, db, reader)
        page = _page(client, url)
        assert "Rude words" not in page and PILLS not in page
        assert "Post hidden by a moderator." in page, "the hidden post with an answer"
        assert "Words taken back" not in page and "Post deleted." in page


def test_an_edit_a_deletion_or_a_moderators_decision_shows_at_once(
    client: Client, db: Session, busy: Thread, member: User, other_member: User,
    moderator: User,
) -> None:  # fmt: skip
    url = f"/threads/{busy.id}?page=1"
    post = busy_post(db, busy, "A plain answer")
    sign_in(client, db, member)
    assert "A plain answer" in _page(client, url)
    writes.edit_post(db, other_member, post, body="A better answer")
    db.flush()
    page = _page(client, url)
    assert "A better answer" in page and "A plain answer" not in page
    assert re.search(rf'id="post-{post.id}".*?\(edited\)', page, re.S)
    moderation.hide_post(db, moderator, post, reason="off topic")
    db.flush()
    page = _page(client, url)
    assert "A better answer" not in page and f'id="post-{post.id}"' not in page, "no trace"
    moderation.unhide_post(db, moderator, post, reason="on topic after all")
    db.flush()
    assert "A better answer" in _page(client, url)
    writes.delete_post(db, other_member, post)
    db.flush()
    page = _page(client, url)
    assert "A better answer" not in page
    assert re.search(rf'id="post-{post.id}".*?Post deleted\.', page, re.S)


def busy_post(db: Session, thread: Thread, body: str) -> Post:
    return next(p for p in thread_posts(db, thread) if p.body == body)


def thread_posts(db: Session, thread: Thread) -> list[Post]:
    from sqlalchemy import select

    return list(db.scalars(select(Post).where(Post.thread_id == thread.id)))


def test_each_reader_gets_their_own_csrf_token_in_kept_replies(
    app: FastAPI, client: Client, db: Session, busy: Thread, member: User, people: People
) -> None:
    url = f"/threads/{busy.id}?page=1"
    reader = people.make(name="Rita Reader")
    sign_in(client, db, member)
    first = _page(client, url)
    token = csrf_token_for(TEST_SECRET, client.cookies[CSRF_COOKIE])
    with Client(app, base_url="http://testserver", follow_redirects=False) as other:
        sign_in(other, db, reader)
        other.get("/privacy")  # their own CSRF cookie
        misses = KEPT.misses
        second = _page(other, url)
        other_token = csrf_token_for(TEST_SECRET, other.cookies[CSRF_COOKIE])
    assert token != other_token
    flag_forms = second.count('action="/posts/')
    assert flag_forms >= 3, "a flag form under other people's visible replies"
    assert KEPT.misses - misses < flag_forms, "the replies kept for the first reader served"
    assert token not in second
    assert second.count(f'name="csrf_token" value="{other_token}"') >= flag_forms
    assert first.count(f'name="csrf_token" value="{token}"') >= flag_forms


def test_kept_replies_follow_the_readers_language_and_time_zone(
    client: Client, db: Session, busy: Thread, member: User, people: People, french: str
) -> None:
    """Readers whose replies show the same thing but in another language or time zone."""
    url = f"/threads/{busy.id}?page=1"
    post = busy_post(db, busy, "A plain answer")
    post.created_at = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)
    in_tokyo = people.make(name="Tomoko Tokyo")
    site = i18n.DEFAULT_TIMEZONE
    member.language, member.timezone = french, site
    in_tokyo.language, in_tokyo.timezone = french, "Asia/Tokyo"
    db.flush()
    pages = {("en", site): _page(client, url)}
    client.cookies.set(i18n.LANGUAGE_COOKIE, french)
    pages[french, site] = _page(client, url)
    sign_in(client, db, member)
    pages["member", site] = _page(client, url)
    sign_in(client, db, in_tokyo)
    misses = KEPT.misses
    pages["member", "Asia/Tokyo"] = _page(client, url)
    assert KEPT.misses > misses, "another time zone: rendered anew"
    for (who, zone), page in pages.items():
        with i18n.using("en" if who == "en" else french, zone):
            when = formats.format_datetime(post.created_at)
        assert re.search(
            rf'href="/posts/{post.id}"[^>]*><time [^>]*>{re.escape(when)}</time>', page
        )
    assert len({formats_of(page, post) for page in pages.values()}) == 3


def formats_of(page: str, post: Post) -> str:
    found = re.search(rf'href="/posts/{post.id}"[^>]*><time [^>]*>([^<]+)</time>', page)
    assert found
    return found.group(1)


def _view(n: int, body: str = "") -> ArticleView:
    return ArticleView(
        id=n, thread_id=1, depth=0, state="visible", show_text=True, body_html=body,
        language=None, author_name="A", author_handle=None, signed_in=False, in_reply_to=None,
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), edited_at=None, unread=False,
        can_reply=False, can_edit=False, can_see_history=False, tools="", more_replies=0,
    )  # fmt: skip


def test_kept_replies_stay_within_their_budget_the_least_recently_used_dropped() -> None:
    kept = KeptArticles(budget=30_000)
    for n in range(10):
        kept.put((n,), ["x" * 1000], _view(n, "y" * 500))  # 2,100 characters each
    assert len(kept) == 10
    assert kept.get_many([(0,)]) == [["x" * 1000]]  # used again: now the most recent
    for n in range(10, 30):
        kept.put((n,), ["x" * 1000], _view(n))  # 1,600 each
        assert kept.size <= kept.budget
        if n == 15:  # past the budget for the first time
            assert kept.get_many([(1,)]) == [None], "the least recently used went first"
            assert kept.get_many([(0,)]) == [["x" * 1000]]
    assert kept.get_many([(29,)]) == [["x" * 1000]]
    assert len(kept) < 30


def test_nothing_is_kept_while_templates_reload(
    app: FastAPI, client: Client, db: Session, busy: Thread, member: User
) -> None:
    """Editing ui.html would not change _post.html's key: while templates reload
    (development), every reply is rendered anew."""
    url = f"/threads/{busy.id}?page=1"
    sign_in(client, db, member)
    environment = app.state.templates.env
    environment.auto_reload = True
    try:
        first, second = _replies(_page(client, url)), _replies(_page(client, url))
    finally:
        environment.auto_reload = False
    assert len(KEPT) == 0
    assert first == second
    assert "A plain answer" in first
