"""The audit log and the other admin shell pages: newest first, paginated, filtered."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.audit import AuditLog, record
from forum.taxonomy.regions import load_region_groups
from tests.conftest import Client

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def add_entry(db: Session, actor: User | None, n: int, object_type: str = "user") -> AuditLog:
    entry = record(
        db,
        actor=actor,
        action=f"test.action{n}",
        object_type=object_type,
        object_id=n,
        object_label=f"Object {n}",
        reason=f"Reason {n}",
    )
    entry.created_at = T0 + dt.timedelta(minutes=n)
    db.flush()
    return entry


def test_the_audit_log_lists_entries_newest_first_with_who_when_what_why(
    as_admin: Client, db: Session, admin: User
) -> None:
    for n in (1, 3, 2):
        add_entry(db, admin, n)
    page = as_admin.get("/admin/audit")
    assert page.status_code == 200
    text = page.text
    assert text.index("test.action3") < text.index("test.action2") < text.index("test.action1")
    assert "Ada Admin &lt;ada@example.eu&gt;" in text
    assert "Reason 2" in text
    # Shown in the reader's time zone (Europe/Brussels: UTC+1 in March).
    assert "2 Mar 2026, 10:03" in text
    assert 'datetime="2026-03-02T09:03:00Z"' in text


def test_the_audit_log_is_paginated(as_admin: Client, db: Session, admin: User) -> None:
    for n in range(55):
        add_entry(db, admin, n)
    first = as_admin.get("/admin/audit")
    assert "1–50 of 55" in first.text
    assert first.text.count("test.action") == 50
    assert 'href="/admin/audit?page=2"' in first.text
    second = as_admin.get("/admin/audit?page=2")
    assert "51–55 of 55" in second.text
    assert "test.action4<" in second.text and "test.action5<" not in second.text


def test_the_audit_log_filters_by_object_type(as_admin: Client, db: Session, admin: User) -> None:
    add_entry(db, admin, 1, "user")
    add_entry(db, admin, 2, "sector")
    page = as_admin.get("/admin/audit?type=sector")
    assert "test.action2" in page.text and "test.action1" not in page.text
    assert '<option value="sector" selected>' in page.text


def test_the_audit_log_shows_an_empty_state(as_admin: Client) -> None:
    page = as_admin.get("/admin/audit")
    assert 'class="empty-state"' in page.text
    filtered = as_admin.get("/admin/audit?type=partnership")
    assert 'class="empty-state"' in filtered.text and 'href="/admin/audit"' in filtered.text


def test_system_entries_and_details_are_shown(as_admin: Client, db: Session) -> None:
    record(
        db,
        actor=None,
        action="partnership.update",
        object_type="partnership",
        object_id=7,
        object_label="FoodNet",
        details={"countries": {"added": ["JP"], "removed": ["US"]}, "strand": {"from": 1, "to": 2}},
    )
    page = as_admin.get("/admin/audit")
    assert "system" in page.text
    assert "added JP; removed US" in page.text
    assert "1 → 2" in page.text
    assert 'href="/admin/partnerships/7"' in page.text


def test_the_dashboard_shows_the_latest_actions(as_admin: Client, db: Session, admin: User) -> None:
    for n in range(7):
        add_entry(db, admin, n)
    page = as_admin.get("/admin")
    assert "test.action6" in page.text and "test.action2" in page.text
    assert "test.action1 " not in page.text and "test.action1<" not in page.text


def test_region_groups_show_members_source_and_as_of_date(as_admin: Client) -> None:
    groups = list(load_region_groups().values())
    first = as_admin.get("/admin/region-groups")
    assert first.status_code == 200
    assert f"1–10 of {len(groups)}" in first.text
    eu = groups[0]
    assert eu.code == "g:eu27"
    assert eu.name in first.text and eu.source in first.text
    assert f"{eu.as_of.day} {eu.as_of:%B %Y}" in first.text
    assert "Luxembourg" in first.text and eu.definition in first.text
    assert 'href="/admin/region-groups?page=2"' in first.text
    second = as_admin.get("/admin/region-groups?page=2")
    assert groups[10].name in second.text and eu.name not in second.text


def test_intelligence_feed_and_event_entries_have_their_own_filter(
    as_admin: Client, db: Session, admin: User
) -> None:
    add_entry(db, admin, 1, "intel")
    add_entry(db, admin, 2, "feed")
    add_entry(db, admin, 3, "event")
    for number, kind in ((1, "intel"), (2, "feed"), (3, "event")):
        page = as_admin.get(f"/admin/audit?type={kind}").text
        assert f'<option value="{kind}" selected>' in page
        assert f"test.action{number}<" in page
        assert all(f"test.action{n}<" not in page for n in (1, 2, 3) if n != number)
