"""Sector names in the reader's language: seeded for the report's sectors (and by migration
0025 for the sectors already there), shown on every page in the reader's language with
the English name as the fallback, edited per language by admins; the API stays English."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.core.audit import AuditLog
from forum.core.db import make_engine, utcnow
from forum.digests.news import load_candidates
from forum.digests.wording import label
from forum.migrate import alembic_config
from forum.taxonomy.models import SECTOR_NAME_LANGUAGES, Sector
from forum.taxonomy.picker import sector_choices
from forum.taxonomy.service import (
    REPORT_SECTOR_NAMES,
    REPORT_SECTORS,
    get_sector,
    list_sectors,
    sector_labels,
)
from tests.conftest import Client, Threads
from tests.intelligence.factories import make


def food(db: Session) -> Sector:
    sector = get_sector(db, "food")
    assert sector is not None
    return sector


def test_every_seeded_sector_has_a_name_in_each_language(db: Session, sectors: None) -> None:
    assert set(REPORT_SECTOR_NAMES) == {slug for slug, _name, _label in REPORT_SECTORS}
    for sector in db.scalars(select(Sector)):
        assert set(sector.names) == set(SECTOR_NAME_LANGUAGES), sector.slug
        assert all(name.strip() == name and name for name in sector.names.values())
    assert food(db).names["fr"] == "Agroalimentaire"
    assert food(db).names["de"] == "Lebensmittelindustrie"


def test_a_sector_is_named_in_the_readers_language_else_in_english(
    db: Session, sectors: None, offered: Callable[[str], str]
) -> None:
    sector = food(db)
    with i18n.using("en"):
        assert sector.label == "Food industry"
    expected = {"fr": "Agroalimentaire", "it": "Industria alimentare", "pl": "Przemysł spożywczy"}
    for code, name in expected.items():
        with i18n.using(offered(code)):
            assert sector.label == name
    sector.names = {"fr": "Agroalimentaire"}  # no Italian name: Italian readers read English
    with i18n.using("it"):
        assert sector.label == "Food industry"


def test_pages_name_sectors_in_the_readers_language(
    client: Client, db: Session, sectors: None, member: User, threads: Threads,
    offered: Callable[[str], str],
) -> None:  # fmt: skip
    thread = threads.start(member, title="Olive oil in Osaka", sectors=["food", "energy"])
    make(db, member, "Food retail in Japan")
    db.commit()
    client.cookies.set("forum_lang", offered("fr"))
    sector_page = client.get("/sectors/food").text
    assert "<h1>Agroalimentaire</h1>" in sector_page
    chips = client.get(thread.url).text
    assert '<a class="tag tag-sector" href="/sectors/food">Agroalimentaire</a>' in chips
    # Chips in the reader's order: "Agroalimentaire" before "Énergie" (English: Energy, Food).
    assert chips.index(">Agroalimentaire<") < chips.index(">Énergie<")
    intel = html.unescape(client.get("/intel?sector=food").text)
    assert "Agroalimentaire" in intel and "Food industry" not in intel, "facet, chip and tags"
    client.cookies.set("forum_lang", offered("de"))
    assert "<h1>Lebensmittelindustrie</h1>" in client.get("/sectors/food").text


def test_a_language_without_a_name_reads_the_english_one(
    client: Client, db: Session, sectors: None, offered: Callable[[str], str]
) -> None:
    sector = food(db)
    sector.names = {code: n for code, n in sector.names.items() if code != "es"}
    db.commit()
    client.cookies.set("forum_lang", offered("es"))
    assert "<h1>Food industry</h1>" in client.get("/sectors/food").text


def test_the_api_names_sectors_in_english_whatever_the_readers_language(
    client: Client, db: Session, sectors: None, offered: Callable[[str], str]
) -> None:
    client.cookies.set("forum_lang", offered("fr"))
    answer = client.get("/api/v1/sectors", headers={"Accept-Language": "fr"})
    assert answer.status_code == 200
    names = {s["slug"]: s["name"] for s in answer.json()}
    assert names["food"] == "Food industry"


def test_the_picker_and_facet_words_are_the_readers(
    db: Session, sectors: None, offered: Callable[[str], str]
) -> None:
    with i18n.using(offered("fr")):
        assert sector_labels(db)["food"] == "Agroalimentaire"
        labels = [s.label for s in list_sectors(db)]
    # In French order, the É's among the E's: "Énergie" right after "Cosmétique" and before
    # "Hôtellerie durable" (code points would put every É after "Textile").
    assert labels.index("Cosmétique") < labels.index("Énergie") < labels.index("Hôtellerie durable")
    assert labels.index("Énergies renouvelables") < labels.index("Hôtellerie durable")
    choices = sector_choices(list_sectors(db))
    with i18n.using("fr"):
        [group] = sector_choices(list_sectors(db))
    assert [c.label for c in group.choices] == labels
    assert (
        "Agroalimentaire" in group.choices[0].search and "Food industry" in group.choices[0].search
    )
    assert choices[0].choices[0].label == "Blue energy", (
        "English readers: English names, English order"
    )


def test_a_digest_names_a_followed_sector_in_the_members_language(
    db: Session, sectors: None, offered: Callable[[str], str]
) -> None:
    now = utcnow()
    candidates = load_candidates(db, window_start=now, window_end=now, now=now)
    with i18n.using(offered("it")):
        assert label("sector", "food", candidates) == "Industria alimentare"
    with i18n.using("en"):
        assert label("sector", "food", candidates) == "Food industry"


# --- the admin's form ------------------------------------------------------------------


def entries(db: Session) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == "sector.rename")))


def test_the_admin_form_has_a_field_per_language_with_the_stored_names(
    as_admin: Client, db: Session, sectors: None
) -> None:
    sector = food(db)
    page = as_admin.get("/admin/sectors").text
    for code in SECTOR_NAME_LANGUAGES:
        field = re.search(rf'<input[^>]*id="name-{sector.id}-{code}"[^>]*>', page)
        assert field, code
        assert f'name="name_{code}"' in field.group(0) and f'lang="{code}"' in field.group(0)
        assert f'value="{html.escape(sector.names[code])}"' in field.group(0)
    assert re.search(r'<input[^>]*id="name-fr"[^>]*name="name_fr"', page), "the add form"


def test_an_admin_changes_a_sectors_names_per_language_audited(
    as_admin: Client, db: Session, sectors: None
) -> None:
    sector = food(db)
    sent = {"name": "Food industry", "name_fr": "  Industrie  agroalimentaire ", "name_de": ""}
    response = as_admin.post_form(f"/admin/sectors/{sector.id}", sent)
    assert response.status_code == 303
    db.expire_all()
    names = food(db).names
    assert names["fr"] == "Industrie agroalimentaire"
    assert "de" not in names, "an emptied field removes the name: German readers read English"
    assert names["it"] == "Industria alimentare", "a language the form did not send is kept"
    [entry] = entries(db)
    assert entry.details == {
        "names": {
            "fr": {"from": "Agroalimentaire", "to": "Industrie agroalimentaire"},
            "de": {"from": "Lebensmittelindustrie", "to": None},
        }
    }
    # The documents that carry the sector's names are queued for the search index again.
    job = db.execute(text("SELECT payload FROM job WHERE kind = 'search-requeue-sector'")).one()
    assert "sector_id" in str(job[0])


def test_a_name_another_sector_has_in_that_language_is_refused(
    as_admin: Client, db: Session, sectors: None
) -> None:
    sector = food(db)
    response = as_admin.post_form(
        f"/admin/sectors/{sector.id}", {"name": "Food industry", "name_fr": "SANTÉ"}
    )
    assert response.status_code == 422
    assert f'href="#name-{sector.id}-fr"' in response.text
    assert 'value="SANTÉ"' in response.text, "what was typed stays in the field"
    db.expire_all()
    assert food(db).names["fr"] == "Agroalimentaire"
    assert entries(db) == []


def test_a_new_sector_can_be_named_in_other_languages(
    as_admin: Client, db: Session, sectors: None
) -> None:
    response = as_admin.post_form(
        "/admin/sectors",
        {"slug": "space", "name": "Space technologies", "name_pl": "Technologie kosmiczne"},
    )
    assert response.status_code == 303
    sector = get_sector(db, "space")
    assert sector is not None and sector.names == {"pl": "Technologie kosmiczne"}


# --- migration 0025 ----------------------------------------------------------------------


def test_the_migration_names_the_report_sectors_already_there_and_goes_down_keeping_rows(
    scratch_url: str,
) -> None:
    config = alembic_config(scratch_url)
    command.downgrade(config, "0020")
    engine = make_engine(scratch_url)
    insert = text(
        "INSERT INTO sector (id, slug, name, description, report_label, position)"
        " VALUES (:id, :slug, :name, '', NULL, 0)"
    )
    with engine.begin() as connection:
        connection.execute(insert, {"id": 1, "slug": "food", "name": "Agri-food"})
        connection.execute(insert, {"id": 2, "slug": "space", "name": "Space"})
        connection.execute(
            text("INSERT INTO partnership (id, slug, name, aliases, description, created_at,"
                 " updated_at) VALUES (1, 'p', 'P', '[]', '', :now, :now)"),
            {"now": "2026-12-01 00:00:00"},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO partnership_sector (partnership_id, sector_id) VALUES (1, 1)")
        )
    command.upgrade(config, "0025")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT slug, names FROM sector")).all()
    loaded = {slug: value if isinstance(value, dict) else json.loads(value) for slug, value in rows}
    assert loaded["food"]["fr"] == "Agroalimentaire", "an admin-renamed sector gets them too"
    assert loaded["space"] == {}, "a sector of the admins' own has none"
    with engine.connect() as connection:
        queued = connection.execute(
            text("SELECT payload FROM job WHERE kind = 'search-requeue-sector'")
        ).all()
    payloads = [p if isinstance(p, dict) else json.loads(p) for (p,) in queued]
    assert payloads == [{"sector_id": 1}], "the named sector's documents are indexed again"
    command.downgrade(config, "0020")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM sector")) == 2
        assert connection.scalar(text("SELECT count(*) FROM partnership_sector")) == 1
    command.upgrade(config, "head")
    engine.dispose()
