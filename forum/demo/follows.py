"""Demo part: each demo member follows their partnership's targets, as a new member does.

Registering with a partnership starts a member with its Table 1 target countries and
sectors (DESIGN.md: Follow); the demo members of `discussions` and `events` are created
without that step, so they get it here, and `forum digest preview --user
demo+<slug>@example.invalid` shows a full digest right after `forum demo`. Additive and
idempotent: follows already there are kept, nothing is added twice. The platform team's
account belongs to no partnership and follows nothing (its digest is the highlights).

Demo accounts have undeliverable `.invalid` addresses and their digest off; their
immediate emails are turned off too, so the demo's replies queue no mail.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import Membership, User
from forum.core.config import Settings
from forum.demo.discussions import DEMO_EMAIL
from forum.demo.registry import demo_part
from forum.notifications.models import EmailSettings
from forum.notifications.service import follow
from forum.partnerships.models import Partnership


@demo_part("follows", order=50)
def load_follows(session: Session, settings: Settings) -> str:
    pattern = DEMO_EMAIL.format("%")
    members = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(User.email.like(pattern), Membership.status == "approved")
        .options(
            selectinload(User.membership)
            .selectinload(Membership.partnership)
            .selectinload(Partnership.sectors),
            selectinload(User.membership)
            .selectinload(Membership.partnership)
            .selectinload(Partnership.country_rows),
        )
        .order_by(User.id)
    ).all()
    targets = 0
    for user in session.scalars(select(User).where(User.email.like(pattern))):
        if session.get(EmailSettings, user.id) is None:
            session.add(
                EmailSettings(
                    user_id=user.id,
                    notify_replies=False,
                    notify_mentions=False,
                    notify_thread_posts=False,
                )
            )
    for user in members:
        partnership = user.partnership
        if partnership is None:
            continue
        for code in partnership.country_codes:
            follow(session, user.id, "country", code)
            targets += 1
        for sector in partnership.sectors:
            follow(session, user.id, "sector", sector.slug)
            targets += 1
    session.flush()
    return f"{len(members)} demo members follow their partnership's targets ({targets} follows)"
