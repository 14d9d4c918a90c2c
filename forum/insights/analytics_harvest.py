"""Harvesting health for /admin/analytics: per feed, whether it works.

For each feed that is enabled or was ever harvested: its last success (`feed.last_success_at`,
kept beyond the runs), its last failure with its error (the latest failed run, or the feed's
own last status when no run records it), and from the runs of the period (`feed_run`) the
items added, the duplicates recognised and the failures. A feed whose last harvest failed is
"failing". Feeds are not tagged, so the page's country and sector do not narrow this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from forum.core.csvsafe import neutralise_cell
from forum.core.formats import machine_time
from forum.insights.analytics import Period
from forum.intelligence.harvest_store import FAILED_STATUSES
from forum.intelligence.models import Feed, FeedRun

HEALTH_FIGURES = ("added", "duplicates", "failures")
HEALTH_HEADER = [
    "feed_id",
    "feed",
    "enabled",
    "failing",
    "last_success",
    "last_failure",
    "last_error",
    *HEALTH_FIGURES,
]


@dataclass(frozen=True)
class FeedHealth:
    feed_id: int
    name: str
    enabled: bool
    failing: bool  # its last harvest failed
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_error: str | None  # the last failure's error
    added: int  # items added by the period's harvests
    duplicates: int  # entries they recognised as held already
    failures: int  # the period's failed harvests


@dataclass(frozen=True)
class Health:
    feeds: list[FeedHealth]  # failing first, then enabled, then by name
    left_out: int  # feeds disabled and never harvested, not listed


def feed_health(db: Session, period: Period) -> Health:
    start, end = period.bounds()
    failed = case((FeedRun.ok.is_(False), 1), else_=0)
    in_period = {
        feed_id: (int(added or 0), int(duplicates or 0), int(failures or 0))
        for feed_id, added, duplicates, failures in db.execute(
            select(
                FeedRun.feed_id,
                func.sum(FeedRun.items_added),
                func.sum(FeedRun.duplicates),
                func.sum(failed),
            )
            .where(FeedRun.finished_at >= start, FeedRun.finished_at < end)
            .group_by(FeedRun.feed_id)
        )
    }
    latest_failure = (
        select(func.max(FeedRun.id)).where(FeedRun.ok.is_(False)).group_by(FeedRun.feed_id)
    )
    failures = {
        feed_id: (finished_at, error)
        for feed_id, finished_at, error in db.execute(
            select(FeedRun.feed_id, FeedRun.finished_at, FeedRun.error).where(
                FeedRun.id.in_(latest_failure)
            )
        )
    }
    feeds = db.scalars(
        select(Feed).where(
            or_(
                Feed.enabled.is_(True),
                Feed.last_fetched_at.is_not(None),
                Feed.id.in_(list(in_period)),
            )
        )
    ).all()
    listed = []
    for feed in feeds:
        failing = feed.last_status in FAILED_STATUSES
        failure_at, error = failures.get(feed.id, (None, None))
        if failing and failure_at is None:
            # Failed before runs were recorded (or its run is pruned): the feed says it.
            failure_at, error = feed.last_fetched_at, feed.last_error
        added, duplicates, failed_runs = in_period.get(feed.id, (0, 0, 0))
        listed.append(
            FeedHealth(feed.id, feed.name, bool(feed.enabled), failing, feed.last_success_at,
                       failure_at, error, added, duplicates, failed_runs)
        )  # fmt: skip
    listed.sort(key=lambda f: (not f.failing, not f.enabled, f.name.casefold(), f.feed_id))
    total = db.scalar(select(func.count(Feed.id))) or 0
    return Health(listed, int(total) - len(listed))


def _iso(moment: dt.datetime | None) -> str:
    return machine_time(moment) if moment else ""


def health_rows(health: Health) -> list[list[str]]:
    """The CSV: a header row, then a feed a row as the page's table lists them; times in
    ISO 8601, UTC, to the second (as the page's `<time datetime>`); `enabled` and `failing` as yes or no; a name or error a spreadsheet
    would read as a formula starts with a quote (`csvsafe`)."""
    return [HEALTH_HEADER] + [
        [
            str(f.feed_id),
            neutralise_cell(f.name),
            "yes" if f.enabled else "no",
            "yes" if f.failing else "no",
            _iso(f.last_success_at),
            _iso(f.last_failure_at),
            neutralise_cell(f.last_error or ""),
            *(str(getattr(f, key)) for key in HEALTH_FIGURES),
        ]
        for f in health.feeds
    ]


def health_json(health: Health) -> list[dict[str, Any]]:
    return [
        {
            "feed_id": f.feed_id,
            "feed": f.name,
            "enabled": f.enabled,
            "failing": f.failing,
            "last_success": _iso(f.last_success_at) or None,
            "last_failure": _iso(f.last_failure_at) or None,
            "last_error": f.last_error,
            **{key: getattr(f, key) for key in HEALTH_FIGURES},
        }
        for f in health.feeds
    ]
