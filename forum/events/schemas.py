"""API shapes of the events calendar: events, who is going, attendance marks."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from forum.core.web import IsoDate
from forum.discussions.schemas import PartnershipRef
from forum.events.attendance import WhoIsGoing, who_is_going
from forum.events.models import Event
from forum.partnerships.schemas import SectorRef


class EventOut(BaseModel):
    id: int
    url: str = Field(description="The event's page on the forum")
    ical_url: str | None = Field(description="Its .ics file; null while the date is unknown")
    name: str
    description: str
    website: str | None = Field(description="The event's own web site, when known")
    organiser: str | None
    city: str | None
    country: str | None = Field(description="ISO 3166-1 alpha-2; null when not one country")
    location_text: str | None = Field(description="The source's own words for the place")
    in_europe: bool | None = Field(description="null when not known")
    starts_on: dt.date | None = Field(description="First day; null when the date is unknown")
    ends_on: dt.date | None = Field(description="Last day, inclusive")
    date_text: str | None = Field(description="The source's wording of a vague date, as is")
    date_flag: str | None = Field(description="What was wrong with an invalid source date")
    sectors: list[SectorRef]
    partnerships_going: list[PartnershipRef] = Field(
        description="Partnerships listing the event or marked going"
    )
    members_going: int
    members_interested: int
    source_note: str | None

    @classmethod
    def of(cls, e: Event, base_url: str, going: WhoIsGoing | None = None) -> EventOut:
        return cls(**_fields(e, base_url, going or who_is_going(e)))


def _fields(e: Event, base_url: str, going: WhoIsGoing) -> dict[str, object]:
    return {
        "id": e.id,
        "url": f"{base_url}{e.url_path}",
        "ical_url": f"{base_url}{e.url_path}.ics" if e.starts_on else None,
        "name": e.name,
        "description": e.description,
        "website": e.url,
        "organiser": e.organiser,
        "city": e.city,
        "country": e.country_code,
        "location_text": e.location_text,
        "in_europe": e.in_europe,
        "starts_on": e.starts_on,
        "ends_on": e.ends_on,
        "date_text": e.date_text,
        "date_flag": e.date_flag,
        "sectors": [SectorRef(slug=s.slug, name=s.name) for s in e.sectors],
        "partnerships_going": [
            PartnershipRef(id=p.id, slug=p.slug, name=p.name) for p in going.partnerships_going
        ],
        "members_going": len(going.members_going),
        "members_interested": len(going.members_interested),
        "source_note": e.source_note,
    }


class MemberRef(BaseModel):
    name: str
    handle: str | None


class Going(BaseModel):
    partnerships_going: list[PartnershipRef]
    partnerships_interested: list[PartnershipRef]
    members_going: list[MemberRef] = Field(description="Names for signed-in callers only")
    members_interested: list[MemberRef] = Field(description="Names for signed-in callers only")
    listed_by: list[PartnershipRef] = Field(description="Partnerships that list the event")


class EventDetail(EventOut):
    going: Going

    @classmethod
    def of_event(cls, e: Event, base_url: str, *, show_members: bool) -> EventDetail:
        going = who_is_going(e)

        def refs(rows: list[object]) -> list[PartnershipRef]:
            return [PartnershipRef(id=p.id, slug=p.slug, name=p.name) for p in rows]  # type: ignore[attr-defined]

        def people(rows: list[object]) -> list[MemberRef]:
            if not show_members:
                return []
            return [MemberRef(name=u.name, handle=u.handle) for u in rows]  # type: ignore[attr-defined]

        return cls(
            **_fields(e, base_url, going),
            going=Going(
                partnerships_going=refs(list(going.partnerships_going)),
                partnerships_interested=refs(list(going.partnerships_interested)),
                members_going=people(list(going.members_going)),
                members_interested=people(list(going.members_interested)),
                listed_by=refs([row.partnership for row in going.listed_by]),
            ),
        )


class EventList(BaseModel):
    items: list[EventOut]
    next: str | None


class EventIn(BaseModel):
    name: str = Field(max_length=600)
    description: str = Field("", max_length=20_000)
    website: str | None = Field(None, max_length=1_000)
    organiser: str | None = Field(None, max_length=600)
    city: str | None = Field(None, max_length=400)
    country: str | None = Field(None, max_length=10, description="ISO 3166-1 alpha-2")
    location_text: str | None = Field(None, max_length=600)
    in_europe: bool | None = Field(None, description="Only used when there is no country")
    starts_on: IsoDate | None = Field(None, description="First day, YYYY-MM-DD")
    ends_on: IsoDate | None = Field(None, description="Last day, inclusive, YYYY-MM-DD")
    date_text: str | None = Field(
        None, max_length=400, description='When the days are not known: "April 2019", "TBD"'
    )
    sectors: list[str] = Field(default=[], max_length=50, description="Sector slugs")
    for_partnership: bool = Field(
        False, description="List it for your own partnership (you must belong to one)"
    )


class AttendanceIn(BaseModel):
    status: Literal["going", "interested", "none"]
    for_: Literal["me", "partnership"] = Field("me", alias="for")


class AttendanceOut(BaseModel):
    event_id: int
    status: Literal["going", "interested", "none"]
    for_: Literal["me", "partnership"] = Field(alias="for")
    partnership: PartnershipRef | None

    model_config = {"populate_by_name": True}
