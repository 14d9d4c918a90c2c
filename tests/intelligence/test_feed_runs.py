"""Each harvest of a feed leaves a run (`feed_run`) in the transaction that stores its
outcome: a failed one with its error, a successful one with the items it added and the
duplicates it recognised. Feeds are served by the harvest tests' real loopback server."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forum.intelligence import harvest
from forum.intelligence.feed_runs import ERROR_MAX, KEEP_DAYS, prune_feed_runs, record_run
from forum.intelligence.models import Feed, FeedRun
from forum.runner import load_jobs
from tests.intelligence.test_harvest import ARTICLES, NOW, Entry, FeedServer, atom, make_feed, rss
from tests.intelligence.test_harvest import feed_server as feed_server  # the fixture


def runs_of(db: Session, feed: Feed) -> list[FeedRun]:
    db.expire_all()
    return list(db.scalars(select(FeedRun).where(FeedRun.feed_id == feed.id).order_by(FeedRun.id)))


def test_a_failed_run_and_a_successful_run_are_recorded_with_their_counts(
    db: Session, sectors: None, feed_server: FeedServer, session_factory: sessionmaker[Session]
) -> None:
    url = feed_server.base + "/feed.xml"  # not served yet: 404
    feed = make_feed(db, url, name="Trade desk")
    [failed] = harvest.harvest_due(session_factory, allow_private=True, now=NOW)
    assert failed.failed
    [run] = runs_of(db, feed)
    assert (run.ok, run.items_added, run.duplicates) == (False, 0, 0)
    assert run.finished_at == NOW and run.started_at == NOW
    assert run.error is not None and "HTTP 404" in run.error
    db.refresh(feed)
    assert feed.last_success_at is None and feed.last_status == "error"

    feed_server.serve("/feed.xml", rss(ARTICLES))
    later = NOW + dt.timedelta(hours=7)
    harvest.harvest_due(session_factory, feed_ids=[feed.id], force=True, allow_private=True,
                        now=later)  # fmt: skip
    first, second = runs_of(db, feed)
    assert first.id == run.id
    assert (second.ok, second.items_added, second.duplicates, second.error) == (True, 3, 0, None)
    assert second.finished_at == later
    db.refresh(feed)
    assert feed.last_success_at == later

    # The same three entries again and one new one: one added, three recognised.
    feed_server.serve("/feed.xml", rss([*ARTICLES, Entry("New call", "https://n.example/4")]))
    again = later + dt.timedelta(hours=7)
    harvest.harvest_due(session_factory, feed_ids=[feed.id], force=True, allow_private=True,
                        now=again)  # fmt: skip
    third = runs_of(db, feed)[-1]
    assert (third.ok, third.items_added, third.duplicates) == (True, 1, 3)


def test_an_entry_another_feed_gave_counts_as_a_duplicate(
    db: Session, sectors: None, feed_server: FeedServer, session_factory: sessionmaker[Session]
) -> None:
    make_feed(db, feed_server.serve("/a.xml", rss(ARTICLES[:1])), name="Agency A")
    copy = Entry(ARTICLES[0].title, "https://NEWS.example.org/a/1/?utm_source=rss", "b:1")
    second = make_feed(
        db, feed_server.serve("/b.xml", atom([copy, Entry("Only in B", "https://b.example/2")])),
        name="Agency B",
    )  # fmt: skip
    harvest.harvest_due(session_factory, allow_private=True, now=NOW)
    [run] = runs_of(db, second)
    assert (run.ok, run.items_added, run.duplicates) == (True, 1, 1)


def test_a_not_modified_answer_is_a_successful_run_that_adds_nothing(
    db: Session, sectors: None, feed_server: FeedServer
) -> None:
    feed = make_feed(db, feed_server.serve("/feed.xml", rss(ARTICLES), etag='"v1"'))
    harvest.harvest_feed(db, feed, allow_private=True, now=NOW)
    later = NOW + dt.timedelta(hours=7)
    assert harvest.harvest_feed(db, feed, allow_private=True, now=later).status == "not modified"
    runs = runs_of(db, feed)
    assert [(r.ok, r.items_added, r.duplicates) for r in runs] == [(True, 3, 0), (True, 0, 0)]
    assert feed.last_success_at == later


def test_a_long_error_is_cut_and_a_refused_feed_is_a_failed_run(db: Session) -> None:
    feed = make_feed(db, "file:///etc/passwd", name="Local file")
    harvest.harvest_feed(db, feed, allow_private=False, now=NOW)
    [run] = runs_of(db, feed)
    assert not run.ok and run.error is not None and run.error.startswith("refused")
    long = record_run(db, feed, started_at=None, finished_at=NOW, ok=False, error="x" * 5000)
    db.flush()
    assert long.error == "x" * ERROR_MAX


def test_runs_older_than_13_months_are_pruned_by_a_periodic_task(db: Session) -> None:
    feed = make_feed(db, "https://feeds.example.org/a.xml")
    old = NOW - dt.timedelta(days=KEEP_DAYS, minutes=1)
    kept = NOW - dt.timedelta(days=KEEP_DAYS - 1)
    for moment in (old, kept):
        record_run(db, feed, started_at=moment, finished_at=moment, ok=True)
    db.flush()
    assert prune_feed_runs(db, now=NOW) == 1
    assert [r.finished_at for r in runs_of(db, feed)] == [kept]
    assert "feed-runs-prune" in load_jobs().periodic_tasks


def test_deleting_a_feed_deletes_its_runs(db: Session) -> None:
    feed = make_feed(db, "https://feeds.example.org/gone.xml")
    record_run(db, feed, started_at=NOW, finished_at=NOW, ok=True)
    db.flush()
    db.delete(feed)
    db.flush()
    db.expire_all()
    assert db.scalars(select(FeedRun)).all() == []
