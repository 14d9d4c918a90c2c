"""The discussions API: threads, post trees, replies, edits, flags, categories."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.discussions import service
from forum.discussions.models import Category, Flag, Post, Thread
from forum.partnerships.service import get_partnership_by_slug
from tests.conftest import Client, People, Threads


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="tests")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


def error_fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["loc"][-1] for e in response.json()["detail"]]


GOOD_PRACTICE = {
    "title": "Matchmaking at FOODEX Japan",
    "body": "",
    "category": "good-practices",
    "kind": "good_practice",
    "countries": ["JP"],
    "sectors": ["food"],
    "approach": "A joint stand for six SMEs.",
    "results": "Two distribution agreements.",
    "lessons": "Book a year ahead.",
}


# --- writing --------------------------------------------------------------------------------


def test_creating_a_good_practice_answers_201_with_its_id_and_url(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    response = client.post("/api/v1/threads", json=GOOD_PRACTICE, headers=bearer(db, member))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"] == f"http://testserver/threads/{body['id']}"
    assert body["title"] == "Matchmaking at FOODEX Japan"
    assert body["kind"] == "good_practice"
    assert body["category"] == {"slug": "good-practices", "name": "Good practices"}
    assert body["countries"] == ["JP"]
    assert body["sectors"] == [{"slug": "food", "name": "Food industry"}]
    assert body["author"] == "Maria Member"
    assert body["good_practice"]["results"] == "Two distribution agreements."
    assert "<p>Book a year ahead.</p>" in body["good_practice"]["lessons_html"]
    thread = db.get(Thread, body["id"])
    assert thread is not None and thread.author_id == member.id


def test_a_region_group_tags_a_thread_with_its_countries(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    data = {
        "title": "Selling in the Gulf",
        "body": "Who has tried?",
        "category": "market-intelligence",
        "countries": ["g:gcc"],
    }
    response = client.post("/api/v1/threads", json=data, headers=bearer(db, member))
    assert response.status_code == 201
    assert {"AE", "SA"} <= set(response.json()["countries"])


def test_a_good_practice_without_results_is_refused_naming_results(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    data = {**GOOD_PRACTICE, "results": ""}
    response = client.post("/api/v1/threads", json=data, headers=bearer(db, member))
    assert error_fields(response) == ["results"]
    assert response.json()["detail"] == [
        {"loc": ["body", "results"], "msg": "Write something first.", "type": "value_error"}
    ]
    assert db.scalar(select(Thread)) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"category": "no-such-category"}, "category"),
        ({"kind": "rant"}, "kind"),
        ({"countries": ["XX"]}, "countries"),
        ({"sectors": ["plumbing"]}, "sectors"),
        ({"kind": "discussion", "body": ""}, "body"),
        ({"approach": ""}, "approach"),
        ({"countries": []}, "countries"),
    ],
)
def test_invalid_threads_are_422_naming_the_field(
    client: Client,
    db: Session,
    member: User,
    categories: dict[str, Category],
    change: dict[str, Any],
    field: str,
) -> None:
    data = {**GOOD_PRACTICE, **change}
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post("/api/v1/threads", json=data, headers=bearer(db, member))
    assert field in error_fields(response)
    assert all(e["msg"] for e in response.json()["detail"])


def test_writing_needs_a_token_and_a_confirmed_account(
    client: Client, db: Session, people: People, categories: dict[str, Category]
) -> None:
    anonymous = client.post("/api/v1/threads", json=GOOD_PRACTICE)
    assert anonymous.status_code == 401
    unconfirmed = people.make(verified=False)
    refused = client.post("/api/v1/threads", json=GOOD_PRACTICE, headers=bearer(db, unconfirmed))
    assert refused.status_code == 403
    assert "Confirm your email address" in refused.json()["detail"]


def test_a_reply_answers_201_and_nests_under_its_parent(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    first = threads.reply(member, thread, "First answer")
    response = client.post(
        f"/api/v1/threads/{thread.id}/posts",
        json={"body": "I agree **strongly**", "parent_id": first.id},
        headers=bearer(db, other_member),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"] == f"http://testserver/posts/{body['id']}"
    assert (body["parent_id"], body["depth"], body["state"]) == (first.id, 1, "visible")
    assert body["body_html"] == "<p>I agree <strong>strongly</strong></p>\n"
    tree = client.get(f"/api/v1/threads/{thread.id}").json()
    assert [(p["id"], p["depth"]) for p in tree["posts"]] == [(first.id, 0), (body["id"], 1)]


def test_a_parent_from_another_thread_is_422(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    elsewhere = threads.reply(member, threads.start(member, title="Another one"), "Elsewhere")
    response = client.post(
        f"/api/v1/threads/{thread.id}/posts",
        json={"body": "Hello", "parent_id": elsewhere.id},
        headers=bearer(db, member),
    )
    assert error_fields(response) == ["parent_id"]
    assert response.json()["detail"][0]["msg"] == "The post you reply to is not in this thread."
    empty = client.post(
        f"/api/v1/threads/{thread.id}/posts", json={"body": " "}, headers=bearer(db, member)
    )
    assert error_fields(empty) == ["body"]
    missing = client.post(f"/api/v1/threads/{thread.id}/posts", json={}, headers=bearer(db, member))
    assert error_fields(missing) == ["body"]


def test_a_locked_thread_refuses_replies_with_403_and_a_message(
    client: Client, db: Session, member: User, moderator: User, threads: Threads
) -> None:
    thread = threads.start(member)
    from forum.discussions import moderation

    moderation.lock(db, moderator, thread, reason="Done")
    db.flush()
    response = client.post(
        f"/api/v1/threads/{thread.id}/posts", json={"body": "One more"}, headers=bearer(db, member)
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "This thread is locked: it takes no new replies."}
    assert client.get(f"/api/v1/threads/{thread.id}").json()["locked"] is True


def test_authors_edit_and_delete_their_posts_and_nobody_else_does(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    post = threads.reply(member, thread, "Typo hree")
    mine, theirs = bearer(db, member), bearer(db, other_member)
    refused = client.patch(f"/api/v1/posts/{post.id}", json={"body": "Mine now"}, headers=theirs)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You can edit only your own posts."}
    edited = client.patch(f"/api/v1/posts/{post.id}", json={"body": "Typo here"}, headers=mine)
    assert edited.status_code == 200
    assert edited.json()["body"] == "Typo here" and edited.json()["edited_at"] is not None
    assert client.delete(f"/api/v1/posts/{post.id}", headers=theirs).status_code == 403
    deleted = client.delete(f"/api/v1/posts/{post.id}", headers=mine)
    assert deleted.status_code == 204 and deleted.content == b""
    [shown] = client.get(f"/api/v1/threads/{thread.id}").json()["posts"]
    assert shown["state"] == "deleted" and shown["body"] is None
    assert client.patch("/api/v1/posts/999999", json={"body": "x"}, headers=mine).status_code == 404


def test_flagging_a_post_answers_201_once_then_409(
    client: Client, db: Session, member: User, other_member: User, moderator: User, threads: Threads
) -> None:
    thread = threads.start(member)
    post = threads.reply(other_member, thread, "Buy now")
    headers = bearer(db, member)
    response = client.post(
        f"/api/v1/posts/{post.id}/flags", json={"reason": "Spam"}, headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["object_type"], body["object_id"], body["reason"]) == ("post", post.id, "Spam")
    assert db.get(Flag, body["id"]) is not None
    again = client.post(f"/api/v1/posts/{post.id}/flags", json={"reason": "Spam"}, headers=headers)
    assert again.status_code == 409
    assert "already flagged" in again.json()["detail"]
    long = client.post(
        f"/api/v1/threads/{thread.id}/flags", json={"reason": "x" * 1001}, headers=headers
    )
    assert error_fields(long) == ["reason"]
    assert client.post(f"/api/v1/posts/{post.id}/flags", json={"reason": "x"}).status_code == 401


def test_profiles_are_flagged_through_the_generic_route_events_not_yet(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    headers = bearer(db, member)
    profile = client.post(
        "/api/v1/flags",
        headers=headers,
        json={"object_type": "profile", "object_id": other_member.id, "reason": "Impersonation"},
    )
    assert profile.status_code == 201
    for kind in ("event",):  # intelligence items: tests/intelligence/test_moderation.py
        response = client.post(
            "/api/v1/flags",
            headers=headers,
            json={"object_type": kind, "object_id": 1, "reason": "Wrong"},
        )
        assert error_fields(response) == ["object_type"]
        assert "cannot be flagged yet" in response.json()["detail"][0]["msg"]
    missing = client.post(
        "/api/v1/flags",
        headers=headers,
        json={"object_type": "profile", "object_id": 10**9, "reason": "?"},
    )
    assert missing.status_code == 404


# --- reading --------------------------------------------------------------------------------


def test_cursor_pagination_walks_every_thread_once_newest_activity_first(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    made = []
    for n in range(7):
        thread = threads.start(member, title=f"Thread {n}")
        thread.last_activity_at = start + dt.timedelta(hours=n % 3)  # ties on purpose
        made.append(thread.id)
    db.flush()
    seen: list[int] = []
    url = "/api/v1/threads?limit=3"
    pages = 0
    while url:
        body = client.get(url).json()
        seen += [t["id"] for t in body["items"]]
        pages += 1
        url = f"/api/v1/threads?limit=3&cursor={body['next']}" if body["next"] else ""
    assert pages == 3
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    activity = {
        t.id: t.last_activity_at for t in db.scalars(select(Thread).where(Thread.id.in_(made)))
    }
    assert seen == sorted(made, key=lambda i: (activity[i], i), reverse=True)
    forged = client.get("/api/v1/threads?cursor=bm90LWEtY3Vyc29y")
    assert forged.status_code == 422


def test_threads_filter_by_category_kind_country_sector_and_partnership(
    client: Client, db: Session, people: People, demo_db: Session, threads: Threads
) -> None:
    laser = people.make(partnership_slug="laser-go-global")
    loner = people.make()
    japan = threads.start(laser, title="Japan food", countries=["JP"], sectors=["food"])
    usa = threads.start(
        loner,
        title="US health",
        countries=["US"],
        sectors=["healthcare"],
        kind="question",
        category="cooperation-opportunities",
    )

    ours = {"Japan food", "US health"}  # the demo data has threads of its own

    def titles(query: str) -> list[str]:
        response = client.get(f"/api/v1/threads?limit=100&{query}")
        assert response.status_code == 200, response.text
        return sorted(t["title"] for t in response.json()["items"] if t["title"] in ours)

    assert titles("") == ["Japan food", "US health"]
    assert titles("country=JP") == ["Japan food"]
    assert titles("country=g:north-america") == ["US health"]
    assert titles("sector=healthcare") == ["US health"]
    assert titles("kind=question") == ["US health"]
    assert titles("category=cooperation-opportunities") == ["US health"]
    assert titles("partnership=laser-go-global") == ["Japan food"]
    partnership = get_partnership_by_slug(db, "laser-go-global")
    assert partnership is not None
    assert titles(f"partnership={partnership.id}") == ["Japan food"]
    assert titles("country=JP&sector=healthcare") == []
    for bad, field in [
        ("country=XX", None),
        ("sector=nope", None),
        ("kind=rant", "kind"),
        ("category=nope", "category"),
        ("partnership=nope", "partnership"),
    ]:
        response = client.get(f"/api/v1/threads?{bad}")
        assert response.status_code == 422, bad
        if field:
            assert response.json()["detail"][0]["loc"][-1] == field
    assert japan.id != usa.id


def test_members_only_categories_are_invisible_to_anonymous_readers(
    client: Client, db: Session, member: User, threads: Threads, members_only: Category
) -> None:
    public = threads.start(member, title="Open to all")
    private = threads.start(member, title="Staff only", category=members_only)
    anonymous = client.get("/api/v1/threads").json()["items"]
    assert [t["id"] for t in anonymous] == [public.id]
    assert client.get(f"/api/v1/threads/{private.id}").status_code == 404
    assert client.get("/api/v1/threads?category=staff-room").status_code == 422
    slugs = [c["slug"] for c in client.get("/api/v1/categories").json()["items"]]
    assert "staff-room" not in slugs and "good-practices" in slugs
    headers = bearer(db, member)
    signed_in = client.get("/api/v1/threads", headers=headers).json()["items"]
    assert {t["id"] for t in signed_in} == {public.id, private.id}
    assert client.get(f"/api/v1/threads/{private.id}", headers=headers).status_code == 200
    member_slugs = [
        c["slug"] for c in client.get("/api/v1/categories", headers=headers).json()["items"]
    ]
    assert "staff-room" in member_slugs


def test_categories_are_listed_in_order_with_urls(
    client: Client, categories: dict[str, Category]
) -> None:
    body = client.get("/api/v1/categories").json()
    assert body["next"] is None
    assert [c["slug"] for c in body["items"]][:2] == ["good-practices", "market-intelligence"]
    assert body["items"][0]["url"] == "http://testserver/discussions/c/good-practices"
    assert body["items"][0]["visibility"] == "public"


def test_a_thread_is_paged_like_its_page_fifty_top_level_replies_at_a_time(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member, body="The *opening* post")
    replies = [threads.reply(other_member, thread, f"reply {n}") for n in range(51)]
    answer = threads.reply(member, thread, "an answer to the last", replies[-1])
    first = client.get(f"/api/v1/threads/{thread.id}").json()
    assert (first["page"], first["pages"], first["top_level_replies"]) == (1, 2, 51)
    assert len(first["posts"]) == 50
    assert first["body_html"] == "<p>The <em>opening</em> post</p>\n"
    assert first["reply_count"] == 52
    second = client.get(f"/api/v1/threads/{thread.id}?page=2").json()
    assert [p["id"] for p in second["posts"]] == [replies[-1].id, answer.id]
    assert second["posts"][1]["parent_id"] == replies[-1].id
    assert client.get("/api/v1/threads/999999").status_code == 404
    flat = client.get(f"/api/v1/threads/{thread.id}?page=2&flat=true").json()
    assert [p["depth"] for p in flat["posts"]] == [0, 0]


def test_the_openapi_document_describes_the_routes_and_their_errors(client: Client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/threads"])
    assert "201" in paths["/api/v1/threads"]["post"]["responses"]
    assert {"403", "404", "422"} <= set(
        paths["/api/v1/threads/{thread_id}/posts"]["post"]["responses"]
    )
    assert {"patch", "delete"} <= set(paths["/api/v1/posts/{post_id}"])
    assert "409" in paths["/api/v1/posts/{post_id}/flags"]["post"]["responses"]
    assert "/api/v1/categories" in paths
    assert not any(p.startswith("/moderation") or p.startswith("/feeds") for p in paths)


def test_a_thread_created_over_the_api_reads_back_the_same(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    created = client.post("/api/v1/threads", json=GOOD_PRACTICE, headers=bearer(db, member)).json()
    read = client.get(f"/api/v1/threads/{created['id']}").json()
    for key in ("id", "url", "title", "kind", "category", "countries", "sectors", "good_practice"):
        assert read[key] == created[key], key
    opening = db.scalar(select(Post).where(Post.thread_id == created["id"]))
    assert opening is not None and read["opening_post_id"] == opening.id
    assert service.get_thread(db, None, created["id"]).title == GOOD_PRACTICE["title"]


def test_an_id_beyond_the_databases_range_is_refused_with_422_not_a_server_error(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    # Ids are 32-bit INTEGER columns on PostgreSQL.
    for huge in (2**31, 2**63):
        assert client.get(f"/api/v1/threads/{huge}").status_code == 422
        response = client.delete(f"/api/v1/posts/{huge}", headers=bearer(db, member))
        assert error_fields(response) == ["post_id"]
    assert client.get(f"/api/v1/threads/{2**31 - 1}").status_code == 404
    for not_an_id in ("4%0A", "%204", "4_0", "%D9%A4"):  # newline, space, underscore, Arabic 4
        assert client.get(f"/api/v1/threads/{not_an_id}").status_code == 422, not_an_id


def test_values_the_database_cannot_store_are_422_on_pages_and_in_the_api(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    threads.start(member)
    # A page's plain int path parameter past 32 bits (PostgreSQL) or 64 bits (SQLite).
    for huge in (2**40, 2**70):
        page = client.get(f"/threads/{huge}")
        assert page.status_code in (404, 422), (huge, page.status_code)
    # A NUL character in a filter: PostgreSQL cannot bind it, SQLite finds nothing to match.
    for url, params in (
        ("/api/v1/partnerships", {"sector": "food\x00"}),
        ("/api/v1/threads", {"partnership": "a\x00b"}),
    ):
        answer = client.get(url, params=params)
        assert answer.status_code == 422, (url, answer.text)
        assert re.search(r"NUL|unknown", str(answer.json()["detail"])), answer.text


def test_ids_in_a_json_body_are_json_integers_within_64_bits(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    auth = bearer(db, member)
    for parent_id in (2**63, 2**64, 0, "1", 1.0, True):
        response = client.post(
            f"/api/v1/threads/{thread.id}/posts",
            json={"body": "Hello", "parent_id": parent_id},
            headers=auth,
        )
        assert error_fields(response) == ["parent_id"], parent_id
    flag = client.post(
        "/api/v1/flags",
        json={"object_type": "post", "object_id": 2**63, "reason": "Spam"},
        headers=auth,
    )
    assert error_fields(flag) == ["object_id"]


def test_the_openapi_document_declares_the_400_and_422_the_api_answers(client: Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    create = paths["/api/v1/threads"]["post"]["responses"]
    assert create["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
    listing = paths["/api/v1/threads"]["get"]["responses"]
    assert listing["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
    response = client.post(
        "/api/v1/threads", content=b"\xff", headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)


def test_a_root_post_id_beyond_64_bits_is_refused_with_422(
    client: Client, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    response = client.get(f"/api/v1/threads/{thread.id}", params={"root": 2**63})
    assert error_fields(response) == ["root"]


def test_an_empty_filter_value_is_refused_not_read_as_no_filter(client: Client) -> None:
    for url, name in (
        ("/api/v1/threads?country=", "country"),
        ("/api/v1/threads?partnership=", "partnership"),
        ("/api/v1/partnerships?sector=", "sector"),
        ("/api/v1/partnerships?cursor=", "cursor"),
        ("/api/v1/search?country=", "country"),
    ):
        response = client.get(url)
        assert response.status_code == 422, url
        assert response.json()["detail"][0]["loc"][-1] in (name, 0), url
