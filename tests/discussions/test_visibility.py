"""`visible_threads` and `threads_not_visible` are one rule's two halves: every thread is
in exactly one of them, for every kind of reader (a count by subtraction relies on it)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.discussions.models import Category, Thread
from forum.discussions.service import DIGEST_READER, threads_not_visible, visible_threads
from tests.conftest import People, Threads


@pytest.mark.parametrize("reader", ["visitor", "member", "moderator", "digest"])
def test_every_thread_is_either_visible_or_not_visible_to_each_reader(
    db: Session, people: People, threads: Threads, members_only: Category, reader: str
) -> None:
    author = people.make()
    public = threads.start(author, title="In the open")
    closed = threads.start(author, title="Behind closed doors", category=members_only)
    hidden = threads.start(author, title="Hidden")
    hidden.hidden_at = dt.datetime.now(dt.UTC)
    hidden_and_closed = threads.start(author, title="Both", category=members_only)
    hidden_and_closed.hidden_at = dt.datetime.now(dt.UTC)
    db.flush()
    viewer = {
        "visitor": None,
        "member": people.make(),
        "moderator": people.make(role="moderator"),
        "digest": DIGEST_READER,
    }[reader]

    every = set(db.scalars(select(Thread.id)))
    shown = set(db.scalars(visible_threads(select(Thread.id), viewer)))
    left_out = set(db.scalars(threads_not_visible(viewer)))

    assert shown | left_out == every
    assert not shown & left_out
    expected = {
        "visitor": {public.id},
        "member": {public.id, closed.id},
        "moderator": {public.id, closed.id, hidden.id, hidden_and_closed.id},
        "digest": {public.id, closed.id},
    }[reader]
    assert shown & {public.id, closed.id, hidden.id, hidden_and_closed.id} == expected
