"""The admin area's feed pages: who may use them, adding, editing, enabling, harvest now, deleting."""

from __future__ import annotations

import datetime as dt
import re

import httpx2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.audit import AuditLog
from forum.core.config import Settings
from forum.core.jobs import Job
from forum.intelligence.models import Feed, IntelItem
from forum.runner import Runner
from tests.conftest import Client, People, sign_in
from tests.intelligence.test_harvest import (
    ARTICLES,
    FeedServer,
    make_feed,
    rss,
)
from tests.intelligence.test_harvest import feed_server as feed_server  # the fixture


def post(client: Client, url: str, data: dict[str, str]) -> httpx2.Response:
    """A form submission with the CSRF token, as the page's form sends it."""
    return client.post(url, data={**data, "csrf_token": client.csrf_token()})


def audit(db: Session, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


def feeds(db: Session) -> list[Feed]:
    db.expire_all()
    return list(db.scalars(select(Feed).order_by(Feed.id)))


def form(**change: str) -> dict[str, str]:
    data = {"url": "", "name": "", "kind": "news", "interval": "6h", "source_url": ""}
    data.update(change)
    return data


@pytest.fixture
def private_feeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORUM_ALLOW_PRIVATE_FEEDS", "1")


PAGES = ["/admin/feeds", "/admin/feeds/{id}"]
ACTIONS = ["/admin/feeds", "/admin/feeds/{id}", "/admin/feeds/{id}/enabled",
           "/admin/feeds/{id}/harvest", "/admin/feeds/{id}/delete"]  # fmt: skip


def test_anonymous_visitors_are_sent_to_log_in(client: Client, db: Session) -> None:
    feed = make_feed(db, "https://example.org/feed.xml")
    for path in PAGES:
        response = client.get(path.format(id=feed.id))
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    for path in ACTIONS:
        response = post(client, path.format(id=feed.id), form(name="x", enabled="1"))
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert feeds(db)[0].name == "Sample feed" and db.scalars(select(Job)).all() == []


@pytest.mark.parametrize("role", ["member", "moderator"])
def test_members_and_moderators_are_refused(
    client: Client, db: Session, people: People, role: str
) -> None:
    feed = make_feed(db, "https://example.org/feed.xml")
    sign_in(client, db, people.make(role=role))
    for path in PAGES:
        assert client.get(path.format(id=feed.id)).status_code == 403
    for path in ACTIONS:
        response = post(client, path.format(id=feed.id), form(name="x", confirm="1"))
        assert response.status_code == 403, path
    assert [f.name for f in feeds(db)] == ["Sample feed"]
    assert db.scalars(select(Job)).all() == []
    assert "/admin/feeds" not in client.get("/").text


def test_every_feed_form_needs_its_csrf_token(as_admin: Client, db: Session) -> None:
    feed = make_feed(db, "https://example.org/feed.xml")
    for path in ACTIONS:
        response = as_admin.post(path.format(id=feed.id), data=form(name="forged", confirm="1"))
        assert response.status_code == 403, path
        assert "could not be verified" in response.text
    assert [f.name for f in feeds(db)] == ["Sample feed"]
    for path in PAGES:
        page = as_admin.get(path.format(id=feed.id)).text
        # Every form that posts carries the token (the header's search form is a GET).
        posting = len(re.findall(r'<form[^>]*method="post"', page, flags=re.I))
        assert posting == page.count('name="csrf_token"') > 0


def test_the_list_has_an_empty_state_and_shows_each_feeds_state(
    as_admin: Client, db: Session
) -> None:
    empty = as_admin.get("/admin/feeds")
    assert empty.status_code == 200
    assert 'class="empty-state"' in empty.text and "No feeds yet" in empty.text
    assert 'href="/admin/feeds" aria-current="page"' in empty.text

    succeeded = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
    alpha = make_feed(db, "https://example.org/a.xml", name="Alpha", last_status="error",
                      last_error="HTTP 503 from https://example.org/a.xml", items_added=7,
                      last_fetched_at=succeeded + dt.timedelta(days=2),
                      last_success_at=succeeded)  # fmt: skip
    make_feed(db, "https://example.org/b.xml", name="Beta", enabled=False)
    page = as_admin.get("/admin/feeds").text
    assert "1–2 of 2" in page
    assert "HTTP 503 from https://example.org/a.xml" in page
    # A failing feed shows when it last succeeded; one that never did says so.
    assert '<th scope="col">Last success</th>' in page
    alpha_row = page[page.index(">Alpha</a>") :].split("</tr>")[0]
    assert '<td><time datetime="2026-11-20T08:30:00Z">' in alpha_row
    beta_row = page[page.index(">Beta</a>") :].split("</tr>")[0]
    assert "<td>never</td>" in beta_row
    one = as_admin.get(f"/admin/feeds/{alpha.id}").text
    assert "<dt>Last success</dt>" in one and '<time datetime="2026-11-20T08:30:00Z">' in one
    assert re.search(r'<td class="numeric">7</td>', page)
    assert "Disabled" in page and "Enabled" in page
    assert page.count("<h1") == 1


def test_an_admin_adds_a_feed_with_its_defaults_and_it_is_audited(
    as_admin: Client, db: Session, sectors: None, admin: User, private_feeds: None
) -> None:
    response = as_admin.post(
        "/admin/feeds",
        data={
            **form(
                url="http://127.0.0.1:9/feed.xml",
                name="Asia desk",
                interval="90m",
                kind="tender",
                auto_publish="1",
                enabled="1",
            ),
            "countries": ["g:asean", "JP"],
            "sectors": ["food", "digital"],
            "csrf_token": as_admin.csrf_token(),
        },
    )
    assert response.status_code == 303
    [feed] = feeds(db)
    assert response.headers["location"] == f"/admin/feeds/{feed.id}"
    assert (feed.name, feed.default_kind, feed.interval_minutes) == ("Asia desk", "tender", 90)
    assert feed.auto_publish and feed.enabled
    assert {"JP", "VN", "TH"} <= set(feed.default_countries)
    assert feed.default_sectors == ["food", "digital"]
    [entry] = audit(db, "feed.create")
    assert entry.actor_id == admin.id and entry.object_id == str(feed.id)
    page = as_admin.get(response.headers["location"]).text
    assert "The feed Asia desk is added, enabled." in page
    assert "every 1h" not in page and "every 90m" in page


def test_a_loopback_feed_is_refused_without_the_override(
    as_admin: Client, db: Session, sectors: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORUM_ALLOW_PRIVATE_FEEDS", raising=False)
    response = post(as_admin, "/admin/feeds", form(url="http://127.0.0.1:8000/feed.xml"))
    assert response.status_code == 422
    assert "loopback" in response.text
    assert 'href="#url"' in response.text
    assert feeds(db) == [] and audit(db, "feed.create") == []


def test_bad_settings_are_refused_naming_each_field(
    as_admin: Client, db: Session, sectors: None, private_feeds: None
) -> None:
    response = as_admin.post(
        "/admin/feeds",
        data={
            **form(url="gopher://example.org/", kind="gossip", interval="2 weeks"),
            "countries": ["XX"],
            "sectors": ["health"],
            "csrf_token": as_admin.csrf_token(),
        },
    )
    assert response.status_code == 422
    for message in ("http:// or https://", "Unknown kind", "interval in minutes",
                    "Unknown country or region group &#39;XX&#39;", "Unknown sector &#39;health&#39;"):  # fmt: skip
        assert message in response.text, message
    assert 'value="gopher://example.org/"' in response.text  # what was typed stays
    assert feeds(db) == []


def test_editing_the_defaults_saves_and_audits_the_changes(
    as_admin: Client, db: Session, sectors: None
) -> None:
    feed = make_feed(db, "https://example.org/feed.xml", name="Old name")
    response = as_admin.post(
        f"/admin/feeds/{feed.id}",
        data={
            **form(name="New name", kind="funding_call", interval="1d", auto_publish="1"),
            "countries": ["CA"],
            "sectors": ["textile"],
            "csrf_token": as_admin.csrf_token(),
        },
    )
    assert response.status_code == 303
    [saved] = feeds(db)
    assert (saved.name, saved.default_kind, saved.interval_minutes) == (
        "New name",
        "funding_call",
        1440,
    )
    assert saved.auto_publish and not saved.enabled  # the box was not ticked
    assert saved.default_countries == ["CA"] and saved.default_sectors == ["textile"]
    [entry] = audit(db, "feed.update")
    assert entry.details["name"] == ["Old name", "New name"]
    assert entry.details["enabled"] == [True, False]

    bad = post(as_admin, f"/admin/feeds/{feed.id}", form(name="", interval="x"))
    assert bad.status_code == 422
    assert feeds(db)[0].name == "New name"


def test_enabling_and_disabling_is_audited(as_admin: Client, db: Session) -> None:
    feed = make_feed(db, "https://example.org/feed.xml", enabled=False)
    assert post(as_admin, f"/admin/feeds/{feed.id}/enabled", {"enabled": "1"}).status_code == 303
    assert feeds(db)[0].enabled
    response = post(as_admin, f"/admin/feeds/{feed.id}/enabled", {"back": "list"})
    assert response.headers["location"] == "/admin/feeds"
    assert not feeds(db)[0].enabled
    assert [len(audit(db, a)) for a in ("feed.enable", "feed.disable")] == [1, 1]


def test_harvest_now_queues_a_job_that_the_worker_runs(
    as_admin: Client, db: Session, sectors: None, feed_server: FeedServer,
    settings: Settings, session_factory: sessionmaker[Session], private_feeds: None,
) -> None:  # fmt: skip
    feed = make_feed(db, feed_server.serve("/feed.xml", rss(ARTICLES)), enabled=False)
    response = post(as_admin, f"/admin/feeds/{feed.id}/harvest", {})
    assert response.status_code == 303
    page = as_admin.get(f"/admin/feeds/{feed.id}").text
    assert "A harvest is already queued." in page and "is queued" in page
    # A second click while one is waiting queues nothing more.
    post(as_admin, f"/admin/feeds/{feed.id}/harvest", {})
    assert len(db.scalars(select(Job).where(Job.kind == "harvest-feed")).all()) == 1
    assert feed_server.requests == []  # nothing fetched during the request

    Runner(settings, session_factory, kind="worker").run_once()
    db.expire_all()
    assert [j.status for j in db.scalars(select(Job).where(Job.kind == "harvest-feed"))] == ["done"]
    assert len(db.scalars(select(IntelItem).where(IntelItem.feed_id == feed.id)).all()) == 3
    page = as_admin.get(f"/admin/feeds/{feed.id}").text
    assert "already queued" not in page
    assert ARTICLES[0].title in page and "Items added</dt><dd>3" in page
    assert len(audit(db, "feed.harvest")) == 1


def test_deleting_needs_confirmation_and_keeps_the_items(
    as_admin: Client, db: Session, sectors: None, feed_server: FeedServer
) -> None:
    from forum.intelligence.harvest import harvest_feed

    feed = make_feed(db, feed_server.serve("/feed.xml", rss(ARTICLES)))
    feed_id = feed.id
    harvest_feed(db, feed, allow_private=True)
    unconfirmed = post(as_admin, f"/admin/feeds/{feed.id}/delete", {})
    assert unconfirmed.status_code == 422
    assert "Tick the box" in unconfirmed.text
    assert len(feeds(db)) == 1

    response = post(as_admin, f"/admin/feeds/{feed.id}/delete", {"confirm": "1"})
    assert response.status_code == 303
    assert feeds(db) == []
    items = db.scalars(select(IntelItem)).all()
    assert len(items) == 3 and {i.feed_id for i in items} == {None}
    assert len(audit(db, "feed.delete")) == 1
    assert as_admin.get(f"/admin/feeds/{feed_id}").status_code == 404
