"""The forum's week: Monday to Sunday, in UTC, whatever the value's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from forum.core.weeks import monday_of


def test_a_week_runs_from_monday_to_sunday_in_utc() -> None:
    monday = dt.date(2026, 12, 7)
    assert monday_of(monday) == monday
    assert monday_of(dt.date(2026, 12, 13)) == monday  # its Sunday
    assert monday_of(dt.date(2026, 12, 14)) == dt.date(2026, 12, 14)
    # 00:30 on Monday in Paris is still Sunday in UTC: the week before.
    paris = dt.datetime(2026, 12, 7, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert monday_of(paris) == dt.date(2026, 11, 30)
    naive = dt.datetime(2026, 12, 7, 0, 30)  # noqa: DTZ001 - as a database may hand it back
    assert monday_of(naive) == monday  # taken as UTC
