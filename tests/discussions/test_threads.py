"""Threads and reply trees: the rules in forum/discussions/service.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.errors import NotAllowed, NotFound
from forum.core.outbox import SearchOutbox
from forum.discussions import listing as thread_lists
from forum.discussions import service, view_counts, writes
from forum.discussions import thread_page as pages
from forum.discussions.models import MAX_DEPTH, Category, Post, PostRevision
from forum.notifications.models import Notification
from forum.notifications.service import list_follows
from forum.taxonomy.service import resolve_sectors
from tests.conftest import People, Threads


def test_a_good_practice_needs_its_five_fields(
    db: Session, member: User, categories: dict[str, Category]
) -> None:
    food = resolve_sectors(db, ["food"])
    complete = writes.GoodPracticeInput(
        approach="We went to FOODEX.", results="Three distributors."
    )

    def attempt(**change: object) -> None:
        data = {
            "title": "FOODEX mission", "body": "", "category": categories["good-practices"],
            "kind": "good_practice", "countries": ["JP"], "sectors": food, "good_practice": complete,
        }  # fmt: skip
        data.update(change)
        writes.create_thread(db, member, writes.ThreadInput(**data), check_limits=False)  # type: ignore[arg-type]

    for change, field in [
        ({"title": " "}, "title"),
        ({"good_practice": writes.GoodPracticeInput(results="x")}, "approach"),
        ({"good_practice": writes.GoodPracticeInput(approach="x")}, "results"),
        ({"countries": []}, "countries"),
        ({"sectors": []}, "sectors"),
    ]:
        with pytest.raises(service.DiscussionError) as caught:
            attempt(**change)
        assert caught.value.field == field
    attempt()
    thread = db.scalar(select(service.Thread).where(service.Thread.title == "FOODEX mission"))
    assert thread is not None
    assert thread.good_practice is not None
    assert "FOODEX" in thread.good_practice.approach_html
    assert thread.good_practice.challenge_html == ""


def test_replies_nest_to_depth_five_then_stay_there_in_reply_to(
    db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    parent = None
    chain = []
    for i in range(MAX_DEPTH + 3):
        parent = threads.reply(other_member if i % 2 else member, thread, f"level {i}", parent)
        chain.append(parent)
    assert [p.depth for p in chain] == [0, 1, 2, 3, 4, 5, 5, 5]
    assert len({p.root_id for p in chain}) == 1
    page = pages.thread_page(db, member, thread)
    shown = {s.post.id: s for s in page.posts}
    assert shown[chain[6].id].in_reply_to == chain[5].author.name  # type: ignore[union-attr]
    assert shown[chain[3].id].in_reply_to is None, "the indentation says it"
    assert [s.post.id for s in page.posts] == [p.id for p in chain], "depth-first order"


def test_the_flat_view_is_chronological_and_names_every_parent(
    db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    first = threads.reply(member, thread, "first")
    second = threads.reply(other_member, thread, "second")
    answer = threads.reply(other_member, thread, "answer to first", first)
    flat = pages.thread_page(db, member, thread, flat=True)
    assert [s.post.id for s in flat.posts] == [first.id, second.id, answer.id]
    assert all(s.depth == 0 for s in flat.posts)
    assert flat.posts[2].in_reply_to == member.name


def test_a_parent_from_another_thread_is_refused(
    db: Session, member: User, threads: Threads
) -> None:
    one = threads.start(member, title="One")
    other = threads.start(member, title="Other")
    foreign = threads.reply(member, other)
    with pytest.raises(service.DiscussionError) as caught:
        writes.reply(db, member, one, body="x", parent_id=foreign.id)
    assert caught.value.field == "parent_id"


def test_a_locked_thread_takes_no_replies_but_from_moderators(
    db: Session, member: User, moderator: User, threads: Threads
) -> None:
    thread = threads.start(member)
    thread.locked = True
    with pytest.raises(NotAllowed, match="locked"):
        writes.reply(db, member, thread, body="hello")
    assert writes.reply(db, moderator, thread, body="Locked for a reason.").id


def test_unverified_and_suspended_members_cannot_post(
    db: Session, people: People, threads: Threads
) -> None:
    unverified = people.make(verified=False)
    with pytest.raises(NotAllowed, match="Confirm your email"):
        threads.start(unverified)
    suspended = people.make()
    suspended.suspended_at = dt.datetime.now(dt.UTC)
    with pytest.raises(NotAllowed, match="suspended"):
        threads.start(suspended)


def test_replies_notify_the_parent_author_mentions_and_followers_once_each(
    db: Session, member: User, other_member: User, people: People, threads: Threads
) -> None:
    watcher = people.make(name="Walter Watcher")
    thread = threads.start(member)
    threads.reply(watcher, thread, "I follow this now")  # auto-follows
    db.execute(Notification.__table__.delete())
    post = threads.reply(other_member, thread, f"Agreed, and @{member.handle} knows more.")
    kinds = {
        (n.user_id, n.kind)
        for n in db.scalars(select(Notification).where(Notification.post_id == post.id))
    }
    assert kinds == {(member.id, "mention"), (watcher.id, "thread_post")}
    assert f'href="/members/{member.handle}"' in post.body_html
    assert "thread" in list_follows(db, other_member.id)
    assert list_follows(db, other_member.id)["thread"] == [str(thread.id)]


def test_an_edit_keeps_the_previous_text_for_moderators_and_the_author(
    db: Session, member: User, moderator: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    post = threads.reply(member, thread, "Frist draft")
    writes.edit_post(db, member, post, body="First draft")
    assert post.edited_at is not None
    history = service.revisions(db, moderator, post)
    assert [r.body for r in history] == ["Frist draft"]
    assert [r.body for r in service.revisions(db, member, post)] == ["Frist draft"]
    with pytest.raises(NotAllowed):
        service.revisions(db, other_member, post)
    with pytest.raises(NotAllowed):
        writes.edit_post(db, other_member, post, body="vandalism")


def test_soft_delete_keeps_the_tree(
    db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    parent = threads.reply(member, thread, "to be deleted")
    child = threads.reply(other_member, thread, "still here", parent)
    writes.delete_post(db, member, parent)
    page = pages.thread_page(db, other_member, thread)
    states = {s.post.id: (s.state, s.show_text) for s in page.posts}
    assert states[parent.id] == ("deleted", False)
    assert states[child.id] == ("visible", True)


def test_every_change_writes_a_search_outbox_row(
    db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    post = threads.reply(member, thread)
    writes.edit_post(db, member, post, body="changed")
    writes.delete_post(db, member, post)
    rows = [(r.doc_id, r.op) for r in db.scalars(select(SearchOutbox).order_by(SearchOutbox.id))]
    assert (f"thread:{thread.id}", "upsert") in rows
    assert rows.count((f"post:{post.id}", "upsert")) == 2
    assert rows[-1] == (f"post:{post.id}", "delete")


def test_members_only_categories_are_invisible_to_visitors(
    db: Session, member: User, threads: Threads, members_only: Category
) -> None:
    thread = threads.start(member, category=members_only)
    assert members_only not in service.list_categories(db, None)
    with pytest.raises(NotFound):
        service.get_thread(db, None, thread.id)
    assert service.get_thread(db, member, thread.id).id == thread.id
    listing = thread_lists.page_threads(db, None, thread_lists.ThreadFilter(), page=1)
    assert thread.id not in [t.id for t in listing.items]


def test_new_accounts_get_at_most_three_links_and_ten_posts_an_hour(
    db: Session, people: People, threads: Threads
) -> None:
    newcomer = people.make()
    thread = threads.start(people.make())
    four_links = " ".join(f"https://example.eu/{i}" for i in range(4))
    with pytest.raises(service.DiscussionError, match="at most 3 links"):
        writes.reply(db, newcomer, thread, body=four_links)
    for i in range(10):
        writes.reply(db, newcomer, thread, body=f"post {i}")
    with pytest.raises(service.DiscussionError, match="at most 10 posts an hour"):
        writes.reply(db, newcomer, thread, body="one more")
    veteran = people.make()
    veteran.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    for i in range(3):
        threads.reply(veteran, thread, f"old post {i}")
    assert writes.reply(db, veteran, thread, body=four_links).id


def test_long_threads_page_by_fifty_top_level_posts_with_their_subtrees(
    db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    tops = [threads.reply(member, thread, f"top {i}") for i in range(55)]
    child = threads.reply(member, thread, "child of the last", tops[-1])
    first = pages.thread_page(db, member, thread, page=1)
    second = pages.thread_page(db, member, thread, page=2)
    assert first.pages == 2
    assert len([s for s in first.posts if s.depth == 0]) == 50
    assert [s.post.id for s in second.posts] == [p.id for p in tops[50:]] + [child.id]
    assert pages.page_of_post(db, child) == 2
    assert pages.page_of_post(db, tops[0]) == 1


def test_a_subtree_past_two_hundred_descendants_says_more_replies(
    db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    top = threads.reply(member, thread, "popular")
    for i in range(205):
        threads.reply(member, thread, f"answer {i}", top)
    page = pages.thread_page(db, member, thread)
    assert len(page.posts) == 1 + pages.MAX_DESCENDANTS
    assert page.posts[0].more_replies == 5
    whole = pages.thread_page(db, member, thread, root=top.id)
    assert len(whole.posts) == 206


def test_views_are_counted_in_memory_and_flushed_in_one_update(
    db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    view_counts.VIEW_BUFFER.clear()
    for _ in range(5):
        view_counts.count_view(thread.id)
    assert thread.view_count == 0
    assert view_counts.flush_views(db) == 1
    db.refresh(thread)
    assert thread.view_count == 5
    assert view_counts.VIEW_BUFFER == {}


def test_post_count_does_not_include_the_opening_post(
    db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    threads.reply(member, thread)
    assert thread.reply_count == 1
    assert db.scalar(select(func.count()).select_from(Post).where(Post.thread_id == thread.id)) == 2
    assert db.scalar(select(func.count()).select_from(PostRevision)) == 0


def test_a_hidden_reply_with_answers_leaves_a_marker_and_one_without_leaves_nothing(
    db: Session, member: User, other_member: User, moderator: User, threads: Threads
) -> None:
    thread = threads.start(member)
    top = threads.reply(member, thread, "top")
    hidden_with_answers = threads.reply(other_member, thread, "rude", top)
    answer = threads.reply(member, thread, "answer to the rude one", hidden_with_answers)
    hidden_alone = threads.reply(other_member, thread, "also rude", top)
    hidden_with_answers.hidden_at = hidden_alone.hidden_at = dt.datetime.now(dt.UTC)
    db.flush()
    shown = {s.post.id: s for s in pages.thread_page(db, member, thread).posts}
    assert shown[hidden_with_answers.id].state == "hidden"
    assert shown[hidden_with_answers.id].show_text is False
    assert answer.id in shown
    assert hidden_alone.id not in shown
    as_moderator = {s.post.id: s for s in pages.thread_page(db, moderator, thread).posts}
    assert as_moderator[hidden_alone.id].show_text is True


def test_replying_under_a_hidden_or_deleted_post_is_refused(
    db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    hidden = threads.reply(other_member, thread, "hidden")
    hidden.hidden_at = dt.datetime.now(dt.UTC)
    deleted = threads.reply(other_member, thread, "deleted")
    writes.delete_post(db, other_member, deleted)
    with pytest.raises(service.DiscussionError, match="not in this thread"):
        writes.reply(db, member, thread, body="x", parent_id=hidden.id)
    with pytest.raises(service.DiscussionError, match="was deleted"):
        writes.reply(db, member, thread, body="x", parent_id=deleted.id)
