"""Demo part: the report itself as an intelligence item.

It comes from the report and says so: the item carries the report as a text attachment
(its text extracted by the same sandboxed extractor uploads use). Idempotent: the item is
found again by its source note, so a second run adds nothing and refreshes it.

Which partnerships target a country is the directory's data, shown as facts on the
country page: earlier versions loaded one "Which ESCP-4i partnerships target X" item per
targeted country, which opened every new member's digest with what their own partnership
told the survey. A run removes those items from a database that still has them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forum.core import uploads
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.extract import extract_in_subprocess
from forum.demo.registry import demo_part
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.intelligence.writes import (
    ItemInput,
    create_imported_item,
    delete_imported_item,
    refresh_imported_item,
)
from forum.partnerships.models import Partnership
from forum.taxonomy.service import countries_for

REPORT_FILE = "eccp-escp4i-consultation-2019.md"
REPORT_TITLE = "Analysis of the consultation results from the ESCP-4i partnerships (May 2019)"
REPORT_URL = "https://www.clustercollaboration.eu"
SOURCE_NAME = "European Cluster Collaboration Platform"
REPORT_NOTE = f"The 2019 ECCP consultation report itself (shared/seed/{REPORT_FILE})"
# The source note of the per-country items earlier versions loaded (removed on each run).
COUNTRY_NOTE = "From the 2019 ECCP consultation report, Table 1 (targeted markets): {code}"
SPREAD = dt.timedelta(days=14)


def report_text() -> str:
    return resources.files("forum.demo").joinpath(f"data/{REPORT_FILE}").read_text("utf-8")


def _targets(db: Session) -> dict[str, list[Partnership]]:
    """Country code → the partnerships whose Table 1 row targets it, by name."""
    found: dict[str, list[Partnership]] = defaultdict(list)
    rows = db.scalars(
        select(Partnership)
        .options(selectinload(Partnership.country_rows), selectinload(Partnership.sectors))
        .order_by(Partnership.name)
    )
    for partnership in rows:
        for code in partnership.country_codes:
            found[code].append(partnership)
    return found


def _find(db: Session, note: str) -> IntelItem | None:
    return db.scalar(select(IntelItem).where(IntelItem.source_note == note))


def _upsert(
    db: Session, note: str, data: ItemInput, added_at: dt.datetime
) -> tuple[IntelItem, bool]:
    item = _find(db, note)
    if item is None:
        return create_imported_item(
            db, data, status="published", added_at=added_at, source_note=note
        ), True
    refresh_imported_item(db, item, data)
    return item, False


def _attach_report(db: Session, settings: Settings, item: IntelItem) -> None:
    """The report as a text file on the item, stored and extracted like an upload."""
    if item.attachments:
        return
    uploads_dir = settings.uploads_dir
    out, temp = uploads.new_temp(uploads_dir)
    with out:
        out.write(report_text().encode("utf-8"))
    stored = uploads.store(uploads_dir, temp, "eccp-escp4i-consultation-2019.txt")
    result = extract_in_subprocess(uploads.path_of(uploads_dir, stored.storage_name), stored.mime)
    status = "error" if result.error else ("done" if result.text.strip() else "empty")
    item.attachments.append(
        IntelAttachment(
            original_name="eccp-escp4i-consultation-2019.txt",
            storage_name=stored.storage_name,
            sha256=stored.sha256,
            size=stored.size,
            mime=stored.mime,
            extraction_status=status,
            extracted_text=result.text or None,
            extraction_error=result.error,
        )
    )
    db.flush()


@demo_part("intelligence", order=30)
def load_intelligence(session: Session, settings: Settings) -> str:
    targets = _targets(session)
    countries = countries_for(targets)
    now = utcnow()
    all_sectors = sorted(
        {s.id: s for ps in targets.values() for p in ps for s in p.sectors}.values(),
        key=lambda s: s.name,
    )
    report, created = _upsert(
        session,
        REPORT_NOTE,
        ItemInput(
            title=REPORT_TITLE,
            kind="report",
            summary=(
                "The European Cluster Collaboration Platform's survey of the ESCP-4i "
                "partnerships: 19 of 23 answered. Their targeted markets, activities, "
                "cooperation agreements, planned events and use of the forum. The full "
                "text is attached."
            ),
            body=(
                "Published by the European Cluster Collaboration Platform in May 2019. "
                "Section 5.3 and Table 5 explain why the partnerships' forum went "
                "unused, and what they asked for instead."
            ),
            countries=[c.code for c in countries],
            sectors=all_sectors,
            url=REPORT_URL,
            source_name=SOURCE_NAME,
            source_url=REPORT_URL,
            language="en",
        ),
        now - SPREAD,
    )
    _attach_report(session, settings, report)
    removed = _remove_country_items(session)
    return (
        f"1 intelligence item from the report ({int(created)} new); "
        f"{removed} former per-country items removed"
    )


def _remove_country_items(db: Session) -> int:
    """Delete the per-country items earlier runs loaded (their source note names Table 1)."""
    prefix = COUNTRY_NOTE.split("{code}")[0]
    stale = list(db.scalars(select(IntelItem).where(IntelItem.source_note.startswith(prefix))))
    for item in stale:
        delete_imported_item(db, item)
    return len(stale)
