"""Demo part: the report's sectors (countries and region groups need no loading)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.demo.registry import demo_part
from forum.taxonomy.service import seed_sectors


@demo_part("sectors", order=0)
def load_sectors(session: Session, settings: Settings) -> str:
    added = seed_sectors(session)
    return f"{added} sectors added" if added else "sectors already present"
