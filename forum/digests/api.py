"""JSON routes of the digests: the member's preferences and a preview of their next digest.

Thin: parse, call the service, commit once. Invalid preferences answer 422 naming the
field, in FastAPI's own shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from forum.accounts.deps import ApiUser
from forum.core import i18n
from forum.core.web import AppSettings, DbSession
from forum.digests import service
from forum.digests.digest import Digest
from forum.digests.render import digest_text
from forum.digests.schemas import (
    DigestPreviewOut,
    EntryOut,
    FollowLinkOut,
    PreferencesIn,
    PreferencesOut,
    SectionOut,
)
from forum.discussions.api import R401

router = APIRouter(tags=["digests"])

R422: dict[int | str, dict[str, Any]] = {
    422: {"description": "A preference that cannot be saved; `loc` names the field"}
}


def _out(prefs: service.Preferences) -> PreferencesOut:
    return PreferencesOut(
        frequency=prefs.frequency,
        weekday=prefs.weekday,
        hour=prefs.hour,
        timezone=prefs.timezone,
        countries=prefs.countries,
        sectors=prefs.sectors,
        categories=prefs.categories,
    )


@router.get("/me/preferences", response_model=PreferencesOut, responses={**R401})
def get_preferences(db: DbSession, user: ApiUser) -> PreferencesOut:
    """Your digest schedule and the follows it reads (countries include region groups)."""
    return _out(service.get_preferences(db, user))


@router.put("/me/preferences", response_model=PreferencesOut, responses={**R401, **R422})
def put_preferences(data: PreferencesIn, db: DbSession, user: ApiUser) -> PreferencesOut:
    """Change your digest schedule and follows. Fields left out keep their value; a list
    replaces those follows (thread and partnership follows are kept)."""
    prefs = service.update_preferences(db, user, service.PreferencesInput(**data.model_dump()))
    db.commit()
    return _out(prefs)


def _preview_out(digest: Digest, text: str) -> DigestPreviewOut:
    return DigestPreviewOut(
        subject=digest.subject,
        period=digest.period,
        window_start=digest.window_start,
        window_end=digest.window_end,
        highlights=digest.highlights,
        would_send=not digest.is_empty,
        sections=[
            SectionOut(
                key=s.key,
                title=s.title,
                summary=s.summary,
                entries=[
                    EntryOut(title=e.title, url=e.url, meta=e.meta, excerpt=e.excerpt)
                    for e in s.entries
                ],
                more=s.more,
                more_url=s.more_url,
                follow_links=[FollowLinkOut(label=label, url=url) for label, url in s.follow_links],
            )
            for s in digest.sections
        ],
        text=text,
    )


@router.get("/me/digest/preview", response_model=DigestPreviewOut, responses={**R401})
def digest_preview(db: DbSession, settings: AppSettings, user: ApiUser) -> DigestPreviewOut:
    """Your next digest as it would be sent now (its window runs from the end of your last
    digest's). `would_send` is false when nothing is new: no email would go. Its words
    are the email's: in the language of your profile."""
    digest = service.preview_digest(db, settings, user)
    with i18n.using(user.language, user.timezone):
        return _preview_out(digest, digest_text(settings, user, digest))
