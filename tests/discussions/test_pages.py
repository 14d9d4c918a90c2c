"""The discussion pages as members and visitors use them."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions import writes
from forum.discussions.models import Category, Post, Thread
from tests.conftest import Client, People, Threads, sign_in


def test_a_member_shares_a_good_practice_in_five_fields(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    sign_in(client, db, member)
    form = client.get("/discussions/new?kind=good_practice")
    assert "Add details (optional)" in form.text
    response = client.post(
        "/discussions/new",
        data={
            "csrf_token": client.csrf_token(),
            "kind": "good_practice",
            "category": "good-practices",
            "title": "Matchmaking at FOODEX Japan",
            "approach": "We booked a joint stand for six SMEs.",
            "results": "Two distribution agreements.",
            "countries": ["JP"],
            "sectors": ["food"],
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    for text in ("Matchmaking at FOODEX Japan", "Approach", "joint stand", "Results", "Japan",
                 "Food industry", "Good practice"):  # fmt: skip
        assert text in page.text
    assert "Lessons learned" not in page.text, "empty optional sections stay out"


def test_a_good_practice_without_results_is_refused_and_what_was_typed_stays(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    sign_in(client, db, member)
    response = client.post(
        "/discussions/new",
        data={"csrf_token": client.csrf_token(), "kind": "good_practice",
              "category": "good-practices", "title": "Half done",
              "approach": "Something we did.", "countries": ["JP"], "sectors": ["food"]},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Write something first." in response.text
    assert "Something we did." in response.text
    assert db.scalar(select(Thread).where(Thread.title == "Half done")) is None


def test_reply_to_a_reply_shows_nested_and_flat(
    client: Client, db: Session, member: User, other_member: User, people: People, threads: Threads
) -> None:
    third = people.make(name="Theo Third")
    thread = threads.start(member)
    sign_in(client, db, other_member)
    first = client.post_form(f"/threads/{thread.id}/posts", {"body": "First answer"})
    assert first.status_code == 303
    first_post = db.scalar(select(Post).where(Post.body == "First answer"))
    assert first_post is not None
    sign_in(client, db, third)
    nested = client.post_form(
        f"/threads/{thread.id}/posts",
        {"body": "Answer to the answer", "parent_id": str(first_post.id)},
    )
    assert nested.status_code == 303
    tree = client.get(f"/threads/{thread.id}")
    assert re.search(r'class="post depth-1[^"]*"', tree.text)
    flat = client.get(f"/threads/{thread.id}?view=flat")
    assert "depth-1" not in flat.text
    assert "in reply to Otto Other" in flat.text


def test_a_permalink_redirects_to_the_page_that_holds_the_post(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    posts = [threads.reply(member, thread, f"top {i}") for i in range(52)]
    response = client.get(f"/posts/{posts[-1].id}")
    assert response.status_code == 302
    assert response.headers["location"] == f"/threads/{thread.id}?page=2#post-{posts[-1].id}"
    assert client.get(f"/posts/{posts[0].id}").headers["location"].endswith(f"#post-{posts[0].id}")


def test_quote_prefills_the_reply_and_preview_renders_without_saving(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    post = threads.reply(member, thread, "Tariffs drop in April.")
    sign_in(client, db, other_member)
    form = client.get(f"/threads/{thread.id}/reply?quote={post.id}")
    assert "&gt; Tariffs drop in April." in form.text
    preview = client.post_form(
        f"/threads/{thread.id}/posts", {"body": "**bold** idea", "action": "preview"}
    )
    assert preview.status_code == 200
    assert "<strong>bold</strong>" in preview.text
    assert db.scalar(select(Post).where(Post.body == "**bold** idea")) is None
    htmx = client.post_form("/discussions/preview", {"body": "*it*"})
    assert "<em>it</em>" in htmx.text
    assert "<html" not in htmx.text


def test_editing_and_deleting_your_own_post(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    post = threads.reply(member, thread, "Typo hree")
    sign_in(client, db, other_member)
    assert client.get(f"/posts/{post.id}/edit").status_code == 403
    sign_in(client, db, member)
    assert client.post_form(f"/posts/{post.id}/edit", {"body": "Typo here"}).status_code == 303
    db.refresh(post)
    assert post.body == "Typo here"
    assert client.post_form(f"/posts/{post.id}/delete", {}).status_code == 303
    page = client.get(f"/threads/{thread.id}")
    assert "Post deleted." in page.text
    assert "Typo here" not in page.text


def test_visitors_read_public_threads_and_are_asked_to_log_in_to_reply(
    client: Client, db: Session, member: User, threads: Threads, members_only: Category
) -> None:
    public = threads.start(member, title="Public one")
    private = threads.start(member, title="Private one", category=members_only)
    page = client.get(f"/threads/{public.id}")
    assert page.status_code == 200
    assert "Log in</a> to reply" in page.text
    assert client.get(f"/threads/{private.id}").status_code == 404
    listing = client.get("/discussions")
    assert "Public one" in listing.text
    assert "Private one" not in listing.text
    assert "Staff room" not in listing.text
    assert client.get("/discussions/c/staff-room").status_code == 404
    assert client.get("/discussions/new").status_code == 303


def test_lists_filter_and_show_empty_states(
    client: Client, db: Session, member: User, threads: Threads, categories: dict[str, Category]
) -> None:
    assert "No threads yet" in client.get("/discussions").text
    threads.start(member, title="Japan food", countries=["JP"], sectors=["food"])
    threads.start(member, title="US mobility", countries=["US"], sectors=["smart-mobility"])
    japan = client.get("/discussions?country=JP")
    assert "Japan food" in japan.text
    assert "US mobility" not in japan.text
    assert "No thread matches these filters" in client.get("/discussions?country=FR").text
    assert client.get("/discussions?country=XX").status_code == 422
    category = client.get("/discussions/c/market-intelligence")
    assert "Japan food" in category.text


def test_a_locked_thread_refuses_a_reply_with_a_message(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    thread.locked = True
    db.flush()
    sign_in(client, db, member)
    response = client.post_form(f"/threads/{thread.id}/posts", {"body": "late"})
    assert response.status_code == 403
    assert "locked" in response.text


def test_the_thread_page_query_count_does_not_grow_with_its_posts(
    client: Client, db: Session, member: User, other_member: User, threads: Threads, engine: Engine
) -> None:
    def queries_for(thread: Thread) -> int:
        count = 0

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        event.listen(engine, "before_cursor_execute", counter)
        try:
            assert client.get(f"/threads/{thread.id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return count

    def build(size: int) -> Thread:
        thread = threads.start(member, title=f"Thread of {size}")
        parents: list[Post] = []
        for i in range(size):
            parent = parents[i // 3] if i >= 3 and i % 2 else None
            author = other_member if i % 2 else member
            parents.append(threads.reply(author, thread, f"post {i} @{member.handle}", parent))
        return thread

    sign_in(client, db, member)
    small, large, larger = build(10), build(200), build(260)
    small_count = queries_for(small)
    assert small_count > 3, "the counter sees the queries"
    # A thread of several pages (100 and 130 top-level posts) asks one more: the first
    # post the page did not show, where the member's reading state stops.
    assert queries_for(large) == small_count + 1
    assert queries_for(larger) == small_count + 1


def test_post_times_on_thread_page_use_readers_time_zone(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    reply = threads.reply(other_member, thread, "From Tokyo.")
    opening = db.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_opening))
    assert opening is not None
    opening.created_at = dt.datetime(2026, 3, 1, 22, 0, tzinfo=dt.UTC)
    reply.created_at = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    writes.edit_post(db, other_member, reply, body="From Tokyo, edited.")
    member.timezone = "Asia/Tokyo"
    other_member.timezone = "America/New_York"
    db.flush()
    sign_in(client, db, member)
    page = re.sub(r"<[^>]+>", "", client.get(f"/threads/{thread.id}").text)  # what people read
    assert "2 Mar 2026, 07:00" in page, "the opening post's time, in Tokyo"
    assert "3 Mar 2026, 08:30" in page, "the reply's time, in Tokyo"
    assert "23:30" not in page and "22:00" not in page, "never UTC"
    sign_in(client, db, other_member)
    page = client.get(f"/threads/{thread.id}").text
    assert "1 Mar 2026, 17:00" in page and "2 Mar 2026, 18:30" in page
    history = client.get(f"/posts/{reply.id}/history").text
    assert "2 Mar 2026, 18:30" in history, "the same zone as the history page"
