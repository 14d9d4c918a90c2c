"""The analytics' weekly rollups: figures of closed weeks, counted once by a job.

`analytics_week` holds one row per (source table, week, figure) for weeks that ended
before the job ran (`forum.insights.rollups`). Database triggers (migration 0024) delete a
week's rows of a source as soon as a row of that source in that week is inserted, changed
or deleted, so a stored figure is never stale: the page counts that week live until the
job rolls it up again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import Base


class AnalyticsWeek(Base):
    __tablename__ = "analytics_week"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)  # a table's name
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its Monday
    figure: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class AnalyticsQueryWeek(Base):
    """The ranked tables of the searches section for one closed week, from the search log.

    scope "all" and "empty" (the searches that found nothing): the KEPT most frequent
    (text, countries) pairs at positions 1.., and at position 0 the floor: the count of
    the most frequent pair not kept (0 when every pair is kept), which bounds every pair
    not kept. scope "filters": every filter used, `text` its kind ("country", "sector")
    and `countries` its value, all kept. Kept true by the search log's triggers, as
    `analytics_week` is.
    """

    __tablename__ = "analytics_query_week"

    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    countries: Mapped[str] = mapped_column(String(200))
    searches: Mapped[int] = mapped_column(Integer)
    without_result: Mapped[int] = mapped_column(Integer)


class AnalyticsFocusWeek(Base):
    """Figures of closed weeks by focus: content counted per country and per sector it is
    tagged with, and the discussions still unanswered (`forum.insights.focus_weekly`).

    `focus` is "country:JP", "sector:<id>", or "" for the whole forum. A (source, week)
    is stored when its marker row is there (focus "" and figure ""); a figure without a
    row is then 0. Triggers (migration 0028) delete a week's rows of a source as soon as
    a row it counts, or a tag of one, is inserted, changed or deleted.
    """

    __tablename__ = "analytics_focus_week"
    __table_args__ = (Index("ix_analytics_focus_week_source_week", "source", "week"),)

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    focus: Mapped[str] = mapped_column(String(60), primary_key=True)
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its Monday
    figure: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class TakingPartWeek(Base):
    """A week in which a member took part (wrote a post, added an item without a feed,
    marked an event going): one row per member and week (its Monday, UTC), the union of
    the three records `member_posting_week`, `member_item_week` and `member_going_week`,
    kept equal to it by triggers on them (migration 0030). The members taking part with
    a focus are counted from it (`forum.insights.analytics_taking_part`)."""

    __tablename__ = "member_taking_part_week"
    __table_args__ = (Index("ix_member_taking_part_week_week", "week", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
