"""Categories, threads, posts in reply trees, good practices, edits and flags, and how far
each member has read each thread."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.core.attachments import ExtractedText
from forum.core.db import Base, UTCDateTime, utcnow
from forum.core.i18n import Labels, _l
from forum.partnerships.models import Partnership
from forum.taxonomy.models import CountryTagged, Sector

THREAD_KINDS = ("discussion", "good_practice", "question", "cooperation_offer")


KIND_LABELS = Labels(
    discussion=_l("Discussion"),
    good_practice=_l("Good practice"),
    question=_l("Question"),
    cooperation_offer=_l("Cooperation offer"),
)
VISIBILITIES = ("public", "members")
# Replies deeper than this are shown at this depth, "in reply to NAME".
MAX_DEPTH = 5


class Category(Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    visibility: Mapped[str] = mapped_column(String(10), default="public")

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"


thread_sector = Table(
    "thread_sector",
    Base.metadata,
    Column("thread_id", ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The analytics' focus: the links of one tag, read from this index alone.
    Index("ix_thread_sector_sector_thread", "sector_id", "thread_id"),
)


class ThreadCountry(Base):
    __tablename__ = "thread_country"
    __table_args__ = (
        # The analytics' focus: the links of one tag, read from this index alone.
        Index("ix_thread_country_code_thread", "country_code", "thread_id"),
    )

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)


class Thread(CountryTagged, Base):
    __tablename__ = "thread"
    country_row_class = ThreadCountry
    __table_args__ = (
        Index("ix_thread_category_activity", "category_id", "last_activity_at"),
        # The analytics' weekly counts and unanswered discussions read only this.
        Index("ix_thread_created_kind", "created_at", "kind", "hidden_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="discussion")
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # The author's partnership when they posted: credit stays with it.
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="SET NULL"), index=True
    )
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Where the content comes from when it was not written here (demo data from the report).
    source_note: Mapped[str | None] = mapped_column(Text)
    # The language of the title, kept equal to the opening post's `language` (lists and the
    # API read it without loading the opening post).
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_activity_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    view_count: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[Category] = relationship()
    author: Mapped[User | None] = relationship()
    partnership: Mapped[Partnership | None] = relationship()
    sectors: Mapped[list[Sector]] = relationship(secondary=thread_sector, order_by=Sector.name)
    country_rows: Mapped[list[ThreadCountry]] = relationship(
        cascade="all, delete-orphan", order_by=ThreadCountry.country_code
    )
    good_practice: Mapped[GoodPractice | None] = relationship(
        back_populates="thread", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def url(self) -> str:
        return Thread.url_of(self.id)

    @staticmethod
    def url_of(thread_id: int) -> str:
        """A thread's URL from its id alone (search documents are built from rows)."""
        return f"/threads/{thread_id}"


class GoodPractice(Base):
    """The structured sections of a good-practice thread (Markdown source and HTML)."""

    __tablename__ = "good_practice"

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True
    )
    approach: Mapped[str] = mapped_column(Text, default="")
    approach_html: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    results_html: Mapped[str] = mapped_column(Text, default="")
    challenge: Mapped[str] = mapped_column(Text, default="")
    challenge_html: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    lessons_html: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(500), default="")

    thread: Mapped[Thread] = relationship(back_populates="good_practice")


class Post(Base):
    """A post in a thread's reply tree. The opening post has no parent and is first.

    `root_id` is the top-level post the reply belongs under (itself for top-level
    posts); `path` orders a subtree depth-first ("/00000012/00000034"), with depth
    capped at MAX_DEPTH: a reply to a post at the cap becomes its sibling.
    """

    __tablename__ = "post"
    __table_args__ = (
        Index("ix_post_thread_root_path", "thread_id", "root_id", "path"),
        Index("ix_post_thread_depth_id", "thread_id", "depth", "id"),
        # The analytics' weekly counts (members taking part, replies) read only this.
        Index("ix_post_created_author", "created_at", "author_id", "is_opening"),
        # ... and this, for a thread's replies (unanswered discussions, replies by country).
        Index("ix_post_thread_created", "thread_id", "created_at", "is_opening"),
        # ... and this, for the posts of the members following the analytics' focus.
        Index("ix_post_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))
    root_id: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(120), default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # The language the body (and an opening post's thread title) is written in: an ISO
    # 639-1 code chosen by the author or detected (forum.core.content_language); None
    # when unknown. Pages mark the text up with it; search stems it accordingly.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship()
    parent: Mapped[Post | None] = relationship(remote_side=[id])

    @property
    def url(self) -> str:
        return Post.url_of(self.id)

    @staticmethod
    def url_of(post_id: int) -> str:
        """A post's URL from its id alone (search documents are built from rows)."""
        return f"/posts/{post_id}"


class PostingWeek(Base):
    """A week in which a member wrote a post (a reply or a thread's opening post), in any
    state the post is in now: one row per author and week, `week` its Monday in UTC, for
    the members taking part on /admin/analytics (forum/insights/analytics_taking_part.py).
    Database triggers on `post` (migration 0029) keep it equal to the posts themselves: a
    row is there exactly while a post of that author was written in that week."""

    __tablename__ = "member_posting_week"
    __table_args__ = (Index("ix_member_posting_week_week", "week", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class ThreadRead(Base):
    """How far a member has read a thread (forum.discussions.reading).

    `last_read_post_id` is a watermark: every post of the thread with an id up to it has
    been on a page the member opened (post ids only grow, so later posts are above it).
    No foreign key to the post: it stays a watermark when that post is deleted.
    """

    __tablename__ = "thread_read"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_post_id: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PostRevision(Base):
    """A post's text before an edit (moderators see the history)."""

    __tablename__ = "post_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    editor: Mapped[User | None] = relationship()


class Flag(Base):
    """A member's report of content: a post, thread, intelligence item, event or profile."""

    __tablename__ = "flag"
    __table_args__ = (Index("ix_flag_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(Integer)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    resolution: Mapped[str | None] = mapped_column(String(40))

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])


class ThreadAttachment(ExtractedText, Base):
    """A file attached to a good-practice thread (stored once per content, see forum.core.uploads),
    with the text extracted from it (or why not)."""

    __tablename__ = "thread_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Sanitised: base name only, no control characters, at most 200 characters.
    original_name: Mapped[str] = mapped_column(String(200))
    # Relative to the uploads dir: "<sha256[:2]>/<sha256>.<ext>".
    storage_name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    thread: Mapped[Thread] = relationship()
    uploader: Mapped[User | None] = relationship()

    @property
    def url(self) -> str:
        from urllib.parse import quote

        return f"/attachments/{self.id}/{quote(self.original_name, safe='')}"
