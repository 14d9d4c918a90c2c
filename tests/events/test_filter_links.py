"""The events lists' filters: region, country, sector and partnership values are links with
their counts among the list's events, every country with an event can be chosen (the rare
ones behind "Show all"), chips each remove one filter, and an empty list names the filters
that caused it. The month view has the same panel."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.events.listing import today_utc
from forum.partnerships.models import Partnership
from tests.conftest import Client
from tests.events.conftest import Events, make_partnership
from tests.filter_links import read_panel

BUSY = ("JP", "KR", "CN", "IN", "BR", "CA", "MX", "US", "AU")


def _titles(html: str) -> list[str]:
    return re.findall(r'<h[2-4] class="card-title"><a href="/events/\d+">([^<]+)</a>', html)


def _calendar(db: Session, events: Events) -> dt.date:
    start = today_utc() + dt.timedelta(days=10)
    alpha = make_partnership(db, "Alpha")
    for i, code in enumerate(BUSY):
        for n in (1, 2):
            events.make(f"Fair {code} {n}", starts_on=start + dt.timedelta(days=i), country=code,
                        partnerships=[alpha] if code == "JP" else ())  # fmt: skip
    events.make("Hanoi mission", starts_on=start, country="VN", city="Hanoi",
                sectors=["healthcare"])  # fmt: skip
    return start


def test_event_facets_are_links_with_counts_that_toggle_and_keep_the_other_filters(
    client: Client, db: Session, events: Events
) -> None:
    _calendar(db, events)
    page = read_panel(client.get("/events?sector=food").text)
    japan = page.value("country", "Japan")
    assert japan.text == "Japan (2)"
    assert japan.query == [("sector", "food"), ("country", "JP")]
    assert page.value("partnership", "Alpha").text == "Alpha (2)"
    assert page.value("sector", "Food industry").current
    # Region groups are country filters too; Viet Nam's one event is not food.
    assert "region" not in page.facets or all("ASEAN" not in v.text for v in page.facet("region"))

    chosen = client.get(japan.href)
    assert sorted(_titles(chosen.text)) == ["Fair JP 1", "Fair JP 2"]
    again = read_panel(chosen.text).value("country", "Japan")
    assert again.current and again.query == [("sector", "food")]

    everything = read_panel(client.get("/events").text)
    asean = [v for v in everything.facet("region") if v.text.startswith("ASEAN")]
    assert asean and asean[0].query == [("country", "g:asean")]
    assert _titles(client.get(asean[0].href).text) == ["Hanoi mission"]


def test_a_country_with_one_event_is_behind_show_all_and_can_be_chosen(
    client: Client, db: Session, events: Events
) -> None:
    _calendar(db, events)
    page = read_panel(client.get("/events").text)
    assert page.more_labels["country"] == "Show all 10 countries"
    vietnam = [v for v in page.facet("country") if v.text.endswith("(1)")]
    assert len(vietnam) == 1 and vietnam[0].in_more
    assert _titles(client.get(vietnam[0].href).text) == ["Hanoi mission"]


def test_each_event_chip_removes_exactly_one_filter_and_the_empty_list_names_them(
    client: Client, db: Session, events: Events
) -> None:
    start = _calendar(db, events)
    day = (start + dt.timedelta(days=400)).isoformat()
    answer = client.get(f"/events?country=JP&partnership=alpha&from={day}")
    assert "No events match these filters" in answer.text
    page = read_panel(answer.text)
    assert [(chip.text, chip.query) for chip in page.chips[:3]] == [
        ("Remove the filter Country or region: Japan ✕", [("partnership", "alpha"), ("from", day)]),
        ("Remove the filter Partnership: Alpha ✕", [("country", "JP"), ("from", day)]),
        (f"Remove the filter From {page.chips[2].text.split('From ')[1].removesuffix(' ✕')} ✕",
         [("country", "JP"), ("partnership", "alpha")]),
    ]  # fmt: skip
    assert page.chips[3].href == "/events"
    assert page.control == "Filters (3)"
    assert [(r.text, r.query) for r in page.removes] == [
        ("Remove “Country or region: Japan”", [("partnership", "alpha"), ("from", day)]),
        ("Remove “Partnership: Alpha”", [("country", "JP"), ("from", day)]),
        (page.removes[2].text, [("country", "JP"), ("partnership", "alpha")]),
    ]
    assert page.removes[2].text.startswith("Remove “From ")
    # Following the link that removes the date brings the events back.
    assert sorted(_titles(client.get(page.removes[2].href).text)) == ["Fair JP 1", "Fair JP 2"]


def test_a_partnership_given_by_its_id_is_named_in_its_chip(
    client: Client, db: Session, events: Events
) -> None:
    _calendar(db, events)
    alpha = read_panel(client.get("/events").text).value("partnership", "Alpha")
    slug = dict(alpha.query)["partnership"]
    pid = db.scalar(select(Partnership.id).where(Partnership.slug == slug))
    chips = read_panel(client.get(f"/events?partnership={pid}").text).chips
    assert chips[0].text == "Remove the filter Partnership: Alpha ✕"
    assert chips[0].href == "/events"


def test_the_month_view_has_the_same_filter_links_keeping_the_month(
    client: Client, db: Session, events: Events
) -> None:
    events.make("CFIA 2019", date_text="March 12th - 14th 2019", country="FR", city="Rennes")
    events.make("Final meeting", date_text="March 2019", country="BE", city="Brussels")
    page = read_panel(client.get("/events/month?m=2019-03").text)
    france = page.value("country", "France")
    assert france.text == "France (1)"
    assert france.query == [("m", "2019-03"), ("country", "FR")]
    chosen = client.get(france.href)
    assert "CFIA 2019" in chosen.text and "Final meeting" not in chosen.text
    chips = read_panel(chosen.text).chips
    assert chips[0].query == [("m", "2019-03")]
    assert chips[-1].href == "/events/month?m=2019-03"
