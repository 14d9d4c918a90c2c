"""Download my data and delete my account cover every table that refers to a member.

The tests walk `Base.metadata` (see `tests.portal.everything.user_columns`), so they
stay true as tables are added: a new column that refers to members must be exported and
erased, or listed in `forum.portal.privacy.NOT_EXPORTED` with its reason.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core import privacy as parts
from forum.core.config import Settings
from forum.core.db import Base
from forum.digests.service import preview_digest
from forum.discovery.sync import close_search_engines, drain_outbox, search_engine
from forum.discussions.models import Category
from forum.portal import privacy
from forum.runner import Runner
from tests.conftest import TEST_PASSWORD, Client, People, Threads, sign_in
from tests.portal.everything import Everything, member_with_everything, user_columns


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Each test's search engine is closed after it (the embedded writer holds a lock)."""
    yield
    close_search_engines()


@pytest.fixture
def everything(
    db: Session,
    people: People,
    threads: Threads,
    categories: dict[str, Category],
    settings: Settings,
) -> Everything:
    return member_with_everything(db, people, threads, categories, settings)


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _key(column: str) -> list[Any]:
    """The primary-key columns that tell apart the rows naming a member in `column`: the
    whole key, or, for a key that holds `column` itself (`thread_read`: member and
    thread), the rest of it."""
    table_name, column_name = column.split(".")
    key = list(_table(table_name).primary_key.columns)
    return [c for c in key if c.name != column_name] or key


def _rows(db: Session, column: str, user_id: int) -> list[Any]:
    """The primary keys (tuples) of the rows whose `column` ("table.column") names the
    member; a date in a key (`member_activity.week`) as the download writes it (ISO)."""
    table_name, column_name = column.split(".")
    table = _table(table_name)
    return [
        tuple(v.isoformat() if isinstance(v, dt.date) else v for v in row)
        for row in db.execute(select(*_key(column)).where(table.c[column_name] == user_id))
    ]


def _count_all(db: Session, column: str) -> int:
    table = _table(column.split(".")[0])
    return db.scalar(select(func.count()).select_from(table)) or 0


