"""Intelligence items: visibility by status, validation, filters, facets, deadlines, dedup."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.errors import NotAllowed, NotFound
from forum.core.outbox import SearchOutbox
from forum.intelligence import dedup as intel_dedup
from forum.intelligence import queries, service, writes
from forum.intelligence.models import STATUSES, IntelItem
from forum.taxonomy.service import resolve_sectors
from tests.conftest import People

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _item(db: Session, author: User, **change: object) -> service.IntelItem:
    data = writes.ItemInput(
        title="Japan opens procurement to EU food SMEs",
        kind="news",
        countries=["JP"],
        sectors=resolve_sectors(db, ["food"]),
        url="https://example.eu/news/1?utm_source=x",
        source_name="Example Agency",
    )
    status = str(change.pop("status", "published"))
    for key, value in change.items():
        setattr(data, key, value)
    return writes.create_item(db, author, data, status=status)


def test_published_items_are_public_and_drafts_stay_with_their_author(
    db: Session, sectors: None, member: User, other_member: User, moderator: User
) -> None:
    public = _item(db, member)
    draft = _item(db, member, title="My draft", status="draft")
    assert queries.get_item(db, None, public.id).id == public.id
    with pytest.raises(NotFound):
        queries.get_item(db, None, draft.id)
    with pytest.raises(NotFound):
        queries.get_item(db, other_member, draft.id)
    assert queries.get_item(db, member, draft.id).id == draft.id
    assert queries.get_item(db, moderator, draft.id).id == draft.id
    listing = queries.page_items(db, None, queries.IntelFilter(), page=1)
    assert [i.id for i in listing.items] == [public.id]


def test_only_moderators_withdraw_and_a_reason_is_required(
    db: Session, sectors: None, member: User, moderator: User
) -> None:
    item = _item(db, member)
    with pytest.raises(NotAllowed):
        writes.set_status(db, member, item, "withdrawn", reason="mine")
    with pytest.raises(service.IntelError, match="Say why"):
        writes.set_status(db, moderator, item, "withdrawn")
    writes.set_status(db, moderator, item, "withdrawn", reason="Outdated figures")
    with pytest.raises(NotFound):
        queries.get_item(db, None, item.id)
    rows = [(r.doc_id, r.op) for r in db.scalars(select(SearchOutbox).order_by(SearchOutbox.id))]
    assert rows[-1] == (f"intel:{item.id}", "delete")


def test_validation_names_the_field(db: Session, sectors: None, member: User) -> None:
    for change, field in [
        ({"title": "  "}, "title"),
        ({"kind": "gossip"}, "kind"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"source_url": "ftp://example.eu"}, "source_url"),
        ({"deadline": NOW}, "deadline"),  # news has no deadline
        ({"kind": "tender", "deadline": dt.datetime(2027, 1, 1)}, "deadline"),  # noqa: DTZ001
        ({"summary": "x" * 2001}, "summary"),
    ]:
        with pytest.raises(service.IntelError) as caught:
            _item(db, member, **change)
        assert caught.value.field == field, change


def test_unverified_members_cannot_add_items(db: Session, sectors: None, people: People) -> None:
    with pytest.raises(NotAllowed):
        _item(db, people.make(verified=False))


def test_filters_combine_and_global_items_join_every_country(
    db: Session, sectors: None, member: User
) -> None:
    japan_food = _item(db, member)
    us_health = _item(db, member, title="US health tender", countries=["US"],
                      sectors=resolve_sectors(db, ["healthcare"]), kind="tender",
                      deadline=NOW + dt.timedelta(days=5), url="https://example.eu/t/2")  # fmt: skip
    worldwide = _item(db, member, title="Global rules", countries=[], is_global=True,
                      kind="regulation", url="https://example.eu/r/3")  # fmt: skip

    def ids(flt: queries.IntelFilter) -> set[int]:
        return {i.id for i in queries.page_items(db, None, flt, page=1).items}

    assert ids(queries.IntelFilter(countries=["JP"])) == {japan_food.id, worldwide.id}
    assert ids(queries.IntelFilter(countries=["JP"], include_global=False)) == {japan_food.id}
    assert ids(queries.IntelFilter(sectors=["healthcare"])) == {us_health.id}
    assert ids(queries.IntelFilter(kinds=["tender", "regulation"])) == {us_health.id, worldwide.id}
    facets = queries.facet_counts(db, None, queries.IntelFilter())
    assert facets["country"] == {"JP": 1, "US": 1}
    assert facets["kind"] == {"news": 1, "tender": 1, "regulation": 1}
    assert facets["source"] == {"Example Agency": 3}


def test_deadlines_are_closing_soon_within_fourteen_days_and_closed_after(
    db: Session, sectors: None, member: User
) -> None:
    call = _item(db, member, kind="funding_call", deadline=NOW + dt.timedelta(days=10))
    assert queries.deadline_state(call, now=NOW) == "closing soon"
    assert queries.deadline_state(call, now=NOW + dt.timedelta(days=11)) == "closed"
    assert queries.deadline_state(call, now=NOW - dt.timedelta(days=30)) is None


def test_the_same_item_is_found_by_canonical_url_or_title_on_the_same_day(
    db: Session, sectors: None, member: User
) -> None:
    item = _item(db, member, published_at=NOW)
    assert item.canonical_url == "https://example.eu/news/1"
    assert (
        intel_dedup.find_duplicate(db, url="http://EXAMPLE.eu/news/1/#top", title="x", day=None)
        == item
    )
    same_title = intel_dedup.find_duplicate(
        db, url=None, title="Japan opens procurement to EU food SMEs!", day=NOW.date()
    )
    assert same_title == item
    assert intel_dedup.find_duplicate(db, url=None, title="Something else", day=NOW.date()) is None


def test_markdown_bodies_are_rendered_and_sanitized(
    db: Session, sectors: None, member: User
) -> None:
    item = _item(db, member, body="**Key** <script>alert(1)</script>")
    assert "<strong>Key</strong>" in item.body_html
    assert "<script>" not in item.body_html


def test_every_item_is_either_published_or_left_out_by_items_not_published(
    db: Session, sectors: None, moderator: User
) -> None:
    """`published_items` and `items_not_published` are one rule's two halves (a count by
    subtraction relies on it), whatever the status."""
    made = {
        status: _item(db, moderator, status=status, title=f"An item, {status}")
        for status in STATUSES
    }
    db.flush()

    every = set(db.scalars(select(IntelItem.id)))
    shown = set(db.scalars(service.published_items(select(IntelItem.id))))
    left_out = set(db.scalars(service.items_not_published()))

    assert shown | left_out == every
    assert not shown & left_out
    assert made["published"].id in shown
    assert {made[s].id for s in STATUSES if s != "published"} <= left_out
