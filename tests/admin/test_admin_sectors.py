"""The admin area's sector pages: adding with a valid, unique slug and renaming, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.audit import AuditLog
from forum.taxonomy.models import Sector
from forum.taxonomy.service import get_sector
from tests.conftest import Client


def entries(db: Session, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


def count_sectors(db: Session) -> int:
    return len(list(db.scalars(select(Sector.id))))


def test_the_list_shows_every_sector_with_a_rename_form(
    as_admin: Client, sectors: None, db: Session
) -> None:
    page = as_admin.get("/admin/sectors")
    assert page.status_code == 200
    assert "1–16 of 16" in page.text
    healthcare = get_sector(db, "healthcare")
    assert healthcare is not None
    assert f'action="/admin/sectors/{healthcare.id}"' in page.text
    assert page.text.count("<h1") == 1


def test_the_list_shows_an_empty_state_without_sectors(as_admin: Client) -> None:
    page = as_admin.get("/admin/sectors")
    assert 'class="empty-state"' in page.text and "No sectors yet" in page.text


def test_adding_a_sector_is_audited(
    as_admin: Client, db: Session, sectors: None, admin: User
) -> None:
    response = as_admin.post_form(
        "/admin/sectors", {"slug": "space-technologies", "name": "Space  technologies"}
    )
    assert response.status_code == 303
    sector = get_sector(db, "space-technologies")
    assert sector is not None and sector.name == "Space technologies"
    [entry] = entries(db, "sector.create")
    assert entry.actor_id == admin.id and entry.object_id == str(sector.id)
    assert entry.details == {"slug": "space-technologies", "name": "Space technologies"}
    assert "Space technologies" in as_admin.get("/admin/sectors").text
    assert as_admin.get("/sectors/space-technologies").status_code == 200


@pytest.mark.parametrize(
    "slug",
    ["", "Space", "space tech", "space--tech", "-space", "space-", "space_tech", "é", "x" * 61],
)
def test_a_sector_slug_must_be_lower_case_words_joined_by_hyphens(
    as_admin: Client, db: Session, sectors: None, slug: str
) -> None:
    before = count_sectors(db)
    response = as_admin.post_form("/admin/sectors", {"slug": slug, "name": "Space"})
    assert response.status_code == 422
    assert 'href="#slug"' in response.text
    assert count_sectors(db) == before
    assert entries(db, "sector.create") == []


def test_a_taken_slug_or_name_is_refused(as_admin: Client, db: Session, sectors: None) -> None:
    before = count_sectors(db)
    taken_slug = as_admin.post_form("/admin/sectors", {"slug": "healthcare", "name": "Care"})
    assert taken_slug.status_code == 422
    assert "is taken" in taken_slug.text
    taken_name = as_admin.post_form("/admin/sectors", {"slug": "care", "name": "HEALTHCARE"})
    assert taken_name.status_code == 422
    assert "already called" in taken_name.text
    assert count_sectors(db) == before


def test_a_sector_needs_a_name(as_admin: Client, db: Session) -> None:
    response = as_admin.post_form("/admin/sectors", {"slug": "space", "name": " "})
    assert response.status_code == 422
    assert get_sector(db, "space") is None


def test_renaming_keeps_the_slug_and_is_audited(
    as_admin: Client, db: Session, sectors: None
) -> None:
    sector = get_sector(db, "digital")
    assert sector is not None
    response = as_admin.post_form(f"/admin/sectors/{sector.id}", {"name": "Digital economy"})
    assert response.status_code == 303
    db.expire_all()
    renamed = get_sector(db, "digital")
    assert renamed is not None and renamed.name == "Digital economy"
    [entry] = entries(db, "sector.rename")
    assert entry.details == {"name": {"from": "Digital industry", "to": "Digital economy"}}


def test_a_rename_to_nothing_or_to_another_sectors_name_is_refused(
    as_admin: Client, db: Session, sectors: None
) -> None:
    sector = get_sector(db, "digital")
    assert sector is not None
    for name in ("  ", "Healthcare"):
        response = as_admin.post_form(f"/admin/sectors/{sector.id}", {"name": name})
        assert response.status_code == 422
        assert f'href="#name-{sector.id}"' in response.text
    db.expire_all()
    assert sector.name == "Digital industry"
    assert entries(db, "sector.rename") == []


def test_renaming_to_the_same_name_records_nothing(
    as_admin: Client, db: Session, sectors: None
) -> None:
    sector = get_sector(db, "digital")
    assert sector is not None
    response = as_admin.post_form(f"/admin/sectors/{sector.id}", {"name": "Digital industry"})
    assert response.status_code == 303
    assert entries(db, "sector.rename") == []


def test_renaming_an_unknown_sector_is_a_404(as_admin: Client) -> None:
    assert as_admin.post_form("/admin/sectors/999999", {"name": "X"}).status_code == 404


def test_a_moderator_cannot_add_or_rename_sectors(
    as_moderator: Client, db: Session, sectors: None
) -> None:
    sector = get_sector(db, "digital")
    assert sector is not None
    assert as_moderator.post_form("/admin/sectors", {"slug": "x", "name": "X"}).status_code == 403
    assert as_moderator.post_form(f"/admin/sectors/{sector.id}", {"name": "Y"}).status_code == 403
    assert get_sector(db, "x") is None
