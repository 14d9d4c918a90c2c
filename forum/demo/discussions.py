"""Demo part: the report's showcases as good practices; Table 5 and section 4.2 as discussions.

The texts live in `data/discussions.json`, each item naming the section it comes from.
Posts quote the report or say they were written for the demo. Each partnership that
posts gets one demo member (no password, an undeliverable `.invalid` address); the
discussions are opened by a "Platform team (demo)" moderator. Idempotent: a thread
found by title and source note is left as it is, so a second run adds and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import Membership, User
from forum.accounts.service import create_user, get_user_by_email
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.demo.registry import demo_part
from forum.discussions.admin_service import seed_categories
from forum.discussions.models import Category, Thread
from forum.discussions.writes import GoodPracticeInput, ThreadInput, create_thread, reply
from forum.notifications.models import EmailSettings
from forum.notifications.service import EMAIL_TOGGLES
from forum.partnerships.models import Partnership
from forum.partnerships.service import find_partnership_by_name

SOURCE_NOTE = "From the 2019 ECCP consultation report of the ESCP-4i partnerships (section {})"
PLATFORM = "platform"
PLATFORM_NAME = "Platform team (demo)"
DEMO_EMAIL = "demo+{}@example.invalid"  # .invalid (RFC 2606): nothing is ever delivered
SPREAD = dt.timedelta(days=14)
REPLY_GAP = dt.timedelta(hours=6)


def report_discussions() -> dict[str, Any]:
    text = resources.files("forum.demo").joinpath("data/discussions.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def source_note(section: str) -> str:
    return SOURCE_NOTE.format(section)


def _demo_user(db: Session, key: str, created: list[User]) -> User:
    """The demo member of partnership `key` (Table 1 name), or the platform team."""
    partnership = None
    if key == PLATFORM:
        email, name, role = DEMO_EMAIL.format("platform-team"), PLATFORM_NAME, "moderator"
    else:
        partnership = find_partnership_by_name(db, key)
        if partnership is None:
            raise LookupError(f"partnership {key!r} missing: load the partnerships part first")
        email, role = DEMO_EMAIL.format(partnership.slug), "member"
        name = f"{partnership.name} (demo member)"
    user = get_user_by_email(db, email)
    if user is not None:
        return user
    user = create_user(db, email=email, name=name, password=None, role=role, verified=True)
    user.onboarded_at = utcnow()
    user.digest_frequency = "off"
    # The addresses are undeliverable: no immediate email either (nor jobs deciding so).
    db.add(EmailSettings(user_id=user.id, **dict.fromkeys(EMAIL_TOGGLES.values(), False)))
    if partnership is not None:
        user.membership = Membership(
            partnership=partnership, status="approved", decided_at=utcnow()
        )
    db.flush()
    created.append(user)
    return user


def _thread_input(db: Session, item: dict[str, Any], author: User, body: str) -> ThreadInput:
    category = db.scalar(select(Category).where(Category.slug == item["category"]))
    assert category is not None, item["category"]
    if item["kind"] != "good_practice":
        return ThreadInput(title=item["title"], body=body, category=category)
    partnership: Partnership | None = author.partnership
    assert partnership is not None
    # Countries the showcase names; a showcase naming none has no "countries" key and
    # takes the partnership's Table 1 target markets. Sectors: the partnership's (Table 1).
    countries = item.get("countries", partnership.country_codes)
    fields = ("approach", "results", "challenge", "lessons", "contact")
    return ThreadInput(
        title=item["title"],
        body=body,
        category=category,
        kind="good_practice",
        countries=countries,
        sectors=partnership.sectors,
        good_practice=GoodPracticeInput(**{name: item[name] for name in fields}),
    )


@demo_part("discussions", order=20)
def load_discussions(session: Session, settings: Settings) -> str:
    data = report_discussions()
    seed_categories(session)
    items = data["threads"]
    now = utcnow()
    step = (SPREAD - dt.timedelta(days=1)) / len(items)
    users: list[User] = []
    new = 0
    for index, item in enumerate(items):
        note = source_note(item["section"])
        found = session.scalar(
            select(Thread.id).where(Thread.title == item["title"], Thread.source_note == note)
        )
        if found is not None:
            continue
        # Spread over the last 14 days by position in the file; replies follow their thread.
        when = now - SPREAD + dt.timedelta(hours=1) + index * step
        author = _demo_user(session, item.get("author", item.get("partnership", "")), users)
        body = item.get("body") or data["good_practice_body"].format(**item)
        data_in = _thread_input(session, item, author, body)
        # MAGIA's showcase names no country and Table 1 says "To be defined": its good
        # practice keeps no country (unknown, not invented): imported content is exempt
        # from the rule that asks members to tag at least one.
        thread = create_thread(
            session,
            author,
            data_in,
            created_at=when,
            source_note=note,
            check_limits=False,
            require_tags=False,
        )
        posts = item.get("posts", [])
        gap = min(REPLY_GAP, (now - when) / (len(posts) + 1))
        ids: dict[str, int] = {}
        for number, post in enumerate(posts, start=1):
            written = reply(
                session,
                _demo_user(session, post["author"], users),
                thread,
                body=post["body"],
                parent_id=ids.get(post.get("parent", "")),
                created_at=when + number * gap,
                check_limits=False,
            )
            ids[post["key"]] = written.id
        new += 1
    return f"{len(items)} threads from the report ({new} new), {len(users)} demo members added"
