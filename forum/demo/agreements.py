"""Demo part: the cooperation agreements that section 4.1 of the 2019 report lists.

The facts live in `data/agreements.json`, each with the report's line and section. What the
report does not say (most countries, every date) stays unknown. Idempotent: an agreement is
found again by partnership and counterpart and refreshed, never added twice.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.demo.registry import demo_part
from forum.partnerships.models import Agreement
from forum.partnerships.service import find_partnership_by_name
from forum.taxonomy.service import get_country

SOURCE_NOTE = "From the 2019 ECCP consultation report of the ESCP-4i partnerships ({source})"


def report_agreements() -> dict[str, Any]:
    """The committed data file: its source, its note and one entry per agreement."""
    text = resources.files("forum.demo").joinpath("data/agreements.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def source_note(entry: dict[str, Any]) -> str:
    note = SOURCE_NOTE.format(source=entry["source"]) + f": “{entry['report_line']}”."
    if entry.get("country_basis"):
        note += f" Country from {entry['country_basis']}."
    return note


@demo_part("agreements", order=45)
def load_agreements(session: Session, settings: Settings) -> str:
    """Create or refresh the report's agreements; raises LookupError on a data-file mistake."""
    data = report_agreements()
    created = 0
    for entry in data["agreements"]:
        partnership = find_partnership_by_name(session, entry["partnership"])
        if partnership is None:
            raise LookupError(
                f"partnership {entry['partnership']!r} missing: load the partnerships part first"
            )
        code = entry["counterpart_country"]
        if code is not None and get_country(code) is None:
            raise LookupError(f"{code!r} in data/agreements.json is not an ISO 3166-1 code")
        agreement = session.scalar(
            select(Agreement).where(
                Agreement.partnership_id == partnership.id,
                Agreement.counterpart == entry["counterpart"],
            )
        )
        if agreement is None:
            agreement = Agreement(partnership_id=partnership.id, counterpart=entry["counterpart"])
            session.add(agreement)
            created += 1
        agreement.counterpart_country = code
        agreement.topic = entry["topic"]
        agreement.signed_on = dt.date.fromisoformat(entry["date"]) if entry["date"] else None
        agreement.date_text = entry["date_text"]
        agreement.source_note = source_note(entry)
    session.flush()
    return f"{len(data['agreements'])} agreements ({created} new)"
