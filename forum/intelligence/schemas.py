"""API shapes of the intelligence repository: items, their attachments, writing and editing.

`url` in answers is the item's page on the forum, as for every other object of the API;
the original document's address, which `POST /intel` takes as `url`, comes back as
`original_url`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import BaseModel, Field, PlainValidator, WithJsonSchema

from forum.core.text import MAX_BODY
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.intelligence.queries import deadline_state
from forum.intelligence.writes import SUMMARY_MAX, TITLE_MAX
from forum.partnerships.schemas import SectorRef

IntelKind = Literal[
    "report", "market_study", "news", "funding_call", "tender", "event_report", "regulation"
]
IntelStatus = Literal["draft", "review", "published", "withdrawn"]
IntelSort = Literal["added", "published", "deadline"]
# Generous bounds against oversized payloads; the service states the real rules.
_LONG = MAX_BODY + 1_000
_DATE_HELP = (
    "A date (YYYY-MM-DD, taken as midnight UTC) or a date and time with its time zone "
    "(2026-11-20T09:00:00+01:00)"
)


def _date_or_moment(value: object) -> dt.datetime | dt.date | None:
    """A date stays a date (the API takes it as midnight UTC); anything else must parse."""
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"not a date: give {_DATE_HELP[0].lower()}{_DATE_HELP[1:]}")


DateOrMoment = Annotated[
    dt.datetime | dt.date | None,
    PlainValidator(_date_or_moment),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
                {"type": "null"},
            ]
        }
    ),
]


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(dt.UTC) if moment is not None else None


class AttachmentRef(BaseModel):
    id: int
    name: str = Field(description="The file's name as uploaded")
    size: int = Field(description="Bytes")
    mime: str
    extraction_status: Literal["pending", "done", "empty", "error"]
    url: str = Field(description="Where to download it")

    @classmethod
    def of(cls, a: IntelAttachment, base_url: str) -> AttachmentRef:
        return cls(
            id=a.id,
            name=a.original_name,
            size=a.size,
            mime=a.mime,
            extraction_status=a.extraction_status,
            url=f"{base_url}/intel/attachments/{a.id}/{quote(a.original_name, safe='')}",
        )


class IntelOut(BaseModel):
    id: int
    url: str = Field(description="The item's page on the forum")
    title: str
    kind: IntelKind
    kind_label: str
    status: IntelStatus = Field(description="Anonymous readers only ever see `published`")
    summary: str
    body: str = Field(description="The notes' Markdown source")
    body_html: str = Field(description="The notes as sanitized HTML")
    countries: list[str] = Field(description="ISO 3166-1 alpha-2 codes")
    sectors: list[SectorRef]
    is_global: bool = Field(description="Concerns every market rather than some countries")
    original_url: str | None = Field(description="The original document or article")
    source_name: str | None
    source_url: str | None
    also_from: list[str] = Field(description="Other sources that published the same item")
    language: str | None
    published_at: dt.datetime | None = Field(description="When the source published it")
    added_at: dt.datetime = Field(description="When it was added here")
    updated_at: dt.datetime
    deadline: dt.datetime | None = Field(description="Calls and tenders: when they close")
    deadline_state: Literal["closing soon", "closed"] | None = Field(
        description="`closing soon` within 14 days of the deadline, `closed` once past"
    )
    author: str | None = Field(description="The member who added it; null for harvested items")
    withdrawn_reason: str | None = Field(description="Why a moderator withdrew it")
    attachments: list[AttachmentRef]

    @classmethod
    def of(cls, item: IntelItem, base_url: str, *, now: dt.datetime | None = None) -> IntelOut:
        return cls(
            id=item.id,
            url=f"{base_url}{item.url_path}",
            title=item.title,
            kind=item.kind,
            kind_label=item.kind_label,
            status=item.status,
            summary=item.summary,
            body=item.body,
            body_html=item.body_html,
            countries=item.country_codes,
            sectors=[SectorRef(slug=s.slug, name=s.name) for s in item.sectors],
            is_global=item.is_global,
            original_url=item.url,
            source_name=item.source_name,
            source_url=item.source_url,
            also_from=list(item.also_from or []),
            language=item.language,
            published_at=_utc(item.published_at),
            added_at=item.added_at.astimezone(dt.UTC),
            updated_at=item.updated_at.astimezone(dt.UTC),
            deadline=_utc(item.deadline),
            deadline_state=deadline_state(item, now=now),
            author=item.author.name if item.author else None,
            withdrawn_reason=item.withdrawn_reason if item.status == "withdrawn" else None,
            attachments=[AttachmentRef.of(a, base_url) for a in item.attachments],
        )


class IntelList(BaseModel):
    items: list[IntelOut]
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class _Fields(BaseModel):
    summary: str = Field("", max_length=SUMMARY_MAX * 2)
    body: str = Field("", max_length=_LONG, description="Markdown")
    kind: IntelKind = "news"
    countries: list[str] = Field(
        default=[], max_length=300, description="ISO 3166-1 alpha-2 codes or region groups (g:eu27)"
    )
    sectors: list[str] = Field(default=[], max_length=50, description="Sector slugs")
    is_global: bool = Field(False, description="Concerns every market")
    url: str | None = Field(None, max_length=2_000, description="The original document")
    source_name: str | None = Field(None, max_length=400)
    source_url: str | None = Field(None, max_length=2_000)
    language: str | None = Field(
        None,
        max_length=16,
        description="ISO 639-1 code of the language the item is written in (en, fr, pt-BR); "
        "omitted or null: detected from the text",
    )
    published_at: DateOrMoment = Field(None, description=_DATE_HELP)
    deadline: DateOrMoment = Field(None, description=f"Calls and tenders only. {_DATE_HELP}")


class IntelIn(_Fields):
    title: str = Field(max_length=TITLE_MAX * 2)
    status: Literal["published", "draft"] = Field(
        "published", description="`draft` keeps it to yourself until you publish it"
    )


class IntelPatch(BaseModel):
    """Only the fields sent change; `null` clears an optional field."""

    title: str | None = Field(None, max_length=TITLE_MAX * 2)
    summary: str | None = Field(None, max_length=SUMMARY_MAX * 2)
    body: str | None = Field(None, max_length=_LONG, description="Markdown")
    kind: IntelKind | None = None
    countries: list[str] | None = Field(None, max_length=300)
    sectors: list[str] | None = Field(None, max_length=50)
    is_global: bool | None = None
    url: str | None = Field(None, max_length=2_000)
    source_name: str | None = Field(None, max_length=400)
    source_url: str | None = Field(None, max_length=2_000)
    language: str | None = Field(None, max_length=16)
    published_at: DateOrMoment = Field(None, description=_DATE_HELP)
    deadline: DateOrMoment = Field(None, description=f"Calls and tenders only. {_DATE_HELP}")
    status: IntelStatus | None = Field(
        None,
        description="Publish your draft; moderators also review, withdraw (with `reason`) "
        "and restore",
    )
    reason: str = Field("", max_length=2_000, description="Why, when withdrawing")
