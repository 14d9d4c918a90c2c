"""The admin area's partnership pages: the list and the edit form, every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.audit import AuditLog
from forum.core.outbox import SearchOutbox
from forum.partnerships.models import Partnership
from forum.partnerships.service import get_partnership_by_slug
from tests.conftest import Client, People, sign_in
from tests.taxonomy.pickers import pickers


def laser(db: Session) -> Partnership:
    found = get_partnership_by_slug(db, "laser-go-global")
    assert found is not None
    return found


def form_of(p: Partnership, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": p.name,
        "website": p.website or "",
        "description": p.description,
        "strand": str(p.strand or ""),
        "sectors": [s.slug for s in p.sectors],
        "countries": p.country_codes,
        "coordinator": "",
    }
    form.update(changes)
    return form


def save(client: Client, p: Partnership, **changes: object) -> object:
    data = {**form_of(p, **changes), "csrf_token": client.csrf_token()}
    return client.post(f"/admin/partnerships/{p.id}", data=data)


def audit(db: Session) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == "partnership.update")))


def test_the_list_shows_every_partnership_with_links_to_edit(
    as_admin: Client, demo_db: Session
) -> None:
    page = as_admin.get("/admin/partnerships")
    assert page.status_code == 200
    assert "1–21 of 21" in page.text
    assert f'href="/admin/partnerships/{laser(demo_db).id}"' in page.text
    beyond = as_admin.get("/admin/partnerships?page=3")
    assert 'class="empty-state"' in beyond.text


def test_the_list_shows_an_empty_state_without_partnerships(as_admin: Client) -> None:
    page = as_admin.get("/admin/partnerships")
    assert page.status_code == 200
    assert 'class="empty-state"' in page.text


def test_the_edit_form_shows_the_current_values(as_admin: Client, demo_db: Session) -> None:
    page = as_admin.get(f"/admin/partnerships/{laser(demo_db).id}")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert 'value="LASER-GO GLOBAL"' in page.text
    shown = pickers(page.text)
    assert "JP" in shown["countries"].chosen
    assert "healthcare" in shown["sectors"].chosen
    assert "g:asean" in shown["countries"].values and "g:asean" not in shown["countries"].chosen
    assert 'name="csrf_token"' in page.text
    assert as_admin.get("/admin/partnerships/999999").status_code == 404


def test_an_edit_changes_countries_sectors_and_coordinator_and_is_audited(
    as_admin: Client,
    demo_db: Session,
    admin: User,
    coordinator: User,
) -> None:
    p = laser(demo_db)
    p.coordinator_id = None
    demo_db.flush()
    response = save(
        as_admin,
        p,
        countries=["JP", "g:gcc"],
        sectors=["healthcare", "digital"],
        coordinator="Carla@Example.eu",
        website="https://laser-go-global.example/",
    )
    assert response.status_code == 303
    demo_db.expire_all()
    p = laser(demo_db)
    assert p.country_codes == ["AE", "BH", "JP", "KW", "OM", "QA", "SA"]
    assert sorted(s.slug for s in p.sectors) == ["digital", "healthcare"]
    assert p.coordinator_id == coordinator.id
    assert p.website == "https://laser-go-global.example/"
    [entry] = audit(demo_db)
    assert entry.actor_id == admin.id and entry.object_id == str(p.id)
    assert entry.details["countries"] == {
        "added": ["AE", "BH", "KW", "OM", "QA", "SA"],
        "removed": ["AU", "CA", "IL", "KR", "NZ", "SG", "US"],
    }
    assert entry.details["sectors"] == {"added": ["digital"], "removed": []}
    assert entry.details["coordinator"] == {"from": None, "to": "carla@example.eu"}
    assert entry.details["website"]["to"] == "https://laser-go-global.example/"
    assert "name" not in entry.details
    outbox_ids = set(demo_db.scalars(select(SearchOutbox.doc_id)))
    assert f"partnership:{p.id}" in outbox_ids
    public = as_admin.get("/partnerships/laser-go-global")
    assert "Qatar" in public.text and "Australia" not in public.text


def test_an_empty_coordinator_field_removes_the_coordinator(
    as_admin: Client, demo_db: Session, coordinator: User
) -> None:
    p = laser(demo_db)
    assert save(as_admin, p, coordinator="").status_code == 303
    demo_db.expire_all()
    assert laser(demo_db).coordinator_id is None
    [entry] = audit(demo_db)
    assert entry.details == {"coordinator": {"from": "carla@example.eu", "to": None}}


def test_the_coordinator_must_be_a_member_of_the_partnership(
    as_admin: Client, demo_db: Session, people: People
) -> None:
    outsider = people.make(email="out@example.eu", partnership_slug="foodnet")
    p = laser(demo_db)
    for email in (outsider.email, "nobody@example.eu"):
        response = save(as_admin, p, coordinator=email)
        assert response.status_code == 422
        assert "is not a member of LASER-GO GLOBAL" in response.text
    demo_db.expire_all()
    assert laser(demo_db).coordinator_id is None
    assert audit(demo_db) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"website": "javascript:alert(1)"}, "http:// or https://"),
        ({"website": "ftp://files.example/"}, "http:// or https://"),
        ({"website": "https://"}, "http:// or https://"),
        ({"name": "  "}, "Enter the partnership"),
        ({"name": "FoodNet"}, "already called"),
        ({"strand": "3"}, "Choose strand"),
        ({"countries": ["JP", "XX"]}, "neither a country code nor a region group"),
        ({"countries": ["g:atlantis"]}, "neither a country code nor a region group"),
        ({"sectors": ["healthcare", "alchemy"]}, "no sector"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    as_admin: Client, demo_db: Session, changes: dict[str, object], message: str
) -> None:
    p = laser(demo_db)
    before = (p.name, p.website, p.strand, p.country_codes, [s.slug for s in p.sectors])
    response = save(as_admin, p, description="A new description", **changes)
    assert response.status_code == 422
    assert message in response.text
    assert "A new description" in response.text
    demo_db.expire_all()
    p = laser(demo_db)
    after = (p.name, p.website, p.strand, p.country_codes, [s.slug for s in p.sectors])
    assert after == before and p.description != "A new description"
    assert audit(demo_db) == []


def test_saving_without_a_change_records_nothing(as_admin: Client, demo_db: Session) -> None:
    response = save(as_admin, laser(demo_db))
    assert response.status_code == 303
    assert audit(demo_db) == []
    assert "Nothing changed." in as_admin.get(response.headers["location"]).text


def test_a_coordinator_cannot_use_the_admin_edit_form(
    client: Client, demo_db: Session, coordinator: User
) -> None:
    sign_in(client, demo_db, coordinator)
    p = laser(demo_db)
    assert client.get(f"/admin/partnerships/{p.id}").status_code == 403
    assert save(client, p, name="Renamed").status_code == 403
    demo_db.expire_all()
    assert laser(demo_db).name == "LASER-GO GLOBAL"
