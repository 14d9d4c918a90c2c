"""Demo part: every partnership of the 2019 report, from its Table 1 and respondent list."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.demo.registry import demo_part
from forum.partnerships.models import Partnership
from forum.partnerships.service import find_partnership_by_name
from forum.taxonomy.models import Sector


def report_partnerships() -> dict[str, Any]:
    """The committed data file, with its source and the report's words per partnership."""
    text = resources.files("forum.demo").joinpath("data/partnerships.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@demo_part("partnerships", order=10)
def load_partnerships(session: Session, settings: Settings) -> str:
    """Create or refresh the report's partnerships; name variants resolve to one row."""
    data = report_partnerships()
    sectors = {s.report_label: s for s in session.scalars(select(Sector))}
    created = 0
    for entry in data["partnerships"]:
        partnership = find_partnership_by_name(session, entry["name"])
        for alias in entry["aliases"]:
            partnership = partnership or find_partnership_by_name(session, alias)
        if partnership is None:
            partnership = Partnership(slug=slugify(entry["name"]), name=entry["name"])
            session.add(partnership)
            created += 1
        partnership.name = entry["name"]
        partnership.aliases = list(entry["aliases"])
        partnership.strand = entry["strand"]
        partnership.targets_note = entry.get("targets_note")
        sector = sectors.get(entry["sector"]) if entry["sector"] else None
        partnership.sectors = [sector] if sector else []
        partnership.set_countries(entry["targets"])
        sector_words = f"sector “{entry['sector']}”" if entry["sector"] else "sector not stated"
        partnership.source_note = (
            f"From the 2019 ECCP consultation report ({entry['source']}): "
            f"Strand {entry['strand']}, {sector_words}."
        )
        session.flush()
    return f"{len(data['partnerships'])} partnerships ({created} new)"
