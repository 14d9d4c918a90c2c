"""`forum demo` intelligence: the report as an item with its text, one item per targeted country."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.core.db import utcnow
from forum.demo.intelligence import COUNTRY_NOTE, REPORT_NOTE, load_intelligence
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.partnerships.service import countries_targeted


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


def test_one_item_per_targeted_country_names_the_partnerships_from_table_1(
    demo_db: Session,
) -> None:
    counts = countries_targeted(demo_db)
    japan = demo_db.scalar(
        select(IntelItem).where(IntelItem.source_note == COUNTRY_NOTE.format(code="JP"))
    )
    assert japan is not None
    assert japan.country_codes == ["JP"]
    assert "6 of the ESCP-4i partnerships" in japan.summary
    for name in ("ELBE", "FoodNet", "FoodPackLab", "IDEOO", "EU-TEXTILE2030", "LASER-GO GLOBAL"):
        assert name in japan.summary
    assert "/partnerships/elbe" in japan.body_html
    per_country = demo_db.scalar(
        select(func.count())
        .select_from(IntelItem)
        .where(IntelItem.source_note.like("From the 2019 ECCP consultation report, Table 1%"))
    )
    assert per_country == len(counts)


def test_added_dates_spread_over_the_last_fortnight(demo_db: Session) -> None:
    added = list(demo_db.scalars(select(IntelItem.added_at)))
    now = utcnow()
    assert all(now - dt.timedelta(days=15) <= moment <= now for moment in added)
    assert max(added) - min(added) > dt.timedelta(days=10)


def test_loading_again_adds_nothing(demo_db: Session, settings: Settings) -> None:
    items = demo_db.scalar(select(func.count()).select_from(IntelItem))
    files = demo_db.scalar(select(func.count()).select_from(IntelAttachment))
    assert load_intelligence(demo_db, settings).endswith("(0 new)")
    demo_db.flush()
    assert demo_db.scalar(select(func.count()).select_from(IntelItem)) == items
    assert demo_db.scalar(select(func.count()).select_from(IntelAttachment)) == files
