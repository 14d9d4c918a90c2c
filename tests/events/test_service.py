"""The events service: who adds and edits, how lists filter, the views other pages use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.audit import AuditLog
from forum.core.errors import NotAllowed
from forum.core.outbox import SearchOutbox
from forum.events import attendance as event_attendance
from forum.events import listing as event_lists
from forum.events import month as event_month
from forum.events import service
from forum.events.listing import EventFilter
from forum.events.service import EventInput
from forum.taxonomy.service import resolve_sectors
from tests.conftest import People
from tests.events.conftest import Events, join, make_partnership

D = dt.date
TODAY = D(2019, 5, 15)


def _outbox(db: Session) -> list[str]:
    return [row.doc_id for row in db.scalars(select(SearchOutbox).order_by(SearchOutbox.id))]


def test_a_confirmed_member_adds_an_event_and_it_is_queued_for_search(
    db: Session, member: User, events: Events
) -> None:
    event = service.create_event(
        db, member, EventInput(name="  Bio   Korea ", date_text="April 2019", country="kr",
                               sectors=resolve_sectors(db, ["healthcare"])),
    )  # fmt: skip
    assert event.name == "Bio Korea"
    assert event.country_code == "KR"
    assert (event.starts_on, event.ends_on) == (D(2019, 4, 1), D(2019, 4, 30))
    assert event.date_text == "April 2019"
    assert event.in_europe is False
    assert event.created_by_id == member.id
    assert f"event:{event.id}" in _outbox(db)


def test_exact_days_win_over_the_wording_which_is_kept(db: Session, member: User) -> None:
    event = service.create_event(
        db, member, EventInput(name="Fair", starts_on=D(2019, 4, 2), date_text="early April")
    )
    assert (event.starts_on, event.ends_on) == (D(2019, 4, 2), D(2019, 4, 2))
    assert event.date_text == "early April"


def test_an_invalid_source_date_is_clamped_and_flagged_not_dropped(
    db: Session, member: User
) -> None:
    event = service.create_event(
        db, member, EventInput(name="MWC", date_text="February 25th - 29th 2019")
    )
    assert (event.starts_on, event.ends_on) == (D(2019, 2, 25), D(2019, 2, 28))
    assert event.date_flag and "29 February 2019 does not exist" in event.date_flag
    assert event.date_text == "February 25th - 29th 2019"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (EventInput(name="  "), "name"),
        (EventInput(name="x" * 301), "name"),
        (EventInput(name="Fair", country="XX"), "country"),
        (EventInput(name="Fair", url="javascript:alert(1)"), "url"),
        (EventInput(name="Fair", starts_on=D(2019, 4, 2), ends_on=D(2019, 4, 1)), "ends_on"),
        (EventInput(name="Fair", ends_on=D(2019, 4, 1)), "starts_on"),
        (EventInput(name="Fair", description="x" * 10_001), "description"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    db: Session, member: User, data: EventInput, field: str
) -> None:
    with pytest.raises(service.EventError) as raised:
        service.create_event(db, member, data)
    assert raised.value.field == field


def test_visitors_unconfirmed_and_suspended_members_cannot_add(db: Session, people: People) -> None:
    unconfirmed = people.make(verified=False)
    suspended = people.make()
    suspended.suspended_at = dt.datetime.now(dt.UTC)
    for who in (None, unconfirmed, suspended):
        with pytest.raises(NotAllowed):
            service.create_event(db, who, EventInput(name="Fair"))
        assert not service.can_create(who)


def test_the_creator_and_moderators_edit_nobody_else(
    db: Session, member: User, other_member: User, moderator: User
) -> None:
    event = service.create_event(db, member, EventInput(name="Fair", date_text="2019"))
    assert service.can_edit(member, event)
    assert service.can_edit(moderator, event)
    assert not service.can_edit(other_member, event)
    assert not service.can_edit(None, event)
    with pytest.raises(NotAllowed):
        service.update_event(db, other_member, event, EventInput(name="Mine now"))
    service.update_event(db, member, event, EventInput(name="Fair 2019", date_text="Q3 2019"))
    assert event.starts_on == D(2019, 7, 1)
    service.update_event(db, moderator, event, EventInput(name="Fair (moved)", date_text="Q4 2019"))
    audited = db.scalars(select(AuditLog).where(AuditLog.object_type == "event")).all()
    assert [a.action for a in audited] == ["event.edit"]  # the moderator's edit only


def test_imported_events_are_edited_by_moderators_only(
    db: Session, member: User, moderator: User, events: Events
) -> None:
    event = events.make()
    assert not service.can_edit(member, event)
    assert service.can_edit(moderator, event)


def test_members_list_an_event_for_their_own_partnership_only(
    db: Session, member: User, moderator: User
) -> None:
    mine = make_partnership(db, "Mine")
    theirs = make_partnership(db, "Theirs")
    join(db, member, mine)
    event = service.create_event(db, member, EventInput(name="Fair", partnerships=[mine]))
    assert [row.partnership_id for row in event.listings] == [mine.id]
    with pytest.raises(NotAllowed, match="Theirs"):
        service.create_event(db, member, EventInput(name="Fair", partnerships=[theirs]))
    by_moderator = service.create_event(
        db, moderator, EventInput(name="Fair", partnerships=[theirs])
    )
    assert by_moderator.listings[0].partnership_id == theirs.id


def test_europe_is_derived_from_the_country_for_members_and_explicit_without_one(
    db: Session, member: User
) -> None:
    paris = service.create_event(db, member, EventInput(name="A", country="FR", in_europe=False))
    cyprus = service.create_event(db, member, EventInput(name="B", country="CY"))
    istanbul = service.create_event(db, member, EventInput(name="C", country="TR"))
    nowhere = service.create_event(db, member, EventInput(name="D", in_europe=True))
    unknown = service.create_event(db, member, EventInput(name="E"))
    assert (paris.in_europe, cyprus.in_europe, istanbul.in_europe) == (True, True, False)
    assert (nowhere.in_europe, unknown.in_europe) == (True, None)


def test_an_imported_event_keeps_its_source_s_classification(events: Events) -> None:
    moscow = events.make("TransRussia", country="RU", city="Moscow", in_europe=False)
    assert moscow.in_europe is False


# --- lists ---------------------------------------------------------------------------------


@pytest.fixture
def calendar(db: Session, events: Events) -> dict[str, Any]:
    """Past, current, future and unknown-date events around TODAY (15 May 2019)."""
    a = make_partnership(db, "Alpha", countries=["US", "CA"])
    b = make_partnership(db, "Beta", countries=["US"])
    return {
        "alpha": a,
        "beta": b,
        "past": events.make("CES 2019", starts_on=D(2019, 1, 8), ends_on=D(2019, 1, 11),
                            country="US", city="Las Vegas", sectors=["digital"], partnerships=[a]),
        "running": events.make("Spring fair", date_text="May 2019", country="FR", city="Paris",
                               sectors=["food"]),
        "soon": events.make("BIO Convention", starts_on=D(2019, 6, 3), ends_on=D(2019, 6, 6),
                            country="US", city="Philadelphia", sectors=["healthcare"],
                            partnerships=[b]),
        "later": events.make("Photonics North", date_text="Q3 2019", country="CA", city="Quebec",
                             sectors=["high-tech"], partnerships=[a, b]),
        "tba": events.make("ASEAN Energy forum", date_text="Not determined", country="TH",
                           city="Bangkok", sectors=["renewable-energy"]),
    }  # fmt: skip


def _names(rows: Sequence[Any]) -> list[str]:
    return [r.name for r in rows]


def test_upcoming_is_by_first_day_with_dates_to_be_announced_last(
    db: Session, calendar: dict[str, Any]
) -> None:
    page = event_lists.page_events(db, EventFilter(today=TODAY), page=1)
    assert _names(page.items) == [
        "Spring fair",
        "BIO Convention",
        "Photonics North",
        "ASEAN Energy forum",
    ]
    _dated, unknown = event_lists.split_unknown(page.items)
    assert _names(unknown) == ["ASEAN Energy forum"]


def test_the_archive_holds_past_events_newest_first(
    db: Session, calendar: dict[str, Any], events: Events
) -> None:
    events.make("Older", starts_on=D(2018, 11, 12), country="DE")
    page = event_lists.page_events(db, EventFilter(when="past", today=TODAY), page=1)
    assert _names(page.items) == ["CES 2019", "Older"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (EventFilter(countries=["US"], when="all"), ["CES 2019", "BIO Convention"]),
        (EventFilter(countries=["US", "CA"]), ["BIO Convention", "Photonics North"]),
        (EventFilter(sectors=["healthcare", "food"]), ["Spring fair", "BIO Convention"]),
        (EventFilter(in_europe=True), ["Spring fair"]),
        (
            EventFilter(date_from=D(2019, 5, 31), date_to=D(2019, 7, 1), when="all"),
            ["Spring fair", "BIO Convention", "Photonics North"],
        ),
        (
            EventFilter(date_from=D(2019, 6, 1), date_to=D(2019, 6, 30), when="all"),
            ["BIO Convention"],
        ),
        (EventFilter(date_from=D(2019, 1, 1), date_to=D(2019, 1, 8), when="all"), ["CES 2019"]),
    ],
)
def test_filters_combine(
    db: Session, calendar: dict[str, Any], flt: EventFilter, expected: list[str]
) -> None:
    flt = EventFilter(**{**flt.__dict__, "today": TODAY})
    assert _names(event_lists.all_events(db, flt)) == expected


def test_a_partnership_filter_keeps_what_it_lists_or_marked(
    db: Session, calendar: dict[str, Any], people: People
) -> None:
    alpha = calendar["alpha"]
    assert _names(event_lists.all_events(db, EventFilter(partnership_ids=[alpha.id], when="all", today=TODAY))) == [
        "CES 2019", "Photonics North",
    ]  # fmt: skip
    member = join(db, people.make(), alpha)
    event_attendance.set_attendance(
        db, member, calendar["tba"], status="interested", for_partnership=True
    )
    assert "ASEAN Energy forum" in _names(event_lists.events_for_partnership(db, alpha.id))


def test_pages_of_twenty_count_everything(db: Session, events: Events) -> None:
    for n in range(45):
        events.make(f"Event {n:02d}", starts_on=D(2019, 6, 1) + dt.timedelta(days=n))
    second = event_lists.page_events(db, EventFilter(today=TODAY), page=2)
    assert second.total == 45
    assert second.pages == 3
    assert _names(second.items)[0] == "Event 20"
    assert second.status_text == "21–40 of 45"


def test_the_api_cursor_walks_every_event_once_unknown_dates_included(
    db: Session, calendar: dict[str, Any], events: Events
) -> None:
    events.make("Another TBA", date_text="TBD")
    seen, cursor = [], None
    while True:
        rows, cursor = event_lists.list_events(db, EventFilter(today=TODAY), cursor=cursor, limit=2)
        seen += _names(rows)
        if cursor is None:
            break
    assert seen == [
        "Spring fair",
        "BIO Convention",
        "Photonics North",
        "ASEAN Energy forum",
        "Another TBA",
    ]


def test_the_month_view_lists_exact_days_by_week_and_loose_dates_apart(
    db: Session, calendar: dict[str, Any], events: Events
) -> None:
    events.make("Straddles", starts_on=D(2019, 5, 30), ends_on=D(2019, 6, 2), country="DE")
    june = event_month.month_view(db, 2019, 6, EventFilter())
    days = {day.day: _names(day.events) for week in june.weeks for day in week.days}
    assert days == {D(2019, 6, 1): ["Straddles"], D(2019, 6, 3): ["BIO Convention"]}
    assert [w.monday for w in june.weeks] == [D(2019, 5, 27), D(2019, 6, 3)]
    assert june.loose == []
    may = event_month.month_view(db, 2019, 5, EventFilter(countries=["FR"]))
    assert _names(may.loose) == ["Spring fair"]
    assert not may.weeks
    assert (may.prev_key, may.next_key) == ("2019-04", "2019-06")
    assert event_month.month_view(db, 2019, 2, EventFilter()).empty


@pytest.mark.parametrize("value", ["2019-13", "April", "2019-4-1", "99999-01"])
def test_a_bad_month_is_refused(value: str) -> None:
    with pytest.raises(service.EventError):
        event_month.parse_month(value)


def test_who_else_is_going_to_a_country_by_quarter(
    db: Session, calendar: dict[str, Any], events: Events, people: People
) -> None:
    events.make("US later", date_text="TBD", country="US")
    member = join(db, people.make(name="Ulla"), calendar["alpha"])
    event_attendance.set_attendance(
        db, member, calendar["soon"], status="going", for_partnership=True
    )
    event_attendance.set_attendance(db, member, calendar["soon"], status="going")
    db.expire_all()
    groups = event_lists.going_by_quarter(db, "us", today=TODAY)
    assert [g.label for g in groups] == ["Q2 2019", "Date to be announced"]
    event, going = groups[0].events[0]
    assert event.name == "BIO Convention"
    assert [p.name for p in going.partnerships_going] == ["Alpha", "Beta"]
    assert [u.name for u in going.members_going] == ["Ulla"]


def test_the_other_pages_get_upcoming_events_by_country_sector_and_partnership(
    db: Session, calendar: dict[str, Any]
) -> None:
    assert _names(event_lists.upcoming_for_country(db, "US", 5, today=TODAY)) == ["BIO Convention"]
    assert _names(event_lists.upcoming_for_sector(db, "high-tech", 5, today=TODAY)) == [
        "Photonics North"
    ]
    beta = calendar["beta"]
    assert _names(event_lists.events_for_partnership(db, beta.id)) == [
        "BIO Convention",
        "Photonics North",
    ]
    going = event_attendance.partnerships_going(db)
    assert going[calendar["later"].id] == {calendar["alpha"].id, beta.id}
