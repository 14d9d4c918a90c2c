"""The reason shown and the corrections (issue 27): harvested items keep the words behind
each automatic tag; reviewers and the item's author see them on the item page, remove a
wrong tag and add a missing one; every correction is recorded, and `forum tagging export`
writes the corrections as labelled examples in the published-items set's format."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import make_session_factory
from forum.intelligence import harvest, tag_review
from forum.intelligence.models import IntelItem, TagCorrection
from forum.intelligence.tagging import tag
from forum.taxonomy.service import seed_sectors
from tests.conftest import Client, sign_in
from tests.intelligence import factories
from tests.intelligence.test_feeds_cli import Forum
from tests.intelligence.test_feeds_cli import forum as forum  # the fixture
from tests.intelligence.test_harvest import Entry, FeedServer, make_feed, rss
from tests.intelligence.test_harvest import feed_server as feed_server  # the fixture

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
TOKYO = Entry(
    "Tokyo fair seeks European cheese makers",
    "https://news.example.org/tokyo-cheese",
    "urn:tokyo",
    "Buyers at the Tokyo fair look for dairy suppliers.",
)


def _harvested(db: Session, feed_server: FeedServer) -> IntelItem:
    feed = make_feed(db, feed_server.serve("/feed.xml", rss([TOKYO])))
    harvest.harvest_feed(db, feed, allow_private=True, now=NOW)
    item = db.scalars(select(IntelItem).where(IntelItem.feed_id == feed.id)).one()
    item.status = "published"  # harvested items wait for review; published: public
    db.flush()
    return item


def test_the_tagger_says_which_words_triggered_each_tag() -> None:
    tags = tag("PARIS (AFP) – Prosecco exports to Japan rise", "", language="en")
    assert tags.countries == {"FR", "JP"}
    assert tags.reasons["countries"] == {"FR": ["PARIS"], "JP": ["Japan"]}
    assert tags.reasons["sectors"] == {"food": ["Prosecco"]}


def test_a_harvested_item_keeps_the_words_behind_its_tags(
    db: Session, sectors: None, feed_server: FeedServer
) -> None:
    item = _harvested(db, feed_server)
    assert item.country_codes == ["JP"]
    assert [s.slug for s in item.sectors] == ["food"]
    assert item.tag_reasons == {
        "countries": {"JP": ["Tokyo"]},
        "sectors": {"food": ["cheese", "dairy"]},
    }


def test_reviewers_see_why_each_tag_was_given_and_others_do_not(
    db: Session, sectors: None, feed_server: FeedServer, client: Client,
    moderator: User, member: User,
) -> None:  # fmt: skip
    item = _harvested(db, feed_server)
    page = client.get(item.url_path)
    assert page.status_code == 200 and "Why these tags" not in page.text
    sign_in(client, db, member)
    assert "Why these tags" not in client.get(item.url_path).text
    sign_in(client, db, moderator)
    page = client.get(item.url_path)
    assert "Why these tags" in page.text
    assert "tagged automatically for: Tokyo" in page.text
    assert "tagged automatically for: cheese, dairy" in page.text


def test_an_author_sees_the_panel_for_their_own_item(
    db: Session, sectors: None, client: Client, member: User
) -> None:
    item = factories.make(db, member, "A trade mission to Japan", status="draft")
    sign_in(client, db, member)
    page = client.get(item.url_path)
    assert "Why these tags" in page.text and "added by hand" in page.text


def test_a_moderator_removes_a_wrong_tag_and_adds_a_missing_one(
    db: Session, sectors: None, feed_server: FeedServer, client: Client, moderator: User
) -> None:
    item = _harvested(db, feed_server)
    sign_in(client, db, moderator)
    removed = client.post_form(item.url_path + "/tags",
                               {"field": "countries", "code": "JP", "action": "removed"})  # fmt: skip
    assert removed.status_code == 303  # type: ignore[attr-defined]
    added = client.post_form(item.url_path + "/tags",
                             {"field": "countries", "code": "fr", "action": "added"})  # fmt: skip
    assert added.status_code == 303  # type: ignore[attr-defined]
    client.post_form(item.url_path + "/tags",
                     {"field": "sectors", "code": "media", "action": "added"})  # fmt: skip
    db.expire_all()
    assert item.country_codes == ["FR"]
    assert sorted(s.slug for s in item.sectors) == ["food", "media"]
    assert item.tag_reasons is not None and "JP" not in item.tag_reasons["countries"]
    rows = list(db.scalars(select(TagCorrection).order_by(TagCorrection.id)))
    assert [(r.field, r.code, r.action) for r in rows] == [
        ("countries", "JP", "removed"),
        ("countries", "FR", "added"),
        ("sectors", "media", "added"),
    ]
    assert {r.user_id for r in rows} == {moderator.id}
    assert rows[0].title == TOKYO.title and "dairy suppliers" in rows[0].text
    # The same correction again changes nothing and records nothing.
    again = client.post_form(item.url_path + "/tags",
                             {"field": "countries", "code": "FR", "action": "added"})  # fmt: skip
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert db.scalar(select(TagCorrection.id).order_by(TagCorrection.id.desc())) == rows[-1].id


def test_bad_codes_are_refused_with_a_message(
    db: Session, sectors: None, feed_server: FeedServer, client: Client, moderator: User
) -> None:
    item = _harvested(db, feed_server)
    sign_in(client, db, moderator)
    for form in (
        {"field": "countries", "code": "XX", "action": "added"},
        {"field": "sectors", "code": "health", "action": "added"},
        {"field": "colours", "code": "JP", "action": "added"},
    ):
        response = client.post_form(item.url_path + "/tags", form)
        assert response.status_code == 422, form  # type: ignore[attr-defined]
    assert db.scalars(select(TagCorrection)).all() == []


def test_other_members_cannot_correct_tags(
    db: Session, sectors: None, client: Client, member: User, other_member: User
) -> None:
    item = factories.make(db, member, "Japanese buyers look for cheese")
    sign_in(client, db, other_member)
    response = client.post_form(item.url_path + "/tags",
                                {"field": "countries", "code": "FR", "action": "added"})  # fmt: skip
    assert response.status_code == 403  # type: ignore[attr-defined]
    db.expire_all()
    assert item.country_codes == ["JP"]
    assert db.scalars(select(TagCorrection)).all() == []


def test_export_writes_each_corrected_item_as_a_labelled_example(
    forum: Forum, tmp_path: Path
) -> None:
    with make_session_factory(forum.engine)() as db:
        seed_sectors(db)
        admin = db.scalars(select(User)).first()
        assert admin is not None
        item = factories.make(db, admin, "Prosecco makers eye Japan", language="it",
                              summary="Export di prosecco verso il Giappone.",
                              url="https://example.it/prosecco")  # fmt: skip
        tag_review.correct_tag(db, admin, item, "countries", "IT", "added")
        tag_review.correct_tag(db, admin, item, "sectors", "food", "removed")
        tag_review.correct_tag(db, admin, item, "sectors", "food", "added")
        db.commit()
        item_id = item.id
    out = tmp_path / "corrections.jsonl"
    result = forum("tagging", "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    [line] = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == {
        "id": f"it-corr-{item_id}",
        "url": "https://example.it/prosecco",
        "language": "it",
        "title": "Prosecco makers eye Japan",
        "text": "Export di prosecco verso il Giappone.",
        "countries": ["IT", "JP"],
        "sectors": ["food"],
    }
    printed = forum("tagging", "export")
    assert printed.exit_code == 0 and json.loads(printed.output.splitlines()[0])["id"] == (
        f"it-corr-{item_id}"
    )
