"""Weeks as the forum counts them (analytics, tallies, activity, digest clicks): Monday
to Sunday, in UTC."""

from __future__ import annotations

import datetime as dt


def monday_of(value: dt.date | dt.datetime) -> dt.date:
    """The Monday of the week `value` falls in: a datetime by its UTC date (a naive one is
    taken as UTC), a date as it is."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        value = aware.astimezone(dt.UTC).date()
    return value - dt.timedelta(days=value.weekday())
