"""Authorization, checked row by row from docs/permissions.md, for every role.

One test per role: the demo data is loaded once (a few seconds), the cast of members and
the few objects the table names beyond the demo data are added, the client signs in as
the role, and every row of the table is requested in turn. Each request runs inside a
savepoint that is rolled back afterwards (and the uploads folder is put back), so a row
that publishes, withdraws or deletes something leaves nothing behind for the next one.
All disagreements of a role are reported together in one assertion message.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session
from starlette.routing import Match

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import Membership, User
from forum.core import uploads
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.digests import clicks
from forum.digests.tokens import interest_token, unsubscribe_token
from forum.discussions.models import Category, Flag, Thread, ThreadAttachment
from forum.events import calendar_tokens
from forum.events import service as events
from forum.events.models import Event
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import Feed, IntelAttachment, IntelItem
from forum.moderation import flags
from forum.partnerships.service import get_partnership_by_slug
from forum.taxonomy.models import Sector
from tests.conftest import Client, People, sign_in, start_good_practice

DOC = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"
ROLES = ("anonymous", "member", "coordinator", "moderator", "admin")

# The member's partnership: any demo partnership but the coordinator's (LASER-GO GLOBAL).
MEMBER_PARTNERSHIP = "elbe"
COORDINATED_PARTNERSHIP = "laser-go-global"

# What the test adds to the demo data (docs/permissions.md, "How a row is checked").
OWN_DRAFT = "Permissions check: own draft"
OWN_EVENT = "Permissions check: own event"
IN_REVIEW = "Permissions check: in review"
WITHDRAWN = "Permissions check: withdrawn"
FLAGGED = "Permissions check: flagged"
PUBLIC_PRACTICE = "Permissions check: public good practice"
MEMBERS_PRACTICE = "Permissions check: members-only good practice"
HIDDEN_PRACTICE = "Permissions check: hidden good practice"
UPLOAD_TEXT = b"A note attached by tests/test_permissions.py.\n"
# The files the test attaches beforehand: another content, so that uploading
# UPLOAD_TEXT to the same item is not refused as a second copy.
KEPT_TEXT = b"A file already attached when tests/test_permissions.py starts.\n"

# `METHOD PATH [BODY]`: the path has no spaces outside placeholders; the body is the rest.
ROUTE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) ((?:\{[^{}]*\}|[^\s{])+)(?: (.+))?$")
PLACEHOLDER = re.compile(
    r"\{(?:(?P<slug>[a-z0-9-]+)\.id|(?P<kind>intel|attachment|thread-file|event|feed|flag|calendar|interest|unsubscribe|membership|sector|click):(?P<key>[^{}]+))\}"
)


@dataclass(frozen=True)
class Row:
    action: str
    method: str
    path: str
    body: str
    allowed: dict[str, bool]

    @property
    def label(self) -> str:
        return f"{self.action} ({self.method} {self.path})"


def permission_rows() -> list[Row]:
    """Every table row with a route (placeholders left in: they are resolved per test)."""
    rows = []
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 + len(ROLES):
            continue
        route = ROUTE.match(cells[1])
        if route is None:
            continue
        verdicts = dict(zip(ROLES, cells[2:], strict=True))
        assert set(verdicts.values()) <= {"yes", "no"}, line
        method, path, body = route.group(1), route.group(2), route.group(3) or ""
        allowed = {role: verdict == "yes" for role, verdict in verdicts.items()}
        rows.append(Row(cells[0], method, path, body, allowed))
    return rows


# --- the cast and the objects the table names ----------------------------------------------


@dataclass
class World:
    """The demo data plus the cast: who each role signs in as, and the secrets made for them."""

    users: dict[str, User | None]
    other: User
    calendars: dict[str, str] = field(default_factory=dict)
    interests: dict[str, str] = field(default_factory=dict)
    unsubscribes: dict[str, str] = field(default_factory=dict)
    settings: Settings | None = None


def make_world(db: Session, people: People, settings: Settings, role: str) -> World:
    member = people.make(
        name="Maria Member", email="maria@example.eu", partnership_slug=MEMBER_PARTNERSHIP
    )
    coordinator = people.make(
        name="Carla Coordinator",
        email="carla@example.eu",
        partnership_slug=COORDINATED_PARTNERSHIP,
    )
    coordinated = get_partnership_by_slug(db, COORDINATED_PARTNERSHIP)
    assert coordinated is not None
    coordinated.coordinator_id = coordinator.id
    moderator = people.make(role="moderator", name="Mona Moderator", email="mona@example.eu")
    admin = people.make(role="admin", name="Ada Admin", email="ada@example.eu")
    # Otto Other is a member of the member's partnership and its coordinator.
    other = people.make(
        name="Otto Other", email="otto@example.eu", partnership_slug=MEMBER_PARTNERSHIP
    )
    member_partnership = get_partnership_by_slug(db, MEMBER_PARTNERSHIP)
    assert member_partnership is not None
    member_partnership.coordinator_id = other.id
    newcomer = people.make(name="Nina Newcomer", email="nina@example.eu")
    db.add(Membership(user_id=newcomer.id, partnership_id=coordinated.id, status="pending"))
    users: dict[str, User | None] = {
        "anonymous": None,
        "member": member,
        "coordinator": coordinator,
        "moderator": moderator,
        "admin": admin,
    }
    world = World(users, other)
    # "Own" objects belong to the signed-in role; for a visitor, to another member.
    owner = users[role] or other
    own_draft = intel_writes.create_item(
        db, owner, intel_writes.ItemInput(title=OWN_DRAFT, countries=["JP"]), status="draft"
    )
    _attach(db, settings, own_draft, owner)
    events.create_event(db, owner, events.EventInput(name=OWN_EVENT, date_text="Spring 2030"))
    for title, status in ((IN_REVIEW, "review"), (WITHDRAWN, "withdrawn"), (FLAGGED, "published")):
        item = intel_writes.create_imported_item(
            db, intel_writes.ItemInput(title=title, countries=["JP"]), status=status
        )
        if status == "withdrawn":
            item.withdrawn_reason = "Out of date."
        if status != "published":
            _attach(db, settings, item, None)
    members_only = Category(
        slug="permissions-check-members",
        name="Permissions check: members only",
        visibility="members",
        position=99,
    )
    db.add(members_only)
    db.flush()
    public = db.scalar(select(Category).where(Category.slug == "good-practices"))
    assert public is not None
    for title, category in (
        (PUBLIC_PRACTICE, public),
        (MEMBERS_PRACTICE, members_only),
        (HIDDEN_PRACTICE, public),
    ):
        practice = start_good_practice(db, other, category, title=title)
        _attach(db, settings, practice, other)
        if title == HIDDEN_PRACTICE:
            practice.hidden_at = utcnow()
    flagged = _one(db, IntelItem, IntelItem.title, FLAGGED)
    flags.flag(
        db,
        other,
        object_type="intel",
        object_id=flagged.id,
        reason="Looks misleading.",
        settings=settings,
    )
    world.calendars[other.name] = calendar_tokens.reset_calendar_token(
        db, other, secret_key=settings.secret_key or ""
    )
    world.interests[other.name] = interest_token(
        settings.secret_key or "", other.id, "follow", "country", "JP"
    )
    world.unsubscribes[other.name] = unsubscribe_token(settings.secret_key or "", other.id)
    world.settings = settings
    db.flush()
    return world


def clicks_token(settings: Settings | None, path: str) -> str:
    """The token of a digest's counted link to `path` on this site."""
    assert settings is not None
    url = clicks.counted_url(
        settings, settings.base_url + path, section="intel", sent_on=utcnow().date()
    )
    return url.rsplit("/", 1)[1]


