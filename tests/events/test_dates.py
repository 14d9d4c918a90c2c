"""Reading report-style date wording into whole-day ranges (hypothesis is not installed:
the cases are a table)."""

from __future__ import annotations

import datetime as dt

import pytest

from forum.events.dates import format_range, parse_date_text, quarter_of

D = dt.date

# (wording, first day, last day, wording kept, flagged)
CASES = [
    # exact days: no wording kept
    ("12/03/2019", D(2019, 3, 12), D(2019, 3, 12), False, False),
    ("2019-03-12", D(2019, 3, 12), D(2019, 3, 12), False, False),
    ("12.03.2019", D(2019, 3, 12), D(2019, 3, 12), False, False),
    ("Jan 23rd 2019", D(2019, 1, 23), D(2019, 1, 23), False, False),
    ("October 17th 2019", D(2019, 10, 17), D(2019, 10, 17), False, False),
    ("12-14 March 2019", D(2019, 3, 12), D(2019, 3, 14), False, False),
    ("March 12th - 14th 2019", D(2019, 3, 12), D(2019, 3, 14), False, False),
    ("November 27-29th 2018", D(2018, 11, 27), D(2018, 11, 29), False, False),
    ("November 27th - 29th, 2018", D(2018, 11, 27), D(2018, 11, 29), False, False),
    ("June 3rd -6th, 2019", D(2019, 6, 3), D(2019, 6, 6), False, False),
    ("January 23th - 25th 2019", D(2019, 1, 23), D(2019, 1, 25), False, False),
    ("May 9th and 10th 2019", D(2019, 5, 9), D(2019, 5, 10), False, False),
    ("12 March - 2 April 2019", D(2019, 3, 12), D(2019, 4, 2), False, False),
    ("28 December - 3 January 2020", D(2019, 12, 28), D(2020, 1, 3), False, False),
    ("12/03/2019 - 14/03/2019", D(2019, 3, 12), D(2019, 3, 14), False, False),
    # vague: a range that covers it, wording kept
    ("April 2019", D(2019, 4, 1), D(2019, 4, 30), True, False),
    ("February 2020", D(2020, 2, 1), D(2020, 2, 29), True, False),
    ("1st quarter 2019", D(2019, 1, 1), D(2019, 3, 31), True, False),
    ("Q2 2019", D(2019, 4, 1), D(2019, 6, 30), True, False),
    ("third quarter of 2019", D(2019, 7, 1), D(2019, 9, 30), True, False),
    ("H2 2019", D(2019, 7, 1), D(2019, 12, 31), True, False),
    ("Summer 2019", D(2019, 6, 1), D(2019, 8, 31), True, False),
    ("Spring 2020", D(2020, 3, 1), D(2020, 5, 31), True, False),
    ("Autumn 2019", D(2019, 9, 1), D(2019, 11, 30), True, False),
    ("Winter 2019", D(2019, 12, 1), D(2020, 2, 29), True, False),
    ("Winter 2018/2019", D(2018, 12, 1), D(2019, 2, 28), True, False),
    ("End January 2019", D(2019, 1, 21), D(2019, 1, 31), True, False),
    ("Beginning of March 2019", D(2019, 3, 1), D(2019, 3, 10), True, False),
    ("Mid-April 2019", D(2019, 4, 11), D(2019, 4, 20), True, False),
    ("Late 2019", D(2019, 9, 1), D(2019, 12, 31), True, False),
    ("2019", D(2019, 1, 1), D(2019, 12, 31), True, False),
    ("January -February 2019", D(2019, 1, 1), D(2019, 2, 28), True, False),
    ("March 2018 (tentative)", D(2018, 3, 1), D(2018, 3, 31), True, False),
    ("March 19th 2019 (to be confirmed)", D(2019, 3, 19), D(2019, 3, 19), True, False),
    # invalid: clamped and flagged, never dropped
    ("31 April 2019", D(2019, 4, 30), D(2019, 4, 30), True, True),
    ("30-32 May 2019", D(2019, 5, 30), D(2019, 5, 31), True, True),
    ("February 25th - 29th 2019", D(2019, 2, 25), D(2019, 2, 28), True, True),
    ("0 June 2019", D(2019, 6, 1), D(2019, 6, 1), True, True),
    ("14-12 March 2019", D(2019, 3, 12), D(2019, 3, 14), True, True),
]


@pytest.mark.parametrize(
    ("wording", "start", "end", "kept", "flagged"), CASES, ids=[c[0] for c in CASES]
)
def test_report_wording_reads_as_a_range_that_covers_it(
    wording: str, start: dt.date, end: dt.date, kept: bool, flagged: bool
) -> None:
    parsed = parse_date_text(wording)
    assert (parsed.start, parsed.end) == (start, end)
    assert parsed.wording == (wording if kept else None)
    assert (parsed.flag is not None) == flagged


@pytest.mark.parametrize(
    "wording",
    [
        "To be defined",
        "to be defined",
        "Not announced",
        "Not determined",
        "TBD",
        "TBA",
        "to be announced",
    ],
)
def test_dates_to_be_announced_are_unknown_and_keep_their_wording(wording: str) -> None:
    parsed = parse_date_text(wording)
    assert parsed.unknown
    assert parsed.end is None
    assert parsed.wording == wording
    assert parsed.flag is None


@pytest.mark.parametrize(
    "wording", ["January", "12 March", "next spring", "Week 12", "Q5 2019", "31/31/99999"]
)
def test_unreadable_or_yearless_wording_is_unknown_flagged_and_kept(wording: str) -> None:
    parsed = parse_date_text(wording)
    assert parsed.unknown
    assert parsed.wording == wording
    assert parsed.flag


def test_the_flag_says_what_was_wrong_and_what_was_done() -> None:
    assert parse_date_text("31 April 2019").flag == (
        "31 April 2019 does not exist: read as 30 April 2019."
    )
    assert parse_date_text("January").flag == "The date gives no year: it is unknown."


def test_empty_wording_is_unknown_without_wording() -> None:
    assert parse_date_text("") == parse_date_text(None) == parse_date_text("   ")
    assert parse_date_text(None).wording is None


def test_every_parsed_range_runs_forward_over_a_year_of_days() -> None:
    """Property over every day of a leap and a common year, written as reports write them."""
    day = D(2019, 1, 1)
    while day <= D(2020, 12, 31):
        for wording in (
            f"{day.day} {day:%B %Y}",
            f"{day:%B} {day.day}th {day.year}",
            f"{day:%d/%m/%Y}",
            day.isoformat(),
            f"{day:%B %Y}",
            f"Q{(day.month - 1) // 3 + 1} {day.year}",
        ):
            parsed = parse_date_text(wording)
            assert parsed.start is not None and parsed.end is not None, wording
            assert parsed.start <= day <= parsed.end, wording
            assert parsed.flag is None, wording
        day += dt.timedelta(days=1)


def test_ranges_are_written_for_people() -> None:
    assert format_range(D(2019, 3, 12), D(2019, 3, 14)) == "12–14 March 2019"
    assert format_range(D(2019, 3, 30), D(2019, 4, 2)) == "30 March – 2 April 2019"
    assert format_range(D(2019, 12, 30), D(2020, 1, 2)) == "30 December 2019 – 2 January 2020"
    assert format_range(D(2019, 3, 12), D(2019, 3, 12)) == "12 March 2019"
    assert format_range(None, None) == ""
    assert quarter_of(D(2019, 11, 3)) == (2019, 4)
