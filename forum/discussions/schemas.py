"""API shapes of the discussions: categories, threads with their post tree, posts, flags."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from forum.core.text import MAX_BODY, MAX_TITLE
from forum.core.web import BodyRowId
from forum.discussions.models import Category, Flag, GoodPractice, Post, Thread
from forum.discussions.thread_page import PostRow, ShownPost, ThreadPage
from forum.partnerships.schemas import SectorRef

ThreadKind = Literal["discussion", "good_practice", "question", "cooperation_offer"]
# Generous bounds against oversized payloads; the service states the real rules.
_LONG = MAX_BODY + 1_000
LANGUAGE_IN_DESCRIPTION = (
    "ISO 639-1 code of the language the text is written in (fr, de, pt-BR); "
    "omitted or null: detected from the text"
)


class CategoryOut(BaseModel):
    slug: str
    name: str
    description: str
    visibility: Literal["public", "members"]
    url: str

    @classmethod
    def of(cls, c: Category, base_url: str) -> CategoryOut:
        return cls(
            slug=c.slug,
            name=c.name,
            description=c.description,
            visibility="members" if c.visibility == "members" else "public",
            url=f"{base_url}/discussions/c/{c.slug}",
        )


class CategoryRef(BaseModel):
    slug: str
    name: str


class PartnershipRef(BaseModel):
    id: int
    slug: str
    name: str


class GoodPracticeOut(BaseModel):
    approach: str
    approach_html: str
    results: str
    results_html: str
    challenge: str
    challenge_html: str
    lessons: str
    lessons_html: str
    contact: str

    @classmethod
    def of(cls, gp: GoodPractice) -> GoodPracticeOut:
        return cls(
            approach=gp.approach,
            approach_html=gp.approach_html,
            results=gp.results,
            results_html=gp.results_html,
            challenge=gp.challenge,
            challenge_html=gp.challenge_html,
            lessons=gp.lessons,
            lessons_html=gp.lessons_html,
            contact=gp.contact,
        )


class ThreadOut(BaseModel):
    id: int
    url: str
    title: str
    kind: ThreadKind
    category: CategoryRef
    countries: list[str]
    sectors: list[SectorRef]
    author: str | None = Field(description="The author's name; null once the account is gone")
    partnership: PartnershipRef | None
    pinned: bool
    locked: bool
    hidden: bool = Field(description="Hidden by a moderator (only moderators see such threads)")
    created_at: dt.datetime
    last_activity_at: dt.datetime
    reply_count: int
    good_practice: GoodPracticeOut | None
    language: str | None = Field(
        None,
        description="ISO 639-1 code of the title's and opening post's language; null if unknown",
    )

    @classmethod
    def of(cls, t: Thread, base_url: str) -> ThreadOut:
        return cls(**_thread_fields(t, base_url))


def _thread_fields(t: Thread, base_url: str) -> dict[str, object]:
    gp, partnership = t.good_practice, t.partnership
    return {
        "id": t.id,
        "url": f"{base_url}{t.url}",
        "title": t.title,
        "kind": t.kind,
        "category": CategoryRef(slug=t.category.slug, name=t.category.name),
        "countries": t.country_codes,
        "sectors": [SectorRef(slug=s.slug, name=s.name) for s in t.sectors],
        "author": t.author.name if t.author else None,
        "partnership": (
            PartnershipRef(id=partnership.id, slug=partnership.slug, name=partnership.name)
            if partnership is not None
            else None
        ),
        "pinned": t.pinned,
        "locked": t.locked,
        "hidden": t.hidden_at is not None,
        "created_at": t.created_at,
        "last_activity_at": t.last_activity_at,
        "reply_count": t.reply_count,
        "good_practice": GoodPracticeOut.of(gp) if gp is not None else None,
        "language": t.language,
    }


class ThreadList(BaseModel):
    items: list[ThreadOut]
    next: str | None


class PostOut(BaseModel):
    id: int
    url: str
    thread_id: int
    parent_id: int | None
    depth: int = Field(description="Display depth in the tree (0 for top-level replies)")
    in_reply_to: str | None = Field(
        description="Whom the post answers, where the indentation cannot show it"
    )
    author: str | None
    state: Literal["visible", "deleted", "hidden"]
    body: str | None = Field(description="Markdown source; null when this reader may not see it")
    body_html: str | None = Field(description="Sanitized HTML; null like `body`")
    created_at: dt.datetime
    edited_at: dt.datetime | None
    more_replies: int = Field(0, description="Replies below this one left off this page")
    language: str | None = Field(
        None, description="ISO 639-1 code of the language the text is written in; null if unknown"
    )

    @classmethod
    def of(cls, post: Post | PostRow, base_url: str, shown: ShownPost | None = None) -> PostOut:
        state = "deleted" if post.deleted_at else "hidden" if post.hidden_at else "visible"
        readable = shown.show_text if shown is not None else state == "visible"
        return cls(
            id=post.id,
            url=f"{base_url}{post.url}",
            thread_id=post.thread_id,
            parent_id=post.parent_id,
            depth=shown.depth if shown is not None else post.depth,
            in_reply_to=shown.in_reply_to if shown is not None else None,
            author=post.author.name if post.author else None,
            state=state,
            body=post.body if readable else None,
            body_html=post.body_html if readable else None,
            created_at=post.created_at,
            edited_at=post.edited_at,
            more_replies=shown.more_replies if shown is not None else 0,
            language=post.language if readable else None,
        )


class ThreadDetail(ThreadOut):
    body: str = Field(description="The opening post's Markdown source")
    body_html: str
    opening_post_id: int
    posts: list[PostOut] = Field(description="This page of the reply tree, depth-first")
    page: int
    pages: int
    top_level_replies: int

    @classmethod
    def of_page(cls, shown: ThreadPage, base_url: str) -> ThreadDetail:
        opening = shown.opening
        visible = opening.hidden_at is None and opening.deleted_at is None
        return cls(
            **_thread_fields(shown.thread, base_url),
            body=opening.body if visible else "",
            body_html=opening.body_html if visible else "",
            opening_post_id=opening.id,
            posts=[PostOut.of(s.post, base_url, s) for s in shown.posts],
            page=shown.page,
            pages=shown.pages,
            top_level_replies=shown.top_level_total,
        )


class ThreadIn(BaseModel):
    title: str = Field(max_length=MAX_TITLE * 2)
    body: str = Field("", max_length=_LONG)
    category: str = Field(max_length=60, description="Category slug (GET /categories)")
    kind: ThreadKind = "discussion"
    countries: list[str] = Field(
        default=[], max_length=300, description="ISO 3166-1 alpha-2 codes or region groups"
    )
    sectors: list[str] = Field(default=[], max_length=50, description="Sector slugs")
    approach: str = Field("", max_length=_LONG, description="Good practices: required")
    results: str = Field("", max_length=_LONG, description="Good practices: required")
    challenge: str = Field("", max_length=_LONG)
    lessons: str = Field("", max_length=_LONG)
    contact: str = Field("", max_length=1_000)
    language: str | None = Field(None, max_length=16, description=LANGUAGE_IN_DESCRIPTION)


class PostIn(BaseModel):
    body: str = Field(max_length=_LONG)
    parent_id: BodyRowId | None = Field(None, description="The post this one answers")
    language: str | None = Field(None, max_length=16, description=LANGUAGE_IN_DESCRIPTION)


class PostEdit(BaseModel):
    body: str = Field(max_length=_LONG)
    language: str | None = Field(None, max_length=16, description=LANGUAGE_IN_DESCRIPTION)


class FlagIn(BaseModel):
    reason: str = Field(max_length=2_000, description="What is wrong (up to 1,000 characters)")


class FlagAnyIn(FlagIn):
    object_type: Literal["post", "thread", "profile", "intel", "event"]
    object_id: BodyRowId


class FlagOut(BaseModel):
    id: int
    object_type: str
    object_id: int
    reason: str
    created_at: dt.datetime

    @classmethod
    def of(cls, f: Flag) -> FlagOut:
        return cls(
            id=f.id,
            object_type=f.object_type,
            object_id=f.object_id,
            reason=f.reason,
            created_at=f.created_at,
        )
