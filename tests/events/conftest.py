"""Factories for the events tests: events as members or the report would add them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import Membership, User
from forum.core.config import Settings
from forum.events import service
from forum.events.listing import today_utc
from forum.events.models import Event
from forum.partnerships.models import Partnership
from forum.taxonomy.service import resolve_sectors, seed_sectors

TODAY = today_utc()


class Events:
    def __init__(self, db: Session) -> None:
        self.db = db
        seed_sectors(db)

    def make(
        self,
        name: str = "Osaka Food Expo",
        *,
        starts_on: dt.date | None = None,
        ends_on: dt.date | None = None,
        date_text: str | None = None,
        country: str | None = "JP",
        city: str | None = "Osaka",
        sectors: Sequence[str] = ("food",),
        partnerships: Sequence[Partnership] = (),
        in_europe: bool | None = None,
        location_text: str | None = None,
    ) -> Event:
        if starts_on is None and date_text is None:
            starts_on = TODAY + dt.timedelta(days=30)
        event = service.create_imported_event(
            self.db,
            service.EventInput(
                name=name,
                starts_on=starts_on,
                ends_on=ends_on,
                date_text=date_text,
                country=country,
                city=city,
                sectors=resolve_sectors(self.db, list(sectors)),
                partnerships=list(partnerships),
                in_europe=in_europe,
                location_text=location_text,
            ),
            source_note="test",
        )
        self.db.flush()
        return event


@pytest.fixture
def events(db: Session) -> Events:
    return Events(db)


def make_partnership(db: Session, name: str, *, countries: Sequence[str] = ()) -> Partnership:
    partnership = Partnership(slug=name.lower().replace(" ", "-"), name=name)
    partnership.set_countries(list(countries))
    db.add(partnership)
    db.flush()
    return partnership


def join(db: Session, user: User, partnership: Partnership, status: str = "approved") -> User:
    db.add(Membership(user_id=user.id, partnership_id=partnership.id, status=status))
    db.flush()
    db.refresh(user)
    return user


@pytest.fixture
def events_demo(db: Session, settings: Settings) -> Session:
    """The demo parts events need (sectors, partnerships, events), without the slow rest."""
    from forum.demo.registry import DEMO_PARTS
    from forum.plugins import demo_parts

    demo_parts()
    for name in ("sectors", "partnerships", "events"):
        DEMO_PARTS[name].load(db, settings)
    db.flush()
    return db