def _attach(db: Session, settings: Settings, to: IntelItem | Thread, uploader: User | None) -> None:
    """Store KEPT_TEXT as `kept.txt` and attach it to the item or good practice `to`
    directly: no rule is asked (nobody may attach to a withdrawn item)."""
    temp = uploads.receive(io.BytesIO(KEPT_TEXT), settings.uploads_dir, settings.upload_max_bytes)
    stored = uploads.store(settings.uploads_dir, temp, "kept.txt")
    common = {
        "uploader_id": uploader.id if uploader else None,
        "original_name": "kept.txt",
        "storage_name": stored.storage_name,
        "sha256": stored.sha256,
        "size": stored.size,
        "mime": stored.mime,
    }
    if isinstance(to, Thread):
        db.add(ThreadAttachment(thread_id=to.id, **common))
    else:
        db.add(IntelAttachment(item_id=to.id, extraction_status="empty", **common))
    db.flush()


Model = TypeVar("Model", Event, Feed, IntelItem, Thread)


def _first_file(db: Session, file_id: Any, owner_id: Any, owner: int, key: str) -> str:
    """The id of the first file attached to `owner` (a thread or an item named `key`)."""
    first = db.scalar(select(file_id).where(owner_id == owner).order_by(file_id).limit(1))
    assert first is not None, f"{key!r} has no file"
    return str(first)


