"""Joint-mission hints: shared events of partnerships with common targets, and countries
several partnerships go to in the same quarter."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from forum.events import missions
from forum.events.models import Attendance, Event, EventPartnership
from forum.partnerships.models import Partnership
from forum.partnerships.service import get_partnership_by_slug
from tests.conftest import Client

TODAY = dt.date(2030, 5, 15)


def _p(db: Session, slug: str) -> Partnership:
    found = get_partnership_by_slug(db, slug)
    assert found is not None, slug
    return found


def _event(
    db: Session,
    name: str,
    country: str | None,
    start: dt.date | None,
    end: dt.date | None = None,
    *,
    listed_by: tuple[str, ...] = (),
    going: tuple[str, ...] = (),
    interested: tuple[str, ...] = (),
    in_europe: bool | None = False,
) -> Event:
    event = Event(
        name=name, country_code=country, starts_on=start, ends_on=end or start, in_europe=in_europe
    )
    db.add(event)
    db.flush()
    for slug in listed_by:
        db.add(EventPartnership(event_id=event.id, partnership_id=_p(db, slug).id))
    for slug, status in [(s, "going") for s in going] + [(s, "interested") for s in interested]:
        db.add(Attendance(event_id=event.id, partnership_id=_p(db, slug).id, status=status))
    db.flush()
    return event


def test_an_event_two_partnerships_with_common_targets_go_to_is_a_hint(report_db: Session) -> None:
    # ELBE and FoodNet both target China, Japan and South Korea; PERES (India, US) shares none
    # with ELBE but India with FoodNet.
    _event(report_db, "Tokyo Expo", "JP", dt.date(2030, 7, 1), listed_by=("elbe",),
           going=("foodnet",))  # fmt: skip

    (hint,) = missions.event_hints(report_db, today=TODAY)

    assert hint.event.name == "Tokyo Expo"
    assert [p.name for p in hint.partnerships] == ["ELBE", "FoodNet"]
    assert [c.code for c in hint.shared_countries] == ["CN", "JP", "KR"]
    assert hint.reason == "ELBE and FoodNet are going; both target China, Japan and South Korea"
    assert not hint.past
    others = hint.shared_with(_p(report_db, "elbe").id)
    assert [(o.name, [c.code for c in cs]) for o, cs in others] == [("FoodNet", ["CN", "JP", "KR"])]


def test_only_partnerships_going_with_a_target_in_common_make_a_hint(report_db: Session) -> None:
    # ELBE and SENTINEL share the United States; ELBE and GCA share nothing (GCA: to be defined).
    _event(
        report_db, "ELBE and SENTINEL", "JP", dt.date(2030, 7, 1), listed_by=("elbe", "sentinel")
    )
    _event(report_db, "ELBE and GCA", "JP", dt.date(2030, 7, 1), listed_by=("elbe", "gca"))
    _event(report_db, "Only interested", "JP", dt.date(2030, 7, 1), listed_by=("elbe",),
           interested=("foodnet",))  # fmt: skip
    _event(report_db, "Alone", "JP", dt.date(2030, 7, 1), listed_by=("elbe",))

    hints = missions.event_hints(report_db, today=TODAY)

    assert [h.event.name for h in hints] == ["ELBE and SENTINEL"]
    assert [c.code for c in hints[0].shared_countries] == ["US"]


def test_event_hints_for_a_partnership_leave_out_events_it_is_not_sharing(
    report_db: Session,
) -> None:
    _event(report_db, "ELBE and FoodNet", "JP", dt.date(2030, 7, 1), listed_by=("elbe", "foodnet"))
    _event(report_db, "PIMAP and NF4", "CA", dt.date(2030, 7, 2), listed_by=("pimap", "nf4"))
    _event(report_db, "ELBE, GCA", "JP", dt.date(2030, 7, 3), listed_by=("elbe", "gca"))

    elbe = _p(report_db, "elbe")
    names = [
        h.event.name for h in missions.event_hints(report_db, partnership_id=elbe.id, today=TODAY)
    ]

    assert names == ["ELBE and FoodNet"]


def test_upcoming_hints_come_first_by_date_then_past_ones_newest_first(report_db: Session) -> None:
    for name, day in [("Past old", dt.date(2029, 1, 1)), ("Soon", dt.date(2030, 6, 1)),
                      ("Later", dt.date(2031, 1, 1)), ("Past recent", dt.date(2030, 3, 1))]:  # fmt: skip
        _event(report_db, name, "JP", day, listed_by=("elbe", "foodnet"))

    hints = missions.event_hints(report_db, today=TODAY)

    assert [h.event.name for h in hints] == ["Soon", "Later", "Past recent", "Past old"]
    assert [h.past for h in hints] == [False, False, True, True]


def test_partnerships_going_to_one_country_outside_europe_in_one_quarter_are_a_hint(
    report_db: Session,
) -> None:
    _event(report_db, "Osaka fair", "JP", dt.date(2030, 7, 2), listed_by=("elbe",))
    _event(report_db, "Tokyo mission", "JP", dt.date(2030, 9, 28), dt.date(2030, 9, 30),
           going=("foodpacklab",))  # fmt: skip

    (hint,) = missions.quarter_hints(report_db, today=TODAY)

    assert (hint.country.code, hint.label) == ("JP", "Q3 2030")
    assert [(p.name, [e.name for e in evs]) for p, evs in hint.going] == [
        ("ELBE", ["Osaka fair"]),
        ("FoodPackLab", ["Tokyo mission"]),
    ]
    assert hint.reason == "ELBE and FoodPackLab go to Japan in Q3 2030"
    assert not hint.past
    assert hint.involves(_p(report_db, "elbe").id)
    assert not hint.involves(_p(report_db, "pimap").id)


@pytest.mark.parametrize(
    ("second", "why"),
    [
        (("JP", dt.date(2030, 10, 1), None, False), "the next quarter"),
        (("JP", dt.date(2030, 9, 30), dt.date(2030, 10, 2), False), "a range across two quarters"),
        (("JP", None, None, False), "no date"),
        (("CN", dt.date(2030, 7, 5), None, False), "another country"),
    ],
)
def test_no_quarter_hint_without_one_country_and_one_quarter(
    report_db: Session,
    second: tuple[str, dt.date | None, dt.date | None, bool],
    why: str,
) -> None:
    _event(report_db, "Osaka fair", "JP", dt.date(2030, 7, 2), listed_by=("elbe",))
    country, start, end, in_europe = second
    _event(report_db, "Other", country, start, end, listed_by=("foodpacklab",), in_europe=in_europe)

    assert missions.quarter_hints(report_db, today=TODAY) == [], why


def test_countries_in_europe_make_no_quarter_hint(report_db: Session) -> None:
    _event(report_db, "Hannover", "DE", dt.date(2030, 4, 2), listed_by=("elbe",), in_europe=True)
    _event(report_db, "Munich", "DE", dt.date(2030, 4, 9), listed_by=("foodnet",), in_europe=None)

    assert missions.quarter_hints(report_db, today=TODAY) == []
    # The shared event is still an event hint.
    _event(report_db, "Hannover", "DE", dt.date(2030, 4, 2), listed_by=("elbe", "foodnet"),
           in_europe=True)  # fmt: skip
    assert [h.event.name for h in missions.event_hints(report_db, today=TODAY)] == ["Hannover"]


def test_the_demo_hints_that_laser_go_global_and_pimap_both_go_to_photonics_west(
    demo_db: Session,
) -> None:
    laser = _p(demo_db, "laser-go-global")
    hints = missions.event_hints(demo_db, partnership_id=laser.id)

    photonics = next(h for h in hints if h.event.name == "Photonics West 2019")
    assert [p.name for p in photonics.partnerships] == ["LASER-GO GLOBAL", "PIMAP"]
    assert [c.code for c in photonics.shared_countries] == ["CA", "US"]
    quarters = missions.quarter_hints(demo_db, partnership_id=laser.id)
    assert ("US", "Q1 2019") in [(h.country.code, h.label) for h in quarters]


# --- the pages ----------------------------------------------------------------------------


def test_the_profile_shows_its_joint_mission_ideas(client: Client, report_db: Session) -> None:
    _event(report_db, "Tokyo Expo", "JP", dt.date(2030, 7, 1), listed_by=("elbe", "foodnet"))
    _event(report_db, "Kyoto days", "JP", dt.date(2030, 8, 1), listed_by=("foodpacklab",))

    page = client.get("/partnerships/foodnet")

    assert page.status_code == 200
    section = page.text[page.text.index('id="missions-heading"') :]
    assert "Tokyo Expo" in section
    assert '<a href="/partnerships/elbe">ELBE</a> — both target' in section
    assert "Japan</a>, Q3 2030" in section
    assert "Kyoto days" in section


def test_a_profile_without_ideas_shows_an_empty_state(client: Client, report_db: Session) -> None:
    page = client.get("/partnerships/gca")
    section = page.text[page.text.index('id="missions-heading"') :]
    assert "No joint-mission idea yet" in section


def test_the_joint_missions_page_pages_through_every_hint(
    client: Client, report_db: Session
) -> None:
    for i in range(23):
        _event(report_db, f"Event {i:02d}", "JP", dt.date(2030, 6, 1) + dt.timedelta(days=i),
               listed_by=("elbe", "foodnet"))  # fmt: skip

    first = client.get("/insights/joint-missions?show=events&partnership=elbe")
    second = client.get("/insights/joint-missions?show=events&partnership=elbe&page=2")
    countries = client.get("/insights/joint-missions?show=countries")

    assert first.status_code == 200
    assert "1–20 of 23" in first.text
    assert (
        'href="/insights/joint-missions?show=events&amp;partnership=elbe&amp;page=2"' in first.text
    )
    assert "21–23 of 23" in second.text
    assert countries.status_code == 200
    assert "Japan</a>, Q2 2030" in countries.text  # both go to Japan in June


def test_the_joint_missions_page_refuses_unknown_choices(
    client: Client, report_db: Session
) -> None:
    bad_show = client.get("/insights/joint-missions?show=everything")
    bad_partnership = client.get("/insights/joint-missions?partnership=nobody")

    assert bad_show.status_code == 422
    assert "events, countries" in bad_show.text
    assert bad_partnership.status_code == 422
    assert "nobody" in bad_partnership.text
