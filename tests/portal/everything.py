"""A member with one of everything: a row in every table that refers to a member.

`member_with_everything` makes them through the services, as the member would by using
the forum, so that the privacy tests see what the forum really stores. Every title and
text carries a made-up word found nowhere else (`Everything.words`), so pages, feeds,
search and digests can be searched for it.

`user_columns()` walks `Base.metadata` for every column that refers to a member: a
foreign key to the users table, or a column named like one (`author_id`, `created_by`,
`user_id` ...) without one. `test_privacy_coverage` checks that the member made here has
at least one row for each, so a new table that refers to members fails there until this
factory makes one of its rows, and the export and erasure tests then check it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from forum import plugins
from forum.accounts.api_tokens import create_api_token
from forum.accounts.memberships import decide_membership
from forum.accounts.models import Membership, User
from forum.accounts.service import issue_email_token
from forum.accounts.sessions import create_session
from forum.core import uploads
from forum.core.audit import record
from forum.core.config import Settings
from forum.core.db import Base, utcnow
from forum.digests.models import DigestDelivery
from forum.digests.service import update_email_settings
from forum.discovery.saved import create_saved_search
from forum.discussions import writes as discussion_writes
from forum.discussions.models import Category, Post, Thread, ThreadAttachment, ThreadRead
from forum.events import attendance as event_attendance
from forum.events import calendar_tokens
from forum.events import service as events
from forum.events.models import Event
from forum.intelligence import attachments as intel_attachments
from forum.intelligence import tag_review
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.moderation import flags
from forum.notifications.service import set_follows
from forum.partnerships.models import Partnership
from forum.taxonomy.service import resolve_sectors
from tests.conftest import TEST_SECRET, People, Threads, start_good_practice

USERS_TABLE = "user_account"
# Columns that name a member without a foreign key would be called like these.
USER_COLUMN_NAME = re.compile(
    r"(^|_)(user|author|owner|creator|member|editor|uploader|reporter|actor)(_id)?$"
    r"|(^|_)created_by(_id)?$"
)


def user_columns() -> set[str]:
    """Every "table.column" of the schema that refers to a member."""
    assert plugins.MODELS  # every table is known to Base.metadata
    found = set()
    for table in Base.metadata.sorted_tables:
        if table.name == USERS_TABLE:
            continue
        for column in table.columns:
            to_users = any(fk.column.table.name == USERS_TABLE for fk in column.foreign_keys)
            if to_users or (not column.foreign_keys and USER_COLUMN_NAME.search(column.name)):
                found.add(f"{table.name}.{column.name}")
    return found


@dataclass
class Everything:
    """What `member_with_everything` made, and the words that find each piece."""

    member: User
    other: User
    partnership: Partnership
    intel_item: IntelItem
    intel_attachment: IntelAttachment
    thread: Thread
    good_practice: Thread
    thread_attachment: ThreadAttachment
    reply: Post
    event: Event
    others_thread: Thread
    others_event: Event
    # The made-up word in each piece of the member's content, by what it is in.
    words: dict[str, str] = field(default_factory=dict)


def _stored_file(uploads_dir: Path, name: str, text: str) -> uploads.StoredFile:
    temp, path = uploads.new_temp(uploads_dir)
    with temp:
        temp.write(text.encode())
    return uploads.store(uploads_dir, path, name)


def member_with_everything(
    db: Session,
    people: People,
    threads: Threads,
    categories: dict[str, Category],
    settings: Settings,
) -> Everything:
    """A moderator who coordinates a partnership, wrote, attended, followed, saved, was
    notified, got a digest ... everything a member can leave behind; and another member
    who follows Japan and food, so that the member's content is in their digest."""
    words = {
        "intel": "Zebrafinch",
        "intel_attachment": "Kinkajou",
        "thread": "Pangolino",
        "good_practice": "Narwhalia",
        "thread_attachment": "Quetzalco",
        "reply": "Axolotlian",
        "event": "Okapiforest",
    }
    member = people.make(role="moderator", name="Maria Member", email="maria@example.eu")
    other = people.make(name="Otto Other", email="otto@example.eu")
    partnership = Partnership(slug="food-go-japan", name="FOOD GO JAPAN", coordinator_id=member.id)
    db.add(partnership)
    db.flush()
    db.add(Membership(user_id=member.id, partnership_id=partnership.id, status="approved"))
    db.add(Membership(user_id=other.id, partnership_id=partnership.id, status="pending"))
    db.flush()
    db.expire_all()
    uploads_dir = settings.uploads_dir
    food = resolve_sectors(db, ["food"])

    # Account: sessions, tokens, email links, follows, email choices, digests, saved search.
    create_session(db, member, user_agent="Firefox on Linux")
    create_api_token(db, member, name="CRM sync")
    issue_email_token(db, member, "email-change", new_email="maria@new.example.eu")
    set_follows(db, member.id, "country", ["JP"])
    update_email_settings(
        db, member, notify_replies=True, notify_mentions=True, notify_thread_posts=False
    )
    now = utcnow()
    db.add(
        DigestDelivery(
            user_id=member.id, period=now.date() - dt.timedelta(days=7), frequency="weekly",
            status="sent", window_start=now - dt.timedelta(days=14),
            window_end=now - dt.timedelta(days=7), message_id="<digest-1@forum.example>",
            subject="Your week", counts={"intel": 1}, sent_at=now - dt.timedelta(days=7),
        )
    )  # fmt: skip
    create_saved_search(db, user=member, name="", query_string="q=osaka")
    # The coordinator approves the other member (audited as theirs).
    other_membership = other.membership
    assert other_membership is not None
    decide_membership(db, member, other_membership, approve=True)
    record(db, actor=member, action="membership.approve", object_type="membership",
           object_id=other_membership.id, object_label=other.name)  # fmt: skip
    set_follows(db, other.id, "country", ["JP"])
    set_follows(db, other.id, "sector", ["food"])

    # Discussions: a thread, a good practice with a file, a reply (edited), a flag.
    thread = threads.start(
        member, title=f"{words['thread']} market entry", body="Our first steps in Japan."
    )
    practice = start_good_practice(
        db, member, categories["good-practices"], title=f"{words['good_practice']} trade mission",
        approach="A shared stand.", results="Two agreements.",
    )  # fmt: skip
    stored = _stored_file(uploads_dir, f"{words['thread_attachment']}.txt", "Stand plan.")
    thread_attachment = ThreadAttachment(
        thread_id=practice.id, uploader_id=member.id,
        original_name=f"{words['thread_attachment']}.txt", storage_name=stored.storage_name,
        sha256=stored.sha256, size=stored.size, mime=stored.mime,
    )  # fmt: skip
    db.add(thread_attachment)
    others_thread = threads.start(other, title="Osaka distributors", body="Who knows one?")
    reply = threads.reply(member, others_thread, "A first draft.")
    discussion_writes.edit_post(db, member, reply, body=f"{words['reply']} distributors in Osaka.")
    threads.reply(other, thread, "Thank you for this.", thread_opening(db, thread))
    flagged = threads.reply(other, others_thread, "Buy cheap watches.")
    flag = flags.flag(
        db, member, object_type="post", object_id=flagged.id, reason="Spam.",
        settings=settings,
    )  # fmt: skip
    flags.resolve_flag(db, member, flag, reason="Checked.")
    # How far the member read the other's thread (the reading state).
    db.add(ThreadRead(user_id=member.id, thread_id=others_thread.id,
                      last_read_post_id=flagged.id))  # fmt: skip

    # Intelligence: a published item with a file.
    item = intel_writes.create_item(
        db, member,
        intel_writes.ItemInput(title=f"{words['intel']} food import rules", kind="news",
                        summary="Processed food rules change in April.",
                        countries=["JP"], sectors=food),
    )  # fmt: skip
    stored = _stored_file(uploads_dir, f"{words['intel_attachment']}.txt", "Annex of rules.")
    intel_attachment = intel_attachments.add_attachment(
        db, member, item, stored, f"{words['intel_attachment']}.txt"
    )
    # Tag corrections: a tag removed and put back (the item's tags end as they were).
    tag_review.correct_tag(db, member, item, "countries", "JP", "removed")
    tag_review.correct_tag(db, member, item, "countries", "JP", "added")

    # Events: one the member added, and marks (their own and their partnership's).
    soon = now.date() + dt.timedelta(days=5)
    event = events.create_event(
        db, member,
        events.EventInput(name=f"{words['event']} food fair", country="JP", city="Osaka",
                          starts_on=soon, ends_on=soon, sectors=food),
    )  # fmt: skip
    others_event = events.create_event(
        db, other, events.EventInput(name="FOODEX Japan", country="JP", starts_on=soon)
    )
    event_attendance.set_attendance(db, member, others_event, status="going")
    event_attendance.set_attendance(
        db, member, others_event, status="interested", for_partnership=True
    )
    calendar_tokens.reset_calendar_token(db, member, secret_key=TEST_SECRET)
    # Inbound mail: a message received from the member, a revocation, a thread to confirm.
    from forum.inbound.models import InboundMember, InboundMessage, PendingThread

    db.add(InboundMessage(message_key="e" * 64, message_id="<everything@example.eu>",
                          via="inbox", sender=member.email, status="refused",
                          reason="wrong-sender", user_id=member.id))  # fmt: skip
    db.add(InboundMember(user_id=member.id, revoked_before=now))
    db.add(PendingThread(token_hash="f" * 64, user_id=member.id,
                         category_id=categories["market-intelligence"].id,
                         title="By email", body="Sent by email."))  # fmt: skip
    db.flush()
    return Everything(
        member=member, other=other, partnership=partnership, intel_item=item,
        intel_attachment=intel_attachment, thread=thread, good_practice=practice,
        thread_attachment=thread_attachment, reply=reply, event=event,
        others_thread=others_thread, others_event=others_event, words=words,
    )  # fmt: skip


def thread_opening(db: Session, thread: Thread) -> Post:
    from sqlalchemy import select

    post = db.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_opening))
    assert post is not None
    return post