def _one(db: Session, model: type[Model], column: InstrumentedAttribute[str], prefix: str) -> Model:
    """The one row of `model` whose `column` starts with `prefix`."""
    found = list(db.scalars(select(model).where(column.startswith(prefix, autoescape=True))))
    assert len(found) == 1, f"{len(found)} {model.__name__} rows start with {prefix!r}"
    return found[0]


def resolve(db: Session, world: World, text: str) -> str:
    """Replace the placeholders of docs/permissions.md with ids (and secrets) from `db`."""

    def value(match: re.Match[str]) -> str:
        if match.group("slug"):
            partnership = get_partnership_by_slug(db, match.group("slug"))
            assert partnership is not None, match.group(0)
            return str(partnership.id)
        kind, key = match.group("kind"), match.group("key")
        if kind == "calendar":
            return world.calendars[key]
        if kind == "interest":
            return world.interests[key]
        if kind == "unsubscribe":
            return world.unsubscribes[key]
        if kind == "click":  # a digest entry's counting link to the page `key`
            return clicks_token(world.settings, key)
        if kind == "event":
            return str(_one(db, Event, Event.name, key).id)
        if kind == "feed":
            return str(_one(db, Feed, Feed.name, key).id)
        if kind == "sector":
            sector = db.scalar(select(Sector.id).where(Sector.slug == key))
            assert sector is not None, f"no sector {key!r}"
            return str(sector)
        if kind == "membership":
            memberships = list(
                db.scalars(
                    select(Membership.id)
                    .join(User, User.id == Membership.user_id)
                    .where(User.name == key)
                )
            )
            assert len(memberships) == 1, f"{len(memberships)} memberships of {key!r}"
            return str(memberships[0])
        if kind == "thread-file":
            thread = _one(db, Thread, Thread.title, key)
            return _first_file(db, ThreadAttachment.id, ThreadAttachment.thread_id, thread.id, key)
        item = _one(db, IntelItem, IntelItem.title, key)
        if kind == "intel":
            return str(item.id)
        if kind == "attachment":
            return _first_file(db, IntelAttachment.id, IntelAttachment.item_id, item.id, key)
        flag = db.scalar(
            select(Flag.id).where(
                Flag.object_type == "intel", Flag.object_id == item.id, Flag.resolved_at.is_(None)
            )
        )
        assert flag is not None, f"{key!r} has no open flag"
        return str(flag)

    return PLACEHOLDER.sub(value, text)


# --- asking and judging -----------------------------------------------------------------------