def _at(data: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The records at the export's dotted `path` (a list, one record or None)."""
    found: Any = data
    for part in path.split("."):
        assert isinstance(found, dict) and part in found, f"no {path!r} in the export"
        found = found[part]
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _sync_search(db: Session, session_factory: sessionmaker[Session], settings: Settings) -> None:
    db.commit()
    engine = search_engine(settings)
    engine.ensure_index()
    drain_outbox(session_factory, engine, settings)


def _run_jobs(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    runner = Runner(settings, session_factory, kind="worker")
    for _ in range(10):
        if not runner.run_once(job_limit=1000):
            break


def _paths(everything: Everything) -> list[str]:
    """The pages, feeds and files where the member's content shows (read before it goes)."""
    e = everything
    return [
        "/",
        "/intel",
        f"/intel/{e.intel_item.id}",
        "/events",
        f"/events/{e.event.id}",
        f"/events/{e.others_event.id}",
        "/threads",
        f"/threads/{e.thread.id}",
        f"/threads/{e.good_practice.id}",
        f"/threads/{e.others_thread.id}",
        "/countries/JP",
        "/feeds/intel.atom",
        "/feeds/threads.atom",
        "/events.ics",
        f"/intel/attachments/{e.intel_attachment.id}/{e.intel_attachment.original_name}",
        e.thread_attachment.url,
    ]


def _surfaces(
    client: Client, db: Session, settings: Settings, everything: Everything, paths: list[str]
) -> str:
    """What a visitor and another member see: pages, files, search, feeds, the next digest."""
    texts = []
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        # The footer's language switcher sends the visitor back to the address they asked
        # for: that echo of the request is not the member's content being shown.
        echo = f'name="next" value="{escape(path)}"'
        texts.append(response.text.replace(echo, 'name="next"'))
    for word in everything.words.values():
        found = client.get("/api/v1/search", params={"q": word})
        assert found.status_code == 200, found.text
        texts.append(json.dumps(found.json()))
    texts.append(_digest_text(db, settings, everything.other))
    return "\n".join(texts)


def _digest_text(db: Session, settings: Settings, reader: User) -> str:
    """The titles and excerpts of `reader`'s next digest."""
    digest = preview_digest(db, settings, reader)
    entries = [entry for s in digest.sections for entry in s.entries]
    return "\n".join(f"{entry.title}: {entry.excerpt}" for entry in entries)


# --- what is covered ------------------------------------------------------------------------


def test_the_member_with_one_of_everything_has_a_row_in_every_table_that_refers_to_members(
    db: Session, everything: Everything
) -> None:
    missing = [c for c in sorted(user_columns()) if not _rows(db, c, everything.member.id)]
    assert missing == [], (
        "tests/portal/everything.py makes no row of these for the member: "
        "add them there, then export and erase them (or list them in NOT_EXPORTED)"
    )


def test_every_column_that_refers_to_a_member_is_exported_or_excluded_with_a_reason() -> None:
    covered = privacy.export_coverage()
    excluded = privacy.NOT_EXPORTED
    assert not set(covered) & set(excluded), "exported and excluded at once"
    assert all(reason.strip() for reason in excluded.values())
    assert set(covered) | set(excluded) == user_columns()


# --- download my data ------------------------------------------------------------------------


def test_the_export_holds_every_row_that_refers_to_the_member_and_no_secret(
    client: Client, db: Session, everything: Everything
) -> None:
    member = everything.member
    sign_in(client, db, member)
    response = client.get("/profile/export")
    assert response.status_code == 200
    data = response.json()
    e = everything
    assert [i["title"] for i in data["intelligence"]["items"]] == [e.intel_item.title]
    assert [a["name"] for a in data["intelligence"]["items"][0]["attachments"]] == [
        e.intel_attachment.original_name
    ]
    assert [p["body"] for p in data["discussions"]["posts"] if p["id"] == e.reply.id] == [
        f"{e.words['reply']} distributors in Osaka."
    ]
    reply = next(p for p in data["discussions"]["posts"] if p["id"] == e.reply.id)
    assert [r["body"] for r in reply["revisions"]] == ["A first draft."]
    assert [ev["name"] for ev in data["events"]["created"]] == [e.event.name]
    assert [a["status"] for a in data["events"]["attendance"]] == ["going"]
    assert data["notifications"], "the reply to the member's thread notified them"
    for column, path in privacy.export_coverage().items():
        key = _key(column)
        exported = {tuple(record.get(c.name) for c in key) for record in _at(data, path)}
        rows = set(_rows(db, column, member.id))
        assert rows and rows <= exported, f"{column}: rows {rows} are not all in {path}"
    text = response.text
    for table in Base.metadata.sorted_tables:
        for secret in ("token_hash", "password_hash", "nonce"):
            if secret in table.c:
                assert secret not in text
                for value in db.scalars(select(table.c[secret])):
                    assert value is None or value not in text, f"{table.name}.{secret}"


# --- delete my account -----------------------------------------------------------------------


def test_erasing_with_the_content_leaves_no_row_that_refers_to_the_member_nor_their_content(
    db: Session, everything: Everything
) -> None:
    e = everything
    member_id = e.member.id
    assert privacy.delete_account(db, e.member, keep_content=False) is False
    db.expire_all()
    assert db.get(User, member_id) is None
    for column in sorted(user_columns()):
        assert _rows(db, column, member_id) == [], column
    from forum.discussions.models import ThreadAttachment
    from forum.events.models import Event
    from forum.intelligence.models import IntelAttachment, IntelItem

    for model, row_id in (
        (IntelItem, e.intel_item.id),
        (IntelAttachment, e.intel_attachment.id),
        (Event, e.event.id),
        (ThreadAttachment, e.thread_attachment.id),
    ):
        assert db.get(model, row_id) is None, model.__name__


def test_erasing_but_keeping_the_content_leaves_only_the_content_pointing_at_the_former_member(
    db: Session, everything: Everything
) -> None:
    member_id = everything.member.id
    kept = parts.kept_columns()
    before = {c: _rows(db, c, member_id) for c in kept}
    assert privacy.delete_account(db, everything.member, keep_content=True) is True
    db.expire_all()
    row = db.get(User, member_id)
    assert row is not None and row.name == privacy.FORMER_MEMBER_NAME
    for column in sorted(user_columns()):
        if column in kept:
            assert _rows(db, column, member_id) == before[column], column
        else:
            assert _rows(db, column, member_id) == [], column


def test_erasing_with_the_content_removes_it_from_pages_search_feeds_and_the_next_digest(
    client: Client,
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    everything: Everything,
) -> None:
    e = everything
    _sync_search(db, session_factory, settings)
    paths = _paths(e)
    before = _surfaces(client, db, settings, e, paths)
    for word in ("intel", "thread", "good_practice", "reply", "event", "intel_attachment"):
        assert e.words[word] in before, f"{word} is not shown before the erasure"
    digest_before = _digest_text(db, settings, e.other)
    for word in ("intel", "good_practice", "event"):
        assert e.words[word] in digest_before, f"{word} is not in the digest before the erasure"
    files = [
        settings.uploads_dir / e.intel_attachment.storage_name,
        settings.uploads_dir / e.thread_attachment.storage_name,
    ]
    assert all(path.is_file() for path in files)

    sign_in(client, db, e.member)
    response = client.post_form("/profile/delete", {"content": "delete", "password": TEST_PASSWORD})
    assert response.status_code == 303  # type: ignore[attr-defined]
    db.expire_all()
    _sync_search(db, session_factory, settings)
    _run_jobs(settings, session_factory)
    db.expire_all()

    after = _surfaces(client, db, settings, e, paths)
    for gone in (paths[2], paths[4], paths[-2], paths[-1]):
        assert client.get(gone).status_code == 404, gone
    for what, word in e.words.items():
        assert word not in after, f"the member's {what} is still shown"
    sign_in(client, db, e.other)
    notifications = client.get("/notifications").text
    assert "Maria" not in notifications
    assert not any(path.exists() for path in files), "the attached files are deleted"


def test_erasing_but_keeping_the_content_shows_it_signed_former_member(
    client: Client,
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    everything: Everything,
) -> None:
    e = everything
    sign_in(client, db, e.member)
    response = client.post_form("/profile/delete", {"content": "keep", "password": TEST_PASSWORD})
    assert response.status_code == 303  # type: ignore[attr-defined]
    db.expire_all()
    _sync_search(db, session_factory, settings)

    item = client.get(f"/intel/{e.intel_item.id}").text
    assert e.intel_item.title in item and "by Former member" in item
    thread = client.get(f"/threads/{e.thread.id}").text
    assert e.words["thread"] in thread and "Former member" in thread
    assert "Maria" not in thread
    assert e.words["event"] in client.get(f"/events/{e.event.id}").text
    assert e.words["intel"] in client.get("/feeds/intel.atom").text
    hits = client.get("/api/v1/search", params={"q": e.words["intel"]}).json()["hits"]
    assert [hit["id"] for hit in hits] == [f"intel:{e.intel_item.id}"]


# --- the privacy page ------------------------------------------------------------------------


def test_the_privacy_page_says_what_erasure_does_to_every_part_of_the_export(
    client: Client, db: Session, everything: Everything
) -> None:
    data = privacy.export_user_data(db, everything.member)
    page = client.get("/privacy").text
    for key in sorted(set(data) - {"format", "exported_at"}):
        assert f'<tr id="data-{key}">' in page, key
