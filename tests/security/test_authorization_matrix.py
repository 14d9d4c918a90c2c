"""Every object route of the app has a row in docs/permissions.md.

tests/test_permissions.py checks each row of the table for every role; this test checks
the other direction: the routes are taken from the app's router, and each one with a
path parameter (an id, slug, handle or token: an object route) must be reached by at
least one row of the table with the same method. A new object route without a row fails
here, so it cannot ship unchecked.

The "other member" of the matrix is covered by rows that name an object of a fixed
owner other than the signed-in role (Otto Other's calendar, "an item someone else
added", another member's event): the member column of those rows is the other-member
verdict. `test_rows_about_someone_else_s_objects_exist` keeps them from disappearing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import Route, compile_path

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User, UserSession
from forum.accounts.sessions import create_session
from forum.core.config import Settings
from forum.discussions import writes as discussion_writes
from forum.discussions.models import Category
from forum.intelligence import writes as intel_writes
from forum.moderation import flags
from forum.notifications.models import Notification
from forum.partnerships.models import Partnership
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, People, Threads, sign_in
from tests.test_permissions import PLACEHOLDER, judge, permission_rows, route_exists, send, undone

# Object routes with no row yet (found when this test was written). Each should get a
# row in docs/permissions.md and then be removed from here; the list may only shrink.
KNOWN_WITHOUT_ROW: set[tuple[str, str]] = {
    # The signed token in the path is the authorization (no role is involved); each is
    # tested with forged and expired tokens in tests/accounts and tests/digests.
    ("GET", "/verify/{token}"),
    ("POST", "/verify/{token}"),
    ("GET", "/password/reset/{token}"),
    ("POST", "/password/reset/{token}"),
    ("GET", "/email/confirm/{token}"),
    ("POST", "/email/confirm/{token}"),
    ("GET", "/invite/{token}"),
    ("POST", "/invite/{token}"),
    ("GET", "/unsubscribe/{token}"),
    ("POST", "/unsubscribe/{token}"),
    ("GET", "/digests/{token}"),
}


def _concrete(path: str) -> str:
    """A table path with its placeholders replaced by something a path parameter matches."""
    return PLACEHOLDER.sub("1", path).split("?", 1)[0]


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(full path, methods) of every endpoint, through included routers and their prefixes
    (FastAPI keeps an included router as one entry holding the original router)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute | Route):
            yield prefix + route.path, set(route.methods or ())


def object_routes(app: FastAPI) -> list[tuple[str, str, re.Pattern[str]]]:
    found = []
    for path, methods in _walk(app.router.routes):
        if "{" not in path or path.startswith(("/static", "/docs", "/api/docs")):
            continue
        regex, _format, _convertors = compile_path(path)
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            found.append((method, path, regex))
    return found


def _covered(method: str, regex: re.Pattern[str], rows: list[tuple[str, str]]) -> bool:
    return any(m == method and regex.match(path) for m, path in rows)


def test_every_object_route_has_a_row_in_the_permissions_table(app: FastAPI) -> None:
    rows = [(row.method, _concrete(row.path)) for row in permission_rows()]
    rows += [(method, re.sub(r"\{[a-z]+\}", "1", path)) for method, path, _b, _a in MATRIX]
    routes = object_routes(app)
    assert len(routes) > 30, "the router walk found too few routes"
    missing = {
        (method, path)
        for method, path, route in routes
        if not _covered(method, route, rows) and (method, path) not in KNOWN_WITHOUT_ROW
    }
    assert missing == set(), "object routes without a row in docs/permissions.md:\n" + "\n".join(
        f"  {m} {p}" for m, p in sorted(missing)
    )
    stale = {
        (method, path)
        for method, path, route in routes
        if (method, path) in KNOWN_WITHOUT_ROW and _covered(method, route, rows)
    }
    assert stale == set(), f"remove from KNOWN_WITHOUT_ROW, they have rows now: {stale}"


def test_rows_about_someone_else_s_objects_exist() -> None:
    """The other-member case: rows whose object belongs to someone else, and which the
    member role may not change."""
    others = [
        row
        for row in permission_rows()
        if re.search(r"someone else|another member|other member|Otto Other", row.action, re.I)
        or "Otto Other" in row.path
    ]
    writes = [row for row in others if row.method != "GET" and not row.allowed["member"]]
    assert len(writes) >= 3, [row.label for row in others]


# --- discussions, admin and personal object routes, with the other member ---------------
#
# docs/permissions.md states these rules in prose ("its author or a moderator", "the
# moderators' rule") because the demo data has no fixed thread to name; here they are a
# table. Columns: anonymous, owner (the member who wrote the thread and the post),
# other member, coordinator, moderator, admin.
MATRIX_ROLES = ("anonymous", "owner", "other", "coordinator", "moderator", "admin")
READ = (True,) * 6
SIGNED_IN = (False, True, True, True, True, True)
AUTHOR_OR_MOD = (False, True, False, False, True, True)
MODS = (False, False, False, False, True, True)
ADMINS = (False, False, False, False, False, True)
OWNER_ONLY = (False, True, False, False, False, False)
MATRIX = [
    ("GET", "/threads/{thread}", "", READ),
    ("GET", "/posts/{post}", "", READ),
    ("GET", "/threads/{thread}/replies/{post}", "", READ),
    ("GET", "/threads/{thread}/reply", "", SIGNED_IN),
    ("POST", "/threads/{thread}/posts", "body=A+reply+from+the+matrix", SIGNED_IN),
    ("POST", "/threads/{thread}/flag", "reason=spam", SIGNED_IN),
    ("POST", "/posts/{post}/flag", "reason=spam", SIGNED_IN),
    ("GET", "/posts/{post}/edit", "", AUTHOR_OR_MOD),
    ("POST", "/posts/{post}/edit", "body=Edited+by+the+matrix", AUTHOR_OR_MOD),
    ("POST", "/posts/{post}/delete", "", AUTHOR_OR_MOD),
    ("GET", "/posts/{post}/history", "", AUTHOR_OR_MOD),
    ("GET", "/moderation/threads/{thread}/move", "", MODS),
    ("POST", "/moderation/threads/{thread}/move", "category=good-practices&reason=x", MODS),
    ("POST", "/moderation/threads/{thread}/lock", "reason=x", MODS),
    ("POST", "/moderation/threads/{thread}/pin", "reason=x", MODS),
    ("POST", "/moderation/posts/{post}/hide", "reason=x", MODS),
    ("POST", "/moderation/posts/{post}/unhide", "reason=x", MODS),
    ("POST", "/moderation/users/{owner}/suspend", "reason=x", MODS),
    ("PATCH", "/api/v1/posts/{post}", '{"body": "Edited through the API"}', AUTHOR_OR_MOD),
    ("DELETE", "/api/v1/posts/{post}", "", AUTHOR_OR_MOD),
    ("POST", "/api/v1/threads/{thread}/posts", '{"body": "An API reply"}', SIGNED_IN),
    ("POST", "/api/v1/posts/{post}/flags", '{"reason": "spam"}', SIGNED_IN),
    ("GET", "/admin/users/{owner}", "", ADMINS),
    ("POST", "/admin/users/{owner}/role", "role=moderator", ADMINS),
    ("POST", "/admin/users/{owner}/suspend", "reason=x", ADMINS),
    ("POST", "/admin/users/{owner}/verification", "verified=0", ADMINS),
    ("POST", "/admin/users/{owner}/unsuspend", "", ADMINS),
    ("GET", "/admin/categories/{category}", "", ADMINS),
    ("POST", "/admin/categories/{category}", "name=Renamed+by+the+matrix", ADMINS),
    ("POST", "/admin/categories/{category}/move", "direction=up", ADMINS),
    ("POST", "/admin/categories/{category}/delete", "", ADMINS),
    ("GET", "/api/v1/threads/{thread}", "", READ),
    ("POST", "/api/v1/threads/{thread}/flags", '{"reason": "spam"}', SIGNED_IN),
    ("POST", "/members/{handle}/contact", "subject=Hello&body=A+message+to+the+owner", SIGNED_IN),
    ("POST", "/threads/{practice}/attachments", "file=@note.txt", AUTHOR_OR_MOD),
    ("POST", "/moderation/flags/{flag}/resolve", "reason=x", MODS),
    ("GET", "/intel/{item}/edit", "", AUTHOR_OR_MOD),
    (
        "POST",
        "/intel/{item}/edit",
        "title=Edited+by+the+matrix&kind=news&countries=JP",
        AUTHOR_OR_MOD,
    ),
    ("POST", "/notifications/{notification}/read", "", OWNER_ONLY),
    ("POST", "/profile/tokens/{token}/revoke", "", OWNER_ONLY),
    ("POST", "/profile/tokens/{login}/revoke", "", OWNER_ONLY),
    ("POST", "/profile/sessions/{session}/revoke", "", OWNER_ONLY),
]


@pytest.mark.slow
@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_the_discussion_and_personal_object_matrix(
    role: str, app: FastAPI, client: Client, db: Session, people: People,
    threads: Threads, categories: dict[str, Category], settings: Settings, tmp_path: Path,
) -> None:  # fmt: skip
    owner = people.make(name="Maria Member", email="maria@example.eu")
    other = people.make(name="Otto Other", email="otto@example.eu")
    users: dict[str, User | None] = {
        "anonymous": None,
        "owner": owner,
        "other": other,
        "coordinator": people.make(name="Carla Coordinator", email="carla@example.eu"),
        "moderator": people.make(role="moderator", name="Mona Moderator"),
        "admin": people.make(role="admin", name="Ada Admin"),
    }
    if (coordinated := db.scalar(select(Partnership).limit(1))) is not None:
        coordinated.coordinator_id = users["coordinator"].id  # type: ignore[union-attr]
    thread = threads.start(owner, title="The matrix thread", body="Opening post.")
    post = threads.reply(owner, thread, "The owner's reply.")
    practice = discussion_writes.create_thread(
        db, owner,
        discussion_writes.ThreadInput(
            title="The matrix good practice", body="What we did.",
            category=categories["good-practices"], kind="good_practice", countries=["JP"],
            sectors=resolve_sectors(db, ["food"]), good_practice=discussion_writes.GoodPracticeInput(
                approach="a", results="b", challenge="c", lessons="d", contact="e"
            ),
        ),
        check_limits=False,
    )  # fmt: skip
    threads.reply(other, thread, f"@{owner.handle} a mention makes a notification.")
    notification = db.scalar(select(Notification).where(Notification.user_id == owner.id))
    assert notification is not None
    owner_token = create_api_token(db, owner, name="owner's token")[1]
    owner_login = create_api_token(db, owner, name="API login", kind="login")[1]
    create_session(db, owner, user_agent="the owner's other browser")
    owner_session = db.scalar(select(UserSession).where(UserSession.user_id == owner.id))
    assert owner_session is not None
    flag = flags.flag(
        db, other, object_type="post", object_id=post.id, reason="spam", settings=settings
    )
    item = intel_writes.create_item(
        db,
        owner,
        intel_writes.ItemInput(title="The matrix item", countries=["JP"]),
        status="published",
    )
    ids = {
        "thread": thread.id, "post": post.id, "owner": owner.id,
        "category": categories["market-intelligence"].id,
        "notification": notification.id, "token": owner_token.id, "handle": owner.handle,
        "login": owner_login.id, "session": owner_session.id,
        "flag": flag.id, "item": item.id, "practice": practice.id,
    }  # fmt: skip
    user = users[role]
    token = None
    if user is not None:
        sign_in(client, db, user)
        token, _ = create_api_token(db, user, name="matrix")
    client.csrf_token()
    db.flush()
    uploads_dir, kept = settings.uploads_dir, tmp_path / "uploads-kept"
    uploads_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(uploads_dir, kept)
    column = MATRIX_ROLES.index(role)
    failures = []
    for method, template, body, allowed in MATRIX:
        path = template.format(**ids)
        assert route_exists(app, method, path), path
        with undone(db, uploads_dir, kept):
            status, where = send(client, method, path, body, token)
        got = judge(method, status, where)
        if got != allowed[column]:
            failures.append(f"{method} {template}: {status} {where} (expected {allowed[column]})")
    assert failures == [], f"{role}:\n" + "\n".join(failures)