def route_exists(app: FastAPI, method: str, path: str) -> bool:
    """Whether some route answers `method path`: a typo must not pass as a refusal (404)."""
    scope = {"type": "http", "method": method, "path": urlsplit(path).path, "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def send(client: Client, method: str, path: str, body: str, token: str | None) -> tuple[int, str]:
    """Make the row's request (a bearer token for the API, the CSRF token for HTML forms);
    answers the status and the `Location` header."""
    api = path.startswith("/api/")
    headers = {"Authorization": f"Bearer {token}"} if api and token else {}
    form: dict[str, str | list[str]] = {} if api else {"csrf_token": client.csrf_token()}
    if method == "GET":
        response = client.get(path, headers=headers)
    elif body.startswith("{"):
        response = client.request(method, path, headers=headers, json=json.loads(body))
    elif body.startswith("file=@"):
        files = {"file": (body.removeprefix("file=@"), UPLOAD_TEXT, "text/plain")}
        response = client.request(method, path, headers=headers, data=form, files=files)
    else:
        for name, value in parse_qsl(body, keep_blank_values=True):
            previous = form.get(name)
            form[name] = value if previous is None else [*_as_list(previous), value]
        response = client.request(method, path, headers=headers, data=form)
    return response.status_code, response.headers.get("location", "")


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def judge(method: str, status: int, location: str) -> bool | None:
    """True when authorization passed, False when refused, None when neither can be said."""
    to_login = status in (302, 303, 307) and location.startswith("/login")
    if status in (401, 403, 404) or to_login:
        return False
    if method == "GET":
        return True if status < 400 else None
    # A write was let through when it got past the checks: done (2xx, 303 back), or
    # refused for its content (409, 413, 415, 422), not for who asked.
    return None if status == 405 or status >= 500 else True


@contextmanager
def undone(db: Session, uploads_dir: Path, kept: Path) -> Iterator[None]:
    """Run a request, then undo what it wrote: the database savepoint and the uploads folder."""
    savepoint = db.begin_nested()
    db.connection()  # the SAVEPOINT is emitted now, not at the session's first query
    try:
        yield
    finally:
        savepoint.rollback()
        shutil.rmtree(uploads_dir, ignore_errors=True)
        shutil.copytree(kept, uploads_dir)


def test_the_permissions_table_is_parsed() -> None:
    rows = permission_rows()
    assert len(rows) >= 100
    assert ("Browse the partnership directory", "GET", "/partnerships") in [
        (r.action, r.method, r.path) for r in rows
    ]
    withdraw = next(r for r in rows if r.action == "Withdraw a published item")
    assert withdraw.body == "status=withdrawn&reason=Out of date"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_says(
    role: str,
    app: FastAPI,
    client: Client,
    demo_db: Session,
    people: People,
    settings: Settings,
    tmp_path: Path,
) -> None:
    db = demo_db
    world = make_world(db, people, settings, role)
    user = world.users[role]
    token = None
    if user is not None:
        sign_in(client, db, user)
        token, _ = create_api_token(db, user, name="permissions check")
    client.csrf_token()  # the CSRF cookie, once
    rows = permission_rows()
    requests = [(row, resolve(db, world, row.path), resolve(db, world, row.body)) for row in rows]
    db.flush()
    uploads_dir, kept = settings.uploads_dir, tmp_path / "uploads-kept"
    uploads_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(uploads_dir, kept)

    failures = []
    for row, path, body in requests:
        if not route_exists(app, row.method, path):
            failures.append(f"{row.label}: no route answers {row.method} {path}")
            continue
        try:
            with undone(db, uploads_dir, kept):
                status, where = send(client, row.method, path, body, token)
        except Exception as exc:  # one broken row must not hide the others
            failures.append(f"{row.label}: raised {exc!r}")
            continue
        got = judge(row.method, status, where)
        if got != row.allowed[role]:
            said = {True: "allowed", False: "refused", None: "neither allowed nor refused"}[got]
            want = "allowed" if row.allowed[role] else "refused"
            failures.append(
                f"{row.label}: {said} ({status}{' to ' + where if where else ''}),"
                f" the table says {want}"
            )
    assert not failures, f"{role}: {len(failures)} of {len(rows)} rows disagree:\n" + "\n".join(
        failures
    )
