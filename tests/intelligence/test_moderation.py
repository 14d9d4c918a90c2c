"""Reviewing intelligence: status moves by role, withdrawal reasons, the review queue,
"your drafts", flags on items, the Markdown preview, the audit log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core.audit import AuditLog
from forum.core.config import Settings
from forum.core.errors import NotAllowed, NotFound
from forum.core.outbox import SearchOutbox
from forum.discussions.models import Flag
from forum.intelligence import writes
from forum.intelligence.models import Feed, IntelItem
from forum.moderation import flags
from forum.notifications.models import Notification
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, People, sign_in
from tests.security.htmlcheck import script_risks

ROLES = ("anonymous", "author", "other_member", "moderator", "admin")


def _item(db: Session, author: User, *, status: str = "published", **change: object) -> IntelItem:
    data = writes.ItemInput(
        title=str(change.pop("title", "Korean battery makers look for EU suppliers")),
        kind="news",
        summary="Three groups publish supplier calls.",
        countries=["KR"],
        sectors=resolve_sectors(db, ["energy"]),
        url=str(change.pop("url", "https://example.eu/kr-batteries")),
        source_name="Example Agency",
    )
    start = status if status in ("published", "draft") else "published"
    item = writes.create_item(db, author, data, status=start)
    if status != start:  # review and withdrawn items are set up directly
        item.status = status
        item.withdrawn_reason = "Outdated figures" if status == "withdrawn" else None
    db.flush()
    return item


def _feed(db: Session, name: str = "EU Example Feed") -> Feed:
    feed = Feed(url=f"https://feeds.example.eu/{name.lower().replace(' ', '-')}.xml", name=name)
    db.add(feed)
    db.flush()
    return feed


def _harvested(db: Session, feed: Feed, title: str, added_at: dt.datetime) -> IntelItem:
    data = writes.ItemInput(title=title, kind="funding_call", summary=f"About {title}.",
                             countries=["VN"], source_name=feed.name)  # fmt: skip
    return writes.create_imported_item(
        db, data, status="review", feed_id=feed.id, entry_id=title, added_at=added_at
    )


def _audit(db: Session, action: str | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return list(db.scalars(stmt))


@pytest.fixture
def people_by_role(
    member: User, other_member: User, moderator: User, admin: User
) -> dict[str, User | None]:
    return {"anonymous": None, "author": member, "other_member": other_member,
            "moderator": moderator, "admin": admin}  # fmt: skip


def _as(client: Client, db: Session, user: User | None) -> Client:
    client.cookies.clear()
    if user is not None:
        sign_in(client, db, user)
    return client


# --- every move, by role -----------------------------------------------------------------------

# (from, to): the answer for the author, another member and a moderator (admins are
# moderators too; visitors are always sent to log in). 303 = done, 403 = not theirs to
# do, 404 = they may not even see the item, 422 = no such move for this item.
MOVES = {
    ("draft", "published"): (303, 404, 303),
    ("review", "published"): (403, 404, 303),
    ("published", "review"): (403, 403, 303),
    ("draft", "withdrawn"): (403, 404, 303),
    ("review", "withdrawn"): (403, 404, 303),
    ("published", "withdrawn"): (403, 403, 303),
    ("withdrawn", "published"): (403, 404, 303),
    ("withdrawn", "review"): (403, 404, 303),
    ("published", "draft"): (422, 403, 422),
    ("draft", "review"): (422, 404, 422),
    ("review", "draft"): (403, 404, 422),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("start", "target"), list(MOVES), ids=[f"{a}-to-{b}" for a, b in MOVES])
def test_each_status_move_is_allowed_or_refused_by_role(
    client: Client,
    db: Session,
    sectors: None,
    people_by_role: dict[str, User | None],
    role: str,
    start: str,
    target: str,
) -> None:
    item = _item(db, people_by_role["author"], status=start)  # type: ignore[arg-type]
    _as(client, db, people_by_role[role])
    response = client.post_form(
        f"/intel/{item.id}/status", {"status": target, "reason": "Checked against the source"}
    )
    author, other, mod = MOVES[(start, target)]
    expected = {"anonymous": 303, "author": author, "other_member": other,
                "moderator": mod, "admin": mod}[role]  # fmt: skip
    assert response.status_code == expected, response.text  # type: ignore[attr-defined]
    db.refresh(item)
    if role == "anonymous":
        assert response.headers["location"].startswith("/login?next=")  # type: ignore[attr-defined]
    if expected == 303 and role != "anonymous":
        assert item.status == target
        assert response.headers["location"] == f"/intel/{item.id}"  # type: ignore[attr-defined]
    else:
        assert item.status == start, "a refused move changes nothing"
        assert _audit(db) == []
    if expected == 403:
        assert "moderator" in response.text  # type: ignore[attr-defined]
    if expected == 422:
        assert f"cannot become {target}" in response.text  # type: ignore[attr-defined]


def test_a_suspended_moderator_cannot_move_items(
    db: Session, sectors: None, member: User, moderator: User
) -> None:
    item = _item(db, member)
    moderator.suspended_at = dt.datetime.now(dt.UTC)
    with pytest.raises(NotAllowed, match="suspended"):
        writes.set_status(db, moderator, item, "withdrawn", reason="spam")
    assert item.status == "published"


def test_an_unknown_status_is_refused_with_a_message(
    client: Client, db: Session, sectors: None, member: User, moderator: User
) -> None:
    item = _item(db, member)
    _as(client, db, moderator)
    response = client.post_form(f"/intel/{item.id}/status", {"status": "deleted"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Unknown status" in response.text  # type: ignore[attr-defined]
    again = client.post_form(f"/intel/{item.id}/status", {"status": "published"})
    assert again.status_code == 303, "the same status is no error"  # type: ignore[attr-defined]
    assert "already published" in client.get(f"/intel/{item.id}").text
    assert _audit(db) == []


# --- withdrawal ----------------------------------------------------------------------------------


def test_withdrawing_needs_a_reason_that_its_author_and_moderators_then_see(
    client: Client,
    db: Session,
    sectors: None,
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    item = _item(db, member, title="Vietnam tender for port cranes")
    _as(client, db, moderator)
    for reason in ("", "   "):
        refused = client.post_form(
            f"/intel/{item.id}/status", {"status": "withdrawn", "reason": reason}
        )
        assert refused.status_code == 422  # type: ignore[attr-defined]
        assert "Say why the item is withdrawn." in refused.text  # type: ignore[attr-defined]
    too_long = client.post_form(
        f"/intel/{item.id}/status", {"status": "withdrawn", "reason": "x" * 1001}
    )
    assert too_long.status_code == 422  # type: ignore[attr-defined]
    db.refresh(item)
    assert item.status == "published" and _audit(db) == []

    done = client.post_form(
        f"/intel/{item.id}/status", {"status": "withdrawn", "reason": "The tender was cancelled"}
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    db.refresh(item)
    assert (item.status, item.withdrawn_reason) == ("withdrawn", "The tender was cancelled")
    ops = db.scalars(select(SearchOutbox.op).where(SearchOutbox.doc_id == f"intel:{item.id}")
                     .order_by(SearchOutbox.id))  # fmt: skip
    assert list(ops)[-1] == "delete", "withdrawn items leave the search index"

    page = client.get(f"/intel/{item.id}")
    assert "The item is withdrawn" in page.text, "the flash says what happened"
    assert "Withdrawn by the moderators: The tender was cancelled" in page.text
    assert "Restore and publish" in page.text
    _as(client, db, member)
    own = client.get(f"/intel/{item.id}")
    assert own.status_code == 200
    assert "Withdrawn by the moderators: The tender was cancelled" in own.text
    assert "Edit this item" not in own.text, "authors no longer edit a withdrawn item"
    _as(client, db, other_member)
    assert client.get(f"/intel/{item.id}").status_code == 404
    assert "Vietnam tender for port cranes" not in client.get("/intel").text
    _as(client, db, None)
    assert client.get(f"/intel/{item.id}").status_code == 404
    assert "Vietnam tender for port cranes" not in client.get("/intel").text


def test_restoring_publishes_again_and_clears_the_reason(
    client: Client, db: Session, sectors: None, member: User, admin: User
) -> None:
    item = _item(db, member, status="withdrawn")
    _as(client, db, admin)
    response = client.post_form(f"/intel/{item.id}/status", {"status": "published"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    db.refresh(item)
    assert (item.status, item.withdrawn_reason) == ("published", None)
    assert "The item is restored." in client.get(f"/intel/{item.id}").text
    _as(client, db, None)
    assert client.get(f"/intel/{item.id}").status_code == 200


def test_moderator_moves_are_audited_and_an_author_publishing_a_draft_is_not(
    client: Client, db: Session, sectors: None, member: User, moderator: User
) -> None:
    item = _item(db, member, status="draft", title="Brazil agri-food fair report")
    _as(client, db, member)
    client.post_form(f"/intel/{item.id}/status", {"status": "published"})
    assert _audit(db) == [], "an author publishing their own draft is no moderation"
    _as(client, db, moderator)
    steps = [("review", "Source unclear"), ("published", ""), ("withdrawn", "Duplicate of #1"),
             ("published", "It is not a duplicate")]  # fmt: skip
    for status, reason in steps:
        response = client.post_form(
            f"/intel/{item.id}/status", {"status": status, "reason": reason}
        )
        assert response.status_code == 303  # type: ignore[attr-defined]
    entries = _audit(db)
    assert [e.action for e in entries] == [
        "intel.review", "intel.publish", "intel.withdraw", "intel.restore"
    ]  # fmt: skip
    for entry, (status, reason) in zip(entries, steps, strict=True):
        assert entry.actor_id == moderator.id
        assert (entry.object_type, entry.object_id) == ("intel", str(item.id))
        assert entry.object_label == "Brazil agri-food fair report"
        assert entry.reason == reason
        assert entry.details["status"]["to"] == status
    assert entries[2].details["status"] == {"from": "published", "to": "withdrawn"}
    _as(client, db, moderator)
    client.post_form(f"/intel/{item.id}/status", {"status": "published"})
    assert len(_audit(db)) == 4, "a move to the same status is not recorded"


# --- the item page's tools --------------------------------------------------------------------


def test_the_item_page_offers_each_role_only_its_own_actions(
    client: Client,
    db: Session,
    sectors: None,
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    draft = _item(db, member, status="draft", title="A draft", url="https://example.eu/d")
    public = _item(db, member, title="Public", url="https://example.eu/p")
    _as(client, db, member)
    page = client.get(f"/intel/{draft.id}").text
    assert f'action="/intel/{draft.id}/status"' in page and 'value="published"' in page
    assert "Publish this draft" in page and "Withdraw" not in page
    assert "Report this item" not in client.get(f"/intel/{public.id}").text, "not your own"
    assert f'action="/intel/{public.id}/status"' not in client.get(f"/intel/{public.id}").text

    _as(client, db, other_member)
    page = client.get(f"/intel/{public.id}").text
    assert f'action="/intel/{public.id}/status"' not in page
    assert "Report this item" in page and 'name="object_type" value="intel"' in page

    _as(client, db, moderator)
    page = client.get(f"/intel/{public.id}").text
    assert "Back to review" in page and "Withdraw" in page
    assert 'name="status" value="withdrawn"' in page
    assert "Report this item" not in page, "moderators act rather than report"

    _as(client, db, None)
    page = client.get(f"/intel/{public.id}").text
    assert "/status" not in page and "Report this item" not in page


# --- the review queue ----------------------------------------------------------------------------


def test_the_review_queue_is_for_moderators_only(
    client: Client, db: Session, people_by_role: dict[str, User | None]
) -> None:
    expected = {"anonymous": 303, "author": 403, "other_member": 403, "moderator": 200,
                "admin": 200}  # fmt: skip
    for role, status in expected.items():
        _as(client, db, people_by_role[role])
        response = client.get("/intel/review")
        assert response.status_code == status, role
        bulk = client.post_form("/intel/review/publish", {"ids": "1"})
        assert bulk.status_code in ((303,) if status != 403 else (403,)), role  # type: ignore[attr-defined]
        if status == 403:
            assert "moderators" in response.text


def test_the_review_queue_lists_items_in_review_oldest_first_and_pages(
    client: Client, db: Session, sectors: None, member: User, moderator: User
) -> None:
    _as(client, db, moderator)
    empty = client.get("/intel/review")
    assert "Nothing waiting for review" in empty.text
    assert '<span class="badge">0</span>' in client.get("/moderation").text

    feed = _feed(db)
    start = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    for n in range(22):
        _harvested(db, feed, f"Call number {n:02d}", start + dt.timedelta(hours=n))
    sent_back = _item(db, member, status="review", title="Sent back by a moderator")
    sent_back.added_at = start + dt.timedelta(days=5)
    _item(db, member, title="Already public", url="https://example.eu/public")
    _item(db, member, status="draft", title="Still a draft", url="https://example.eu/draft")
    db.flush()

    first = client.get("/intel/review").text
    assert first.count('class="card" id="item-') == 20
    assert (
        first.index("Call number 00")
        < first.index("Call number 01")
        < first.index("Call number 19")
    )
    assert "Call number 20" not in first
    assert "Harvested from <strong>EU Example Feed</strong>" in first
    assert "1–20 of 23" in first and 'href="/intel/review?page=2"' in first
    assert 'form="review-bulk"' in first and "Publish selected" in first
    second = client.get("/intel/review?page=2").text
    assert second.count('class="card" id="item-') == 3
    assert "Call number 21" in second and "Added by Maria Member" in second
    for text in ("Already public", "Still a draft"):
        assert text not in first + second
    assert '<span class="badge badge-warning">23</span>' in client.get("/moderation").text
    assert 'href="/intel/review"' in client.get("/moderation").text


def test_moderators_publish_from_the_queue_one_by_one_or_selected(
    client: Client, db: Session, sectors: None, moderator: User
) -> None:
    feed = _feed(db)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    first, second, third = (_harvested(db, feed, f"Item {n}", now) for n in range(3))
    _as(client, db, moderator)
    one = client.post_form(
        f"/intel/{first.id}/status", {"status": "published", "next": "/intel/review"}
    )
    assert one.headers["location"] == "/intel/review"  # type: ignore[attr-defined]
    db.refresh(first)
    assert first.status == "published"

    nothing = client.post_form("/intel/review/publish", {})
    assert nothing.status_code == 422  # type: ignore[attr-defined]
    assert "Select the items to publish first." in nothing.text  # type: ignore[attr-defined]
    bulk = client.post(
        "/intel/review/publish",
        data={"ids": [str(first.id), str(second.id), str(third.id)],
              "csrf_token": client.csrf_token()},
    )  # fmt: skip
    assert bulk.status_code == 303
    assert "Published 2 items." in client.get("/intel/review").text, "the first was done already"
    db.expire_all()
    assert {second.status, third.status} == {"published"}
    assert len(_audit(db, "intel.publish")) == 3
    _as(client, db, None)
    for item in (first, second, third):
        assert client.get(f"/intel/{item.id}").status_code == 200

    withdraw = _harvested(db, feed, "Spam entry", now)
    _as(client, db, moderator)
    refused = client.post_form(
        f"/intel/{withdraw.id}/status", {"status": "withdrawn", "next": "/intel/review"}
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    client.post_form(
        f"/intel/{withdraw.id}/status",
        {"status": "withdrawn", "reason": "Not about clusters", "next": "/intel/review"},
    )
    db.refresh(withdraw)
    assert (withdraw.status, withdraw.withdrawn_reason) == ("withdrawn", "Not about clusters")


def test_the_queue_refuses_an_open_redirect(
    client: Client, db: Session, sectors: None, member: User, moderator: User
) -> None:
    item = _item(db, member, status="review")
    _as(client, db, moderator)
    response = client.post_form(
        f"/intel/{item.id}/status", {"status": "published", "next": "//evil.example/"}
    )
    assert response.headers["location"] == f"/intel/{item.id}"  # type: ignore[attr-defined]


# --- your drafts -------------------------------------------------------------------------------


def test_a_member_finds_their_drafts_and_items_in_review(
    client: Client, db: Session, sectors: None, member: User, other_member: User
) -> None:
    _item(db, member, status="draft", title="My draft", url="https://example.eu/1")
    _item(db, member, status="review", title="Mine in review", url="https://example.eu/2")
    _item(db, member, status="withdrawn", title="Mine withdrawn", url="https://example.eu/3")
    _item(db, member, title="Mine published", url="https://example.eu/4")
    ottos = _item(
        db, other_member, status="draft", title="Otto's draft", url="https://example.eu/5"
    )

    _as(client, db, None)
    response = client.get("/intel?mine=1")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")

    _as(client, db, member)
    assert 'href="/intel?mine=1"' in client.get("/intel").text
    page = client.get("/intel?mine=1").text
    for title in ("My draft", "Mine in review", "Mine withdrawn"):
        assert title in page
    for title in ("Mine published", "Otto&#39;s draft", "Otto's draft"):
        assert title not in page
    assert ">Review<" in page and ">Draft<" in page, "each with its status"
    assert 'name="mine" value="1"' in page, "filters keep to your items"

    _as(client, db, other_member)
    page = client.get("/intel?mine=1").text
    assert "Otto&#39;s draft" in page
    client.post_form(f"/intel/{ottos.id}/status", {"status": "published"})
    assert "No drafts" in client.get("/intel?mine=1").text, "published: no longer a draft"


# --- flags -----------------------------------------------------------------------------------


def test_a_reported_item_reaches_the_queue_and_withdrawing_it_closes_the_flag(
    client: Client,
    db: Session,
    sectors: None,
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    item = _item(db, member, title="Miracle export loans")
    _as(client, db, other_member)
    response = client.post_form(
        "/flags",
        {"object_type": "intel", "object_id": str(item.id), "reason": "A scam, not a loan",
         "next": f"/intel/{item.id}"},
    )  # fmt: skip
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/intel/{item.id}"  # type: ignore[attr-defined]
    assert "the moderators will look at it" in client.get(f"/intel/{item.id}").text
    flag = db.scalar(select(Flag).where(Flag.object_type == "intel"))
    assert flag is not None and (flag.object_id, flag.reporter_id) == (item.id, other_member.id)
    note = db.scalar(select(Notification).where(Notification.user_id == moderator.id))
    assert note is not None and "the intelligence item “Miracle export loans”" in note.text

    _as(client, db, moderator)
    queue = client.get("/moderation").text
    assert f'<a href="/intel/{item.id}">The intelligence item “Miracle export loans”</a>' in queue
    assert "added by Maria Member" in queue and "A scam, not a loan" in queue
    assert f'formaction="/moderation/flags/{flag.id}/withdraw"' in queue
    withdrawn = client.post_form(f"/moderation/flags/{flag.id}/withdraw", {"reason": ""})
    assert withdrawn.headers["location"] == "/moderation"  # type: ignore[attr-defined]
    assert "Nothing to review" in client.get("/moderation").text
    db.refresh(item)
    db.refresh(flag)
    assert (item.status, item.withdrawn_reason) == ("withdrawn", "A scam, not a loan")
    assert (flag.resolution, flag.resolved_by_id) == ("withdrawn", moderator.id)
    [entry] = _audit(db, "intel.withdraw")
    assert entry.reason == "A scam, not a loan" and entry.details["flags_closed"] == 1
    again = client.post_form(f"/moderation/flags/{flag.id}/withdraw", {"reason": ""})
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert "already closed" in client.get("/moderation").text
    _as(client, db, None)
    assert client.get(f"/intel/{item.id}").status_code == 404
    _as(client, db, member)
    assert "A scam, not a loan" in client.get(f"/intel/{item.id}").text


def test_the_moderators_reason_wins_over_the_flags(
    db: Session, settings: Settings, sectors: None, member: User, other_member: User,
    moderator: User,
) -> None:  # fmt: skip
    item = _item(db, member)
    flag = flags.flag(db, other_member, object_type="intel", object_id=item.id,
                           reason="wrong", settings=settings)  # fmt: skip
    with pytest.raises(NotAllowed):
        flags.withdraw_flagged_intel(db, other_member, flag, reason="mine")
    assert flags.withdraw_flagged_intel(db, moderator, flag, reason="Figures from 2009")
    assert item.withdrawn_reason == "Figures from 2009"


def test_a_flag_on_an_item_can_be_dismissed_and_the_item_stays(
    client: Client,
    db: Session,
    settings: Settings,
    sectors: None,
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    item = _item(db, member)
    flag = flags.flag(db, other_member, object_type="intel", object_id=item.id,
                           reason="Looks odd", settings=settings)  # fmt: skip
    db.flush()
    _as(client, db, moderator)
    client.post_form(f"/moderation/flags/{flag.id}/resolve", {"reason": "It is a real call"})
    db.refresh(flag)
    db.refresh(item)
    assert flag.resolution == "dismissed" and item.status == "published"
    assert _audit(db, "flag.resolve")[0].reason == "It is a real call"


def test_items_are_flagged_only_where_the_reporter_can_see_them(
    client: Client,
    db: Session,
    settings: Settings,
    sectors: None,
    people: People,
    member: User,
    other_member: User,
) -> None:
    draft = _item(db, member, status="draft")
    with pytest.raises(NotFound):
        flags.flag(db, other_member, object_type="intel", object_id=draft.id,
                        reason="?", settings=settings)  # fmt: skip
    with pytest.raises(NotFound):
        flags.flag(db, other_member, object_type="intel", object_id=10**9,
                        reason="?", settings=settings)  # fmt: skip
    _as(client, db, other_member)
    response = client.post_form(
        "/flags", {"object_type": "intel", "object_id": str(draft.id), "reason": "?"}
    )
    assert response.status_code == 404  # type: ignore[attr-defined]
    _as(client, db, None)
    visitor = client.post_form(
        "/flags", {"object_type": "intel", "object_id": str(draft.id), "reason": "?"}
    )
    assert visitor.headers["location"].startswith("/login")  # type: ignore[attr-defined]
    assert db.scalar(select(Flag)) is None


def test_items_are_flagged_through_the_api_too(
    client: Client, db: Session, sectors: None, member: User, other_member: User
) -> None:
    item = _item(db, member)
    raw, _ = create_api_token(db, other_member, name="tests")
    db.flush()
    response = client.post(
        "/api/v1/flags",
        headers={"Authorization": f"Bearer {raw}"},
        json={"object_type": "intel", "object_id": item.id, "reason": "Outdated"},
    )
    assert response.status_code == 201, response.text
    flag = db.scalar(select(Flag).where(Flag.object_type == "intel"))
    assert flag is not None and flag.object_id == item.id


# --- CSRF ----------------------------------------------------------------------------------


def test_every_moderation_form_is_refused_without_its_csrf_token(
    client: Client,
    db: Session,
    settings: Settings,
    sectors: None,
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    item = _item(db, member)
    flag = flags.flag(db, other_member, object_type="intel", object_id=item.id,
                           reason="wrong", settings=settings)  # fmt: skip
    db.flush()
    _as(client, db, moderator)
    client.csrf_token()  # the cookie exists; only the form field is missing
    for url, data in [
        (f"/intel/{item.id}/status", {"status": "withdrawn", "reason": "spam"}),
        ("/intel/review/publish", {"ids": str(item.id)}),
        (f"/moderation/flags/{flag.id}/withdraw", {"reason": "spam"}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 403, url
        assert "could not be verified" in response.text
        forged = client.post(url, data={**data, "csrf_token": "0" * 64})
        assert forged.status_code == 403, url
    db.refresh(item)
    db.refresh(flag)
    assert item.status == "published" and flag.resolved_at is None and _audit(db) == []


# --- the Markdown preview ---------------------------------------------------------------------

JS_LINK = re.compile(r"<a\s[^>]*href=\"\s*javascript", re.I)
HOSTILE = (
    "**Deadline** in [the call](https://example.eu/call)\n\n"
    "<script>alert(1)</script>\n\n"
    '[click me](javascript:alert(1)) and <a href="javascript:alert(2)">raw</a>'
)


def _form(client: Client, **change: str) -> dict[str, object]:
    data: dict[str, object] = {"csrf_token": client.csrf_token(), "title": "Preview me",
                               "kind": "news", "body": HOSTILE, "action": "preview"}  # fmt: skip
    data.update(change)
    return data


def _preview_part(page: str) -> str:
    start = page.index('<section class="preview"')
    return page[start : page.index("</section>", start)]


def test_the_preview_renders_sanitized_markdown_and_saves_nothing(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    _as(client, db, member)
    form = client.get("/intel/new").text
    assert 'data-hx-post="/intel/preview"' in form and 'name="action" value="preview"' in form
    response = client.post("/intel/new", data=_form(client))
    assert response.status_code == 200
    preview = _preview_part(response.text)
    assert "<strong>Deadline</strong>" in preview
    assert 'href="https://example.eu/call"' in preview
    assert "<script" not in preview and "&lt;script&gt;" in preview, "shown as text"
    assert JS_LINK.search(preview) is None and "[click me](javascript:alert(1))" in preview
    assert script_risks(response.text) == []
    assert 'value="Preview me"' in response.text, "the form keeps what was typed"
    assert db.scalar(select(IntelItem)) is None

    fragment = client.post(
        "/intel/preview", data={"body": HOSTILE, "csrf_token": client.csrf_token()}
    )
    assert fragment.status_code == 200
    assert "<strong>Deadline</strong>" in fragment.text
    assert "<script" not in fragment.text and JS_LINK.search(fragment.text) is None
    assert script_risks(fragment.text) == []
    empty = client.post("/intel/preview", data={"body": "", "csrf_token": client.csrf_token()})
    assert "Nothing to preview yet." in empty.text
    long = client.post(
        "/intel/preview", data={"body": "x" * 50_001, "csrf_token": client.csrf_token()}
    )
    assert long.status_code == 422


def test_the_edit_form_previews_without_saving_and_visitors_cannot_preview(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    item = _item(db, member)
    _as(client, db, member)
    response = client.post(f"/intel/{item.id}/edit", data=_form(client, body="_new notes_"))
    assert response.status_code == 200
    assert "<em>new notes</em>" in _preview_part(response.text)
    db.refresh(item)
    assert item.title != "Preview me" and item.body == ""
    _as(client, db, None)
    refused = client.post("/intel/preview", data={"body": "x", "csrf_token": client.csrf_token()})
    assert refused.status_code == 303
    no_token = client.post("/intel/preview", data={"body": "x"})
    assert no_token.status_code == 403
