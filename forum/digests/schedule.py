"""When digests fall due: a member's schedule in their own time zone, and the window of
news each digest covers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PERIOD_LENGTH = {"weekly": dt.timedelta(days=7), "daily": dt.timedelta(days=1)}
# A digest whose hour passed while no worker ran is still sent within this delay.
CATCH_UP = dt.timedelta(days=1)
# A window never reaches further back than this many periods (a member back from "off").
MAX_WINDOW_PERIODS = 2


def zone(name: str) -> ZoneInfo:
    """The member's time zone, UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def last_occurrence(
    local_now: dt.datetime, *, frequency: str, weekday: int, hour: int
) -> dt.datetime:
    """The latest scheduled local time at or before `local_now` (an aware local time)."""
    occurrence = local_now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if frequency == "weekly":
        # Same tzinfo: the arithmetic is on the wall clock, as the member reads it.
        occurrence -= dt.timedelta(days=(local_now.weekday() - weekday) % 7)
    if occurrence > local_now:
        occurrence -= PERIOD_LENGTH[frequency]
    return occurrence


def window_start(
    previous_end: dt.datetime | None, now: dt.datetime, length: dt.timedelta
) -> dt.datetime:
    """Where the window of a digest sent at `now` starts: where the member's last digest's
    window ended, or one period back before their first; never more than
    MAX_WINDOW_PERIODS back, nor after `now`."""
    start = previous_end if previous_end is not None else now - length
    return min(max(start, now - MAX_WINDOW_PERIODS * length), now)
