"""`forum demo` intelligence: the report as an item with its text, and no per-country items
(which partnerships target a country is the directory's, on the country page)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.outbox import SearchOutbox
from forum.demo.intelligence import COUNTRY_NOTE, REPORT_NOTE, load_intelligence
from forum.digests.service import preview_digest
from forum.discussions.models import Flag
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.moderation import flags
from forum.notifications.service import follow
from forum.partnerships.service import countries_targeted
from tests.conftest import People


def _report(db: Session) -> IntelItem:
    item = db.scalar(select(IntelItem).where(IntelItem.source_note == REPORT_NOTE))
    assert item is not None
    return item


def test_the_report_is_an_item_with_its_text_attached(demo_db: Session, settings: Settings) -> None:
    report = _report(demo_db)
    assert report.kind == "report"
    assert report.status == "published"
    # Tagged with every market Table 1 names.
    assert set(report.country_codes) == set(countries_targeted(demo_db))
    (attachment,) = report.attachments
    assert attachment.mime == "text/plain"
    assert attachment.extraction_status == "done"
    assert attachment.extracted_text is not None
    # The words of section 5.3, found in the extracted text.
    assert "lack of time" in attachment.extracted_text
    assert (settings.uploads_dir / attachment.storage_name).is_file()


def test_the_demo_loads_no_per_country_items(demo_db: Session) -> None:
    titles = demo_db.scalars(select(IntelItem.title)).all()
    assert not [t for t in titles if t.startswith("Which ESCP-4i partnerships target")]


def test_a_run_removes_the_per_country_items_an_earlier_version_loaded(
    demo_db: Session, settings: Settings, member: User
) -> None:
    old = intel_writes.create_imported_item(
        demo_db,
        intel_writes.ItemInput(title="Which ESCP-4i partnerships target Japan", kind="report",
                               countries=["JP"]),
        status="published",
        source_note=COUNTRY_NOTE.format(code="JP"),
    )  # fmt: skip
    flags.flag(demo_db, member, object_type="intel", object_id=old.id, reason="Not news.",
               settings=settings)  # fmt: skip
    demo_db.flush()
    old_id = old.id
    assert "1 former per-country items removed" in load_intelligence(demo_db, settings)
    demo_db.flush()
    demo_db.expire_all()
    assert demo_db.get(IntelItem, old_id) is None
    assert not demo_db.scalars(select(Flag).where(Flag.object_id == old_id)).all()
    queued = demo_db.scalars(
        select(SearchOutbox.op).where(SearchOutbox.doc_id == f"intel:{old_id}")
    ).all()
    assert queued[-1] == "delete", "its search document goes too"
    assert _report(demo_db).status == "published", "the report item stays"


def test_a_new_member_following_japan_and_food_gets_no_partnership_survey_items(
    demo_db: Session, settings: Settings, people: People
) -> None:
    newcomer = people.make(name="Nora Newcomer")
    follow(demo_db, newcomer.id, "country", "JP")
    follow(demo_db, newcomer.id, "sector", "food")
    demo_db.flush()
    digest = preview_digest(demo_db, settings, newcomer)
    titles = [e.title for s in digest.sections for e in s.entries]
    assert titles, "the first digest has something in it"
    assert not [t for t in titles if "ESCP-4i partnerships target" in t]


def test_added_dates_spread_over_the_last_fortnight(demo_db: Session) -> None:
    added = list(demo_db.scalars(select(IntelItem.added_at)))
    now = utcnow()
    assert all(now - dt.timedelta(days=15) <= moment <= now for moment in added)
    assert max(added) - min(added) > dt.timedelta(days=10)


def test_loading_again_adds_nothing(demo_db: Session, settings: Settings) -> None:
    items = demo_db.scalar(select(func.count()).select_from(IntelItem))
    files = demo_db.scalar(select(func.count()).select_from(IntelAttachment))
    assert "(0 new)" in load_intelligence(demo_db, settings)
    demo_db.flush()
    assert demo_db.scalar(select(func.count()).select_from(IntelItem)) == items
    assert demo_db.scalar(select(func.count()).select_from(IntelAttachment)) == files
