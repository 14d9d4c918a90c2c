"""API shapes of the digests: a member's preferences, and the preview of their next digest."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Frequency = Literal["weekly", "daily", "off"]


class PreferencesOut(BaseModel):
    frequency: Frequency = Field(description="How often the digest comes")
    weekday: int = Field(ge=0, le=6, description="The weekly digest's day; Monday = 0")
    hour: int = Field(ge=0, le=23, description="The hour the digest is sent, in `timezone`")
    timezone: str = Field(description="An IANA time zone, e.g. Europe/Brussels")
    countries: list[str] = Field(
        description="Followed ISO 3166-1 alpha-2 codes and region groups (g:asean)"
    )
    sectors: list[str] = Field(description="Followed sector slugs")
    categories: list[str] = Field(description="Followed discussion category slugs")


class PreferencesIn(BaseModel):
    """Fields left out keep their value; a list given replaces those follows.

    The numbers are strict: `true`, `"3"` or `3.0` are refused, as the schema says
    (found by the fuzz test), rather than read as 1 or 3."""

    frequency: Frequency | None = None
    weekday: int | None = Field(default=None, ge=0, le=6, strict=True)
    hour: int | None = Field(default=None, ge=0, le=23, strict=True)
    timezone: str | None = Field(default=None, max_length=64)
    countries: list[str] | None = Field(default=None, max_length=300)
    sectors: list[str] | None = Field(default=None, max_length=100)
    categories: list[str] | None = Field(default=None, max_length=100)


class EntryOut(BaseModel):
    title: str
    url: str = Field(description="Absolute address of the entry's page")
    meta: str = Field(description="One line: countries, sectors, date")
    excerpt: str = Field(description="Plain text")


class FollowLinkOut(BaseModel):
    label: str = Field(description="e.g. “Mute Japan”")
    url: str = Field(description="A confirmation page whose button POSTs the change")


class SectionOut(BaseModel):
    key: str = Field(description="intel, good_practices, threads, saved_searches, deadlines, "
                     "events, replies or highlights")  # fmt: skip
    title: str
    summary: str = Field(description="The section's part of the subject line")
    entries: list[EntryOut] = Field(description="At most 8")
    more: int = Field(description="How many beyond the entries shown")
    more_url: str | None = Field(description="The page listing all of them")
    follow_links: list[FollowLinkOut]


class DigestPreviewOut(BaseModel):
    subject: str
    period: dt.date = Field(description="The member's local date the digest is for")
    window_start: dt.datetime
    window_end: dt.datetime
    highlights: bool = Field(description="True when the member follows nothing")
    would_send: bool = Field(description="False when nothing is new: no email would go")
    sections: list[SectionOut]
    text: str = Field(description="The plain-text part of the email")
