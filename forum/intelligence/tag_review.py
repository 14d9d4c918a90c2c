"""Why each automatic tag was given, and the corrections reviewers and authors make.

The harvester stores, with each item, the words that triggered each automatic tag
(`IntelItem.tag_reasons`). On the item page, those `service.can_correct_tags` allows see
them and add or remove a tag; every change is a `TagCorrection` row holding the item's
text at the time. `export_rows` turns the corrections into labelled examples in the
format of the published-items set (tests/intelligence/data/published), so the set grows
from use: the item's tags after its latest correction are its labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.core.i18n import _
from forum.intelligence.models import IntelItem, TagCorrection
from forum.intelligence.service import IntelError, require_can_correct_tags
from forum.taxonomy.service import get_sector

FIELDS = ("countries", "sectors")
ACTIONS = ("added", "removed")
_TEXT_LIMIT = 700  # the published set's longest text


@dataclass(frozen=True)
class TagRow:
    """One tag of an item as the review panel shows it."""

    field: str
    code: str
    label: str  # a sector's name; countries: "" (the page names them in the reader's language)
    words: tuple[str, ...]  # what triggered it; empty: not an automatic tag


def reasons_for(
    reasons: Mapping[str, Mapping[str, list[str]]] | None, codes: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, list[str]]]:
    """The stored reasons narrowed to the tags an item keeps: {field: {code: [words]}}."""
    kept: dict[str, dict[str, list[str]]] = {}
    for field in FIELDS:
        found = (reasons or {}).get(field, {})
        kept[field] = {code: list(found[code]) for code in codes[field] if code in found}
    return kept


def tag_rows(item: IntelItem) -> list[TagRow]:
    """The item's countries, then its sectors, each with the words behind it if automatic."""
    reasons = item.tag_reasons or {}
    rows = []
    for code in item.country_codes:
        words = tuple(reasons.get("countries", {}).get(code, ()))
        rows.append(TagRow("countries", code, "", words))
    for sector in item.sectors:
        words = tuple(reasons.get("sectors", {}).get(sector.slug, ()))
        rows.append(TagRow("sectors", sector.slug, sector.name, words))
    return rows


def _item_text(item: IntelItem) -> str:
    return (item.summary or item.body or "")[:_TEXT_LIMIT]


def correct_tag(
    db: Session, actor: User | None, item: IntelItem, field: str, code: str, action: str
) -> bool:
    """Add or remove one tag and record the correction; False when there was nothing to do
    (the tag already there, or already gone). Raises NotAllowed or IntelError."""
    editor = require_can_correct_tags(actor, item)
    if field not in FIELDS or action not in ACTIONS:
        raise IntelError(_("Choose countries or sectors, and add or remove."), field="field")
    code = code.strip()
    if field == "countries":
        code = code.upper()
        if pycountry.countries.get(alpha_2=code) is None:
            raise IntelError(_("That is not a country code (two letters, e.g. JP)."), "code")
        present = code in item.country_codes
        if present == (action == "added"):
            return False
        codes = set(item.country_codes)
        item.set_countries(sorted(codes | {code} if action == "added" else codes - {code}))
    else:
        sector = get_sector(db, code)
        if sector is None:
            raise IntelError(_("That is not a sector of the forum."), field="code")
        present = sector in item.sectors
        if present == (action == "added"):
            return False
        if action == "added":
            item.sectors = [*item.sectors, sector]
        else:
            item.sectors = [s for s in item.sectors if s.slug != code]
    if action == "removed" and item.tag_reasons and code in item.tag_reasons.get(field, {}):
        reasons = {f: dict(v) for f, v in item.tag_reasons.items()}
        reasons[field].pop(code, None)
        item.tag_reasons = reasons
    db.add(
        TagCorrection(
            item_id=item.id, field=field, code=code, action=action, user_id=editor.id,
            created_at=utcnow(), title=item.title[:300], text=_item_text(item),
            language=item.language, url=item.url,
        )
    )  # fmt: skip
    db.flush()
    return True


def export_rows(db: Session) -> Iterator[dict[str, Any]]:
    """One labelled example per corrected item (oldest correction first), in the set's
    format: id, url, language, title, text, countries, sectors. The labels are the item's
    tags now (after every correction); the text is the one the latest correction saw."""
    latest: dict[int, TagCorrection] = {}
    order: list[int] = []
    for correction in db.scalars(select(TagCorrection).order_by(TagCorrection.id)):
        if correction.item_id not in latest:
            order.append(correction.item_id)
        latest[correction.item_id] = correction
    for item_id in order:
        item = db.get(IntelItem, item_id)
        if item is None:
            continue
        seen = latest[item_id]
        yield {
            "id": f"{seen.language or 'xx'}-corr-{item_id}",
            "url": seen.url or f"/intel/{item_id}",
            "language": seen.language or "",
            "title": seen.title,
            "text": seen.text,
            "countries": sorted(item.country_codes),
            "sectors": sorted(s.slug for s in item.sectors),
        }
