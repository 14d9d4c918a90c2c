"""The intelligence pages: the faceted list, an item, adding and editing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.intelligence.models import IntelItem
from tests.conftest import Client, sign_in
from tests.security.htmlcheck import script_risks


def _add(client: Client, **change: object) -> object:
    data: dict[str, object] = {
        "csrf_token": client.csrf_token(), "title": "Japan food import rules change",
        "kind": "regulation", "summary": "What changes for EU exporters.", "countries": ["JP"],
        "sectors": ["food"], "url": "https://example.eu/rules", "source_name": "Example Agency",
        "published_at": "2026-11-20", "status": "published",
    }  # fmt: skip
    data.update(change)
    return client.post("/intel/new", data=data)


def test_a_member_adds_an_item_that_visitors_then_find_by_country(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    sign_in(client, db, member)
    response = _add(client)
    assert response.status_code == 303  # type: ignore[attr-defined]
    item = db.scalar(select(IntelItem))
    assert item is not None
    client.cookies.clear()
    page = client.get(f"/intel/{item.id}")
    assert page.status_code == 200
    for text in ("Japan food import rules change", "Regulation", "Example Agency", "Japan"):
        assert text in page.text
    listed = client.get("/intel?country=JP")
    assert "Japan food import rules change" in listed.text
    assert "Nothing matches these filters" in client.get("/intel?country=FR").text


def test_facets_count_and_filter(client: Client, db: Session, sectors: None, member: User) -> None:
    sign_in(client, db, member)
    _add(client)
    _add(client, title="US health tender", kind="tender", countries=["US"], sectors=["healthcare"],
         url="https://example.eu/t", deadline="2099-01-01")  # fmt: skip
    page = client.get("/intel")
    assert 'Japan <span class="meta">(1)</span>' in page.text
    assert 'Tender <span class="meta">(1)</span>' in page.text
    tenders = client.get("/intel?kind=tender&open=1&sort=deadline")
    assert "US health tender" in tenders.text
    assert "Japan food import" not in tenders.text
    assert client.get("/intel?kind=gossip").status_code == 422
    assert client.get("/intel?from=yesterday").status_code == 422
    assert client.get("/intel?country=XX").status_code == 422


def test_invalid_input_is_refused_with_the_form_kept(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    sign_in(client, db, member)
    response = _add(client, url="javascript:alert(1)", title="Keep me")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "http:// or https://" in response.text  # type: ignore[attr-defined]
    assert "Keep me" in response.text  # type: ignore[attr-defined]
    assert db.scalar(select(IntelItem)) is None


def test_drafts_are_private_and_only_the_author_edits(
    client: Client, db: Session, sectors: None, member: User, other_member: User
) -> None:
    sign_in(client, db, member)
    _add(client, status="draft", title="Not ready")
    item = db.scalar(select(IntelItem))
    assert item is not None
    assert client.get(f"/intel/{item.id}").status_code == 200
    assert client.post(f"/intel/{item.id}/edit", data={
        "csrf_token": client.csrf_token(), "title": "Ready now", "kind": "news",
        "countries": ["JP"], "sectors": ["food"]}).status_code == 303  # fmt: skip
    db.refresh(item)
    assert item.title == "Ready now"
    sign_in(client, db, other_member)
    assert client.get(f"/intel/{item.id}").status_code == 404
    client.cookies.clear()
    assert client.get(f"/intel/{item.id}").status_code == 404
    assert client.get("/intel/new").status_code == 303


def test_an_empty_repository_says_so(client: Client, db: Session, sectors: None) -> None:
    assert "No intelligence yet" in client.get("/intel").text


def test_hostile_text_renders_inert(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    sign_in(client, db, member)
    payload = '<img src=x onerror=alert(1)>"><script>alert(1)</script>'
    _add(client, title=payload, summary=payload, body=payload, source_name=payload)
    item = db.scalar(select(IntelItem))
    assert item is not None
    for url in ("/intel", f"/intel/{item.id}"):
        assert script_risks(client.get(url).text) == []


def test_the_to_date_includes_its_whole_day(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    sign_in(client, db, member)
    _add(client, published_at="2026-11-20")
    item = db.scalar(select(IntelItem))
    assert item is not None and item.published_at is not None
    # Published in the afternoon of the 20th, as a harvested item would be.
    item.published_at = item.published_at.replace(hour=15)
    db.commit()
    assert "Japan food import rules change" in client.get("/intel?to=2026-11-20").text
    assert "Japan food import rules change" not in client.get("/intel?to=2026-11-19").text


def test_cached_counts_follow_every_change(
    client: Client, db: Session, sectors: None, member: User, moderator: User
) -> None:
    from forum.intelligence import writes

    sign_in(client, db, member)
    _add(client)
    client.cookies.clear()
    assert 'Japan <span class="meta">(1)</span>' in client.get("/intel").text
    item = db.scalar(select(IntelItem))
    assert item is not None
    writes.set_status(db, moderator, item, "withdrawn", reason="Duplicate of another item")
    db.commit()
    page = client.get("/intel").text
    assert 'Japan <span class="meta">(1)</span>' not in page
    assert "Japan food import rules change" not in page


def test_drafts_stay_out_of_the_shared_list_even_for_moderators(
    client: Client, db: Session, sectors: None, member: User, moderator: User
) -> None:
    sign_in(client, db, member)
    _add(client, title="My unfinished note", status="draft")
    assert "My unfinished note" not in client.get("/intel").text
    assert "My unfinished note" in client.get("/intel?mine=1").text
    sign_in(client, db, moderator)
    assert "My unfinished note" not in client.get("/intel").text
