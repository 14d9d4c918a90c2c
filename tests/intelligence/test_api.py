"""The intelligence API: visibility, the list page's filters, cursors, writing and editing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core.db import utcnow
from forum.intelligence import queries, writes
from forum.intelligence.models import IntelAttachment, IntelItem
from tests.conftest import Client, People, sign_in
from tests.intelligence.factories import make

ITEM = {
    "title": "Japan opens public procurement to EU food SMEs",
    "summary": "What changes for EU exporters from April.",
    "body": "Read **section 3** first.",
    "kind": "regulation",
    "countries": ["JP"],
    "sectors": ["food"],
    "url": "https://example.eu/japan-procurement",
    "source_name": "Example Agency",
    "source_url": "https://example.eu",
    "published_at": "2026-11-20",
    "deadline": None,
}


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="tests")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [i["title"] for i in response.json()["items"]]


def error_fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["loc"][1] for e in response.json()["detail"]]


# --- visibility ---------------------------------------------------------------------------


@pytest.fixture
def statuses(db: Session, sectors: None, member: User, moderator: User) -> dict[str, IntelItem]:
    """One item in each status, all by `member`."""
    items = {s: make(db, member, f"A {s} item") for s in ("published", "review", "withdrawn")}
    items["draft"] = make(db, member, "A draft item", status="draft")
    writes.set_status(db, moderator, items["review"], "review")
    writes.set_status(db, moderator, items["withdrawn"], "withdrawn", reason="Outdated")
    db.flush()
    return items


def test_anonymous_readers_get_published_items_only(
    client: Client, db: Session, statuses: dict[str, IntelItem]
) -> None:
    assert titles(client.get("/api/v1/intel")) == ["A published item"]
    for status, item in statuses.items():
        response = client.get(f"/api/v1/intel/{item.id}")
        expected = 200 if status == "published" else 404
        assert response.status_code == expected, status
    assert client.get("/api/v1/intel/999999").json() == {
        "detail": "No intelligence item with this id."
    }


def test_the_author_sees_their_own_and_moderators_see_everything(
    client: Client,
    db: Session,
    statuses: dict[str, IntelItem],
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    mine = set(titles(client.get("/api/v1/intel", headers=bearer(db, member))))
    assert mine == {"A published item", "A draft item", "A review item", "A withdrawn item"}
    theirs = titles(client.get("/api/v1/intel", headers=bearer(db, other_member)))
    assert theirs == ["A published item"]
    assert (
        client.get(
            f"/api/v1/intel/{statuses['draft'].id}", headers=bearer(db, other_member)
        ).status_code
        == 404
    )
    everything = titles(client.get("/api/v1/intel", headers=bearer(db, moderator)))
    assert len(everything) == 4
    withdrawn = client.get(
        f"/api/v1/intel/{statuses['withdrawn'].id}", headers=bearer(db, moderator)
    ).json()
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["withdrawn_reason"] == "Outdated"


def test_a_session_cookie_does_not_authenticate_the_api(
    client: Client, db: Session, statuses: dict[str, IntelItem], member: User
) -> None:
    sign_in(client, db, member)
    assert titles(client.get("/api/v1/intel")) == ["A published item"]
    assert client.post("/api/v1/intel", json=ITEM).status_code == 401


# --- the item's shape ------------------------------------------------------------------------


def test_an_item_answers_with_its_fields_tags_and_attachments(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    soon = utcnow() + dt.timedelta(days=5)
    item = make(
        db, member, "Tender for cold-chain logistics in Japan", kind="tender", deadline=soon,
        url="https://example.eu/tender", source_name="Example Tenders",
        sectors=["food", "digital"], countries=["JP", "KR"],
    )  # fmt: skip
    db.add(
        IntelAttachment(
            item_id=item.id, uploader_id=member.id, original_name="terms & conditions.pdf",
            storage_name="ab/cd", sha256="0" * 64, size=1234, mime="application/pdf",
            extraction_status="done",
        )
    )  # fmt: skip
    db.flush()
    db.expire(item)
    body = client.get(f"/api/v1/intel/{item.id}").json()
    assert body["url"] == f"http://testserver/intel/{item.id}"
    assert body["original_url"] == "https://example.eu/tender"
    assert body["kind"] == "tender" and body["kind_label"] == "Tender"
    assert body["countries"] == ["JP", "KR"]
    assert body["sectors"] == [
        {"slug": "digital", "name": "Digital industry"},
        {"slug": "food", "name": "Food industry"},
    ]
    assert body["deadline_state"] == "closing soon"
    assert body["author"] == "Maria Member"
    assert body["status"] == "published"
    [attachment] = body["attachments"]
    assert attachment["name"] == "terms & conditions.pdf"
    assert attachment["size"] == 1234
    assert attachment["mime"] == "application/pdf"
    assert attachment["extraction_status"] == "done"
    assert attachment["url"] == (
        f"http://testserver/intel/attachments/{attachment['id']}/terms%20%26%20conditions.pdf"
    )


# --- filters ---------------------------------------------------------------------------------


def test_filters_work_like_the_list_page(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    late = utcnow() + dt.timedelta(days=60)
    past = utcnow() - dt.timedelta(days=3)
    make(db, member, "Japan food news", published_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
         source_name="Agency A")  # fmt: skip
    make(db, member, "French health call", kind="funding_call", countries=["FR"],
         sectors=["healthcare"], deadline=late, source_name="Agency B",
         published_at=dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC))  # fmt: skip
    make(db, member, "Closed tender in Germany", kind="tender", countries=["DE"],
         sectors=["healthcare"], deadline=past)  # fmt: skip
    make(db, member, "Worldwide food outlook", countries=[], is_global=True)

    def query(q: str) -> list[str]:
        return sorted(titles(client.get(f"/api/v1/intel?{q}")))

    assert query("country=JP") == ["Japan food news", "Worldwide food outlook"]
    # A region group stands for its countries.
    assert query("country=g:eu27") == [
        "Closed tender in Germany", "French health call", "Worldwide food outlook"
    ]  # fmt: skip
    assert query("country=JP&country=FR") == [
        "French health call", "Japan food news", "Worldwide food outlook"
    ]  # fmt: skip
    assert query("sector=healthcare") == ["Closed tender in Germany", "French health call"]
    assert query("sector=healthcare&country=FR") == ["French health call"]
    assert query("kind=tender&kind=funding_call") == [
        "Closed tender in Germany", "French health call"
    ]  # fmt: skip
    assert query("source=Agency%20A") == ["Japan food news"]
    assert query("from=2026-04-01") == ["French health call"]
    # `to` includes the whole day.
    assert query("to=2026-03-01") == ["Japan food news"]
    assert query("open=1") == ["French health call"]
    assert titles(client.get("/api/v1/intel?sort=deadline&kind=tender&kind=funding_call")) == [
        "Closed tender in Germany", "French health call"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("country=XX", "'XX'"),
        ("country=g:atlantis", "'g:atlantis'"),
        ("sector=plumbing", "'plumbing'"),
    ],
)
def test_an_unknown_country_or_sector_is_422_naming_it(
    client: Client, db: Session, sectors: None, query: str, named: str
) -> None:
    response = client.get(f"/api/v1/intel?{query}")
    assert response.status_code == 422
    assert named in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=gossip", "kind"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("sort=popular", "sort"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("open=perhaps", "open"),
    ],
)
def test_invalid_list_parameters_are_422_naming_them(
    client: Client, db: Session, sectors: None, query: str, field: str
) -> None:
    assert field in error_fields(client.get(f"/api/v1/intel?{query}"))


# --- cursors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["added", "published", "deadline"])
def test_cursor_pages_walk_every_item_once_in_order(
    client: Client, db: Session, sectors: None, member: User, sort: str
) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for n in range(23):
        # Ties on every sort key, and some items without a publication date or deadline.
        make(
            db, member, f"Call {n:02d}", kind="funding_call",
            added_at=start + dt.timedelta(days=n // 3),
            published_at=None if n % 5 == 0 else start + dt.timedelta(days=n // 4),
            deadline=None if n % 4 == 0 else start + dt.timedelta(days=400 + n // 2),
        )  # fmt: skip
    expected = [
        i.title
        for i in queries.page_items(db, None, queries.IntelFilter(), page=1, per_page=100, sort=sort).items
    ]  # fmt: skip
    seen: list[str] = []
    url = f"/api/v1/intel?sort={sort}&limit=5"
    pages = 0
    while url and pages < 10:
        body = client.get(url).json()
        seen += [i["title"] for i in body["items"]]
        pages += 1
        url = f"/api/v1/intel?sort={sort}&limit=5&cursor={body['next']}" if body["next"] else ""
    assert pages == 5
    assert seen == expected
    assert len(set(seen)) == 23


def test_a_cursor_from_another_sort_or_a_forged_one_is_refused(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    for n in range(3):
        make(db, member, f"Item {n}")
    cursor = client.get("/api/v1/intel?limit=1").json()["next"]
    assert cursor
    assert client.get(f"/api/v1/intel?limit=1&cursor={cursor}").status_code == 200
    for bad in (f"/api/v1/intel?sort=deadline&cursor={cursor}", "/api/v1/intel?cursor=nonsense"):
        response = client.get(bad)
        assert response.status_code == 422
        assert "invalid cursor" in response.json()["detail"]


# --- writing ---------------------------------------------------------------------------------


def test_a_member_adds_an_item_and_gets_201_with_id_and_url(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    response = client.post("/api/v1/intel", json=ITEM, headers=bearer(db, member))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"] == f"http://testserver/intel/{body['id']}"
    assert body["title"] == ITEM["title"]
    assert body["original_url"] == ITEM["url"]
    assert body["status"] == "published"
    assert body["published_at"].startswith("2026-11-20T00:00:00")
    assert "<strong>section 3</strong>" in body["body_html"]
    assert body["attachments"] == []
    item = db.get(IntelItem, body["id"])
    assert item is not None and item.author_id == member.id
    assert client.get(f"/api/v1/intel/{body['id']}").status_code == 200


def test_a_draft_and_a_region_group_through_the_api(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    data = {**ITEM, "countries": ["g:gcc"], "status": "draft",
            "published_at": "2026-11-20T09:30:00+01:00"}  # fmt: skip
    body = client.post("/api/v1/intel", json=data, headers=bearer(db, member)).json()
    assert {"AE", "SA"} <= set(body["countries"])
    assert body["status"] == "draft"
    assert body["published_at"].startswith("2026-11-20T08:30:00")
    assert client.get(f"/api/v1/intel/{body['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"title": None}, "title", "Field required"),
        ({"title": "   "}, "title", "title"),
        ({"kind": "gossip"}, "kind", "Input should be"),
        ({"countries": ["JP", "XX"]}, "countries", "'XX'"),
        ({"sectors": ["plumbing"]}, "sectors", "'plumbing'"),
        ({"url": "javascript:alert(1)"}, "url", "http"),
        ({"deadline": "2027-01-01"}, "deadline", "Only calls and tenders"),
        ({"published_at": "2026-11-20T10:00:00"}, "published_at", "time zone"),
        ({"published_at": "last week"}, "published_at", "date"),
        ({"status": "review"}, "status", "Input should be"),
        ({"summary": "x" * 2_001}, "summary", "2,000"),
    ],
)
def test_invalid_items_are_422_naming_the_field_and_nothing_is_saved(
    client: Client, db: Session, sectors: None, member: User,
    change: dict[str, Any], field: str, says: str,
) -> None:  # fmt: skip
    data = {k: v for k, v in {**ITEM, **change}.items() if v is not None}
    response = client.post("/api/v1/intel", json=data, headers=bearer(db, member))
    assert field in error_fields(response)
    assert any(says in e["msg"] for e in response.json()["detail"]), response.json()
    assert db.scalar(select(func.count()).select_from(IntelItem)) == 0


def test_writing_needs_a_confirmed_member(
    client: Client, db: Session, sectors: None, people: People
) -> None:
    assert client.post("/api/v1/intel", json=ITEM).status_code == 401
    unconfirmed = people.make(verified=False)
    response = client.post("/api/v1/intel", json=ITEM, headers=bearer(db, unconfirmed))
    assert response.status_code == 403
    assert "Confirm your email" in response.json()["detail"]


# --- editing ---------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    item = make(db, member, "Old title", source_name="Example Agency", summary="Kept.")
    response = client.patch(
        f"/api/v1/intel/{item.id}",
        json={"title": "New title", "countries": ["g:asean"], "source_name": None},
        headers=bearer(db, member),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "New title"
    assert body["summary"] == "Kept."
    assert body["source_name"] is None
    assert "SG" in body["countries"] and "JP" not in body["countries"]
    assert body["sectors"] == [{"slug": "food", "name": "Food industry"}]
    db.refresh(item)
    assert item.title == "New title"


def test_patch_refuses_null_for_a_required_field_and_bad_values(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    item = make(db, member, "Stays")
    headers = bearer(db, member)
    for data, field in [
        ({"title": None}, "title"),
        ({"kind": None}, "kind"),
        ({"countries": ["XX"]}, "countries"),
        ({"sectors": ["plumbing"]}, "sectors"),
        ({"deadline": "2027-01-01"}, "deadline"),
    ]:
        response = client.patch(f"/api/v1/intel/{item.id}", json=data, headers=headers)
        assert field in error_fields(response), data
    db.refresh(item)
    assert item.title == "Stays" and item.deadline is None


def test_who_may_patch(
    client: Client,
    db: Session,
    sectors: None,
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    item = make(db, member, "By Maria")
    draft = make(db, member, "Maria's draft", status="draft")
    change = {"summary": "Edited."}
    assert client.patch(f"/api/v1/intel/{item.id}", json=change).status_code == 401
    refused = client.patch(
        f"/api/v1/intel/{item.id}", json=change, headers=bearer(db, other_member)
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the author or a moderator can edit this item."
    assert (
        client.patch(
            f"/api/v1/intel/{draft.id}", json=change, headers=bearer(db, other_member)
        ).status_code
        == 404
    )
    assert (
        client.patch(
            f"/api/v1/intel/{item.id}", json=change, headers=bearer(db, moderator)
        ).status_code
        == 200
    )
    writes.set_status(db, moderator, item, "withdrawn", reason="Duplicate")
    db.flush()
    assert (
        client.patch(
            f"/api/v1/intel/{item.id}", json=change, headers=bearer(db, member)
        ).status_code
        == 403
    )


def test_patch_publishes_a_draft_and_only_moderators_withdraw(
    client: Client, db: Session, sectors: None, member: User, moderator: User
) -> None:
    draft = make(db, member, "Ready soon", status="draft")
    mine = bearer(db, member)
    published = client.patch(f"/api/v1/intel/{draft.id}", json={"status": "published"},
                             headers=mine)  # fmt: skip
    assert published.json()["status"] == "published"
    assert client.get(f"/api/v1/intel/{draft.id}").status_code == 200
    assert (
        client.patch(
            f"/api/v1/intel/{draft.id}",
            json={"status": "withdrawn", "reason": "mine"},
            headers=mine,
        ).status_code
        == 403
    )
    # A withdrawal without a reason saves nothing, not even the other fields sent with it.
    theirs = bearer(db, moderator)
    no_reason = client.patch(
        f"/api/v1/intel/{draft.id}", json={"title": "Renamed", "status": "withdrawn"},
        headers=theirs,
    )  # fmt: skip
    assert error_fields(no_reason) == ["reason"]
    db.refresh(draft)
    assert (draft.title, draft.status) == ("Ready soon", "published")
    withdrawn = client.patch(
        f"/api/v1/intel/{draft.id}", json={"status": "withdrawn", "reason": "Spam"},
        headers=theirs,
    )  # fmt: skip
    assert withdrawn.status_code == 200
    assert client.get(f"/api/v1/intel/{draft.id}").status_code == 404


def test_the_routes_are_in_the_openapi_description(client: Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/intel"]) >= {"get", "post"}
    assert set(paths["/api/v1/intel/{item_id}"]) >= {"get", "patch"}
