"""A member's digest preferences and email settings, and the digest's follow/mute links.

Preferences are the schedule on the user row plus the member's follows (countries, region
groups, sectors, categories): the one store the profile and the follow buttons also
write. Email settings (immediate emails, a bouncing address) live in `email_settings`,
created on the first change. Functions flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import DIGEST_FREQUENCIES, User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.errors import Invalid
from forum.core.i18n import _, _l
from forum.digests.builder import build_digest
from forum.digests.candidates import Candidates
from forum.digests.digest import Digest
from forum.digests.models import DigestDelivery
from forum.digests.news import load_candidates
from forum.digests.schedule import PERIOD_LENGTH, window_start
from forum.digests.tokens import interest_token, read_interest_token, read_interests_token
from forum.discussions.models import Category
from forum.discussions.service import can_see_category
from forum.notifications import service as follows
from forum.notifications.models import EmailSettings
from forum.portal.follows import InvalidTarget, Target, resolve_target
from forum.taxonomy.regions import UnknownCountryError, get_region_group, is_region_code
from forum.taxonomy.service import UnknownSectorError, resolve_country_filter, resolve_sectors

WEEKDAYS = (
    _l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
    _l("Saturday"), _l("Sunday"),
)  # fmt: skip
# The follows that preferences carry; thread and partnership follows are kept as they are.
PREFERENCE_FOLLOWS = ("country", "region_group", "sector", "category")
MAX_COUNTRIES = 300
MAX_SECTORS = 100
MAX_CATEGORIES = 100


class PreferencesError(Invalid):
    """Input that cannot be saved; `field` names the preference at fault."""

    field: str  # always names one

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field)


@dataclass(frozen=True)
class Preferences:
    """The JSON shape of `/me/preferences` (DESIGN.md), as the member's rows say it."""

    frequency: str
    weekday: int  # Monday = 0
    hour: int  # 0-23, in `timezone`
    timezone: str
    countries: list[str]  # region groups (g:...) first, then ISO codes
    sectors: list[str]
    categories: list[str]


@dataclass(frozen=True)
class PreferencesInput:
    """A change of preferences: None leaves that preference as it is."""

    frequency: str | None = None
    weekday: int | None = None
    hour: int | None = None
    timezone: str | None = None
    countries: Sequence[str] | None = None
    sectors: Sequence[str] | None = None
    categories: Sequence[str] | None = None


def get_preferences(db: Session, user: User) -> Preferences:
    mine = follows.list_follows(db, user.id)
    return Preferences(
        frequency=user.digest_frequency,
        weekday=user.digest_weekday,
        hour=user.digest_hour,
        timezone=user.timezone,
        countries=mine["region_group"] + mine["country"],
        sectors=mine["sector"],
        categories=mine["category"],
    )


def _places(values: Sequence[str]) -> tuple[list[str], list[str]]:
    """(region groups, ISO countries) of `values`; groups stay groups (expanded when read)."""
    if len(values) > MAX_COUNTRIES:
        raise PreferencesError(
            _("Follow at most %(max)s countries.", max=MAX_COUNTRIES), "countries"
        )
    groups: list[str] = []
    countries: list[str] = []
    for value in (v.strip() for v in values if v.strip()):
        group = get_region_group(value) if is_region_code(value) else None
        if group is not None:
            groups.append(group.code)
            continue
        try:
            countries.extend(resolve_country_filter([value]))
        except UnknownCountryError as exc:
            raise PreferencesError(
                _(
                    "%(value)s is not an ISO 3166-1 country code or a region group we know.",
                    value=repr(value),
                ),
                "countries",
            ) from exc
    return sorted(set(groups)), sorted(set(countries))


def _sectors(db: Session, values: Sequence[str]) -> list[str]:
    if len(values) > MAX_SECTORS:
        raise PreferencesError(_("Follow at most %(max)s sectors.", max=MAX_SECTORS), "sectors")
    try:
        return sorted({s.slug for s in resolve_sectors(db, list(values))})
    except UnknownSectorError as exc:
        raise PreferencesError(
            _("%(slug)s is not a sector we know.", slug=repr(exc.slug)), "sectors"
        ) from exc


def _categories(db: Session, user: User, values: Sequence[str]) -> list[str]:
    if len(values) > MAX_CATEGORIES:
        raise PreferencesError(
            _("Follow at most %(max)s categories.", max=MAX_CATEGORIES), "categories"
        )
    wanted = list(dict.fromkeys(v.strip().lower() for v in values if v.strip()))
    found = {c.slug: c for c in db.scalars(select(Category).where(Category.slug.in_(wanted)))}
    for slug in wanted:
        category = found.get(slug)
        # A category the member may not read answers like one that does not exist.
        if category is None or not can_see_category(user, category):
            raise PreferencesError(
                _("%(slug)s is not a discussion category we know.", slug=repr(slug)), "categories"
            )
    return sorted(wanted)


def update_preferences(db: Session, user: User, data: PreferencesInput) -> Preferences:
    """Check every given preference, then save them all; raises PreferencesError naming
    the first field at fault before anything is changed."""
    if data.frequency is not None and data.frequency not in DIGEST_FREQUENCIES:
        raise PreferencesError(_("Choose weekly, daily or off."), "frequency")
    if data.weekday is not None and not 0 <= data.weekday <= 6:
        raise PreferencesError(_("The weekday is 0 (Monday) to 6 (Sunday)."), "weekday")
    if data.hour is not None and not 0 <= data.hour <= 23:
        raise PreferencesError(_("The hour is 0 to 23, in your time zone."), "hour")
    if data.timezone is not None and data.timezone not in available_timezones():
        raise PreferencesError(
            _(
                "%(zone)s is not a time zone we know (e.g. Europe/Brussels).",
                zone=repr(data.timezone),
            ),
            "timezone",
        )
    places = _places(data.countries) if data.countries is not None else None
    sectors = _sectors(db, data.sectors) if data.sectors is not None else None
    categories = _categories(db, user, data.categories) if data.categories is not None else None

    if data.frequency is not None:
        user.digest_frequency = data.frequency
    if data.weekday is not None:
        user.digest_weekday = data.weekday
    if data.hour is not None:
        user.digest_hour = data.hour
    if data.timezone is not None:
        user.timezone = data.timezone
    if places is not None:
        follows.set_follows(db, user.id, "region_group", places[0])
        follows.set_follows(db, user.id, "country", places[1])
    if sectors is not None:
        follows.set_follows(db, user.id, "sector", sectors)
    if categories is not None:
        follows.set_follows(db, user.id, "category", categories)
    db.flush()
    return get_preferences(db, user)


def save_settings(
    db: Session,
    user: User,
    data: PreferencesInput,
    *,
    notify_replies: bool,
    notify_mentions: bool,
    notify_thread_posts: bool,
) -> Preferences:
    """The settings page's one form: preferences and immediate emails together; raises
    PreferencesError before anything is changed."""
    prefs = update_preferences(db, user, data)
    update_email_settings(
        db,
        user,
        notify_replies=notify_replies,
        notify_mentions=notify_mentions,
        notify_thread_posts=notify_thread_posts,
    )
    return prefs


# --- email settings -------------------------------------------------------------------------


def get_email_settings(db: Session, user_id: int) -> EmailSettings:
    """The member's email settings; the defaults (not yet saved) when they never chose."""
    found = db.get(EmailSettings, user_id)
    if found is not None:
        return found
    return EmailSettings(
        user_id=user_id,
        notify_replies=True,
        notify_mentions=True,
        notify_thread_posts=True,
        immediate_count=0,
    )


def _saved_email_settings(db: Session, user_id: int) -> EmailSettings:
    row = get_email_settings(db, user_id)
    if row not in db:
        db.add(row)
    return row


def update_email_settings(
    db: Session,
    user: User,
    *,
    notify_replies: bool,
    notify_mentions: bool,
    notify_thread_posts: bool,
) -> EmailSettings:
    row = _saved_email_settings(db, user.id)
    row.notify_replies = notify_replies
    row.notify_mentions = notify_mentions
    row.notify_thread_posts = notify_thread_posts
    db.flush()
    return row


def confirm_address(db: Session, user: User) -> bool:
    """The member says their address works again: mail resumes. Answers whether it was
    marked bouncing."""
    row = db.get(EmailSettings, user.id)
    if row is None or row.bouncing_at is None:
        return False
    row.bouncing_at = None
    row.bounce_reason = None
    db.flush()
    return True


# --- follow and mute links of the digest ------------------------------------------------------


@dataclass(frozen=True)
class InterestChange:
    """What a digest's follow or mute link does for whom."""

    user: User
    action: str  # "follow" or "mute"
    target: Target
    # Whether the member follows the target now (before the change is applied).
    following: bool

    @property
    def needed(self) -> bool:
        """False when the link would change nothing (already followed, or not followed)."""
        return self.following != (self.action == "follow")


def read_interest(db: Session, *, secret_key: str, token: str) -> InterestChange | None:
    """What an interest token asks, or None for a forged token, a member who is gone or
    suspended, or a target that no longer exists (or is not theirs to see)."""
    found = read_interest_token(secret_key, token)
    if found is None:
        return None
    user_id, action, target_type, target = found
    user = db.get(User, user_id)
    if user is None or user.is_suspended:
        return None
    try:
        resolved = resolve_target(db, user, target_type, target)
    except InvalidTarget:
        return None
    following = follows.follow_state(db, user.id, resolved.type, resolved.key)
    return InterestChange(user, action, resolved, following)


def read_interests(
    db: Session, *, secret_key: str, token: str
) -> list[tuple[InterestChange, str]] | None:
    """A section's follow and mute links as one (`tokens.interests_token`): each change
    that still makes sense, with the single link's token its button posts to; None for a
    forged token or a member who is gone or suspended."""
    found = read_interests_token(secret_key, token)
    if found is None:
        return None
    user_id, choices = found
    user = db.get(User, user_id)
    if user is None or user.is_suspended:
        return None
    out = []
    for action, target_type, target in choices:
        single = interest_token(secret_key, user_id, action, target_type, target)
        change = read_interest(db, secret_key=secret_key, token=single)
        if change is not None:
            out.append((change, single))
    return out


def apply_interest_token(db: Session, *, secret_key: str, token: str) -> InterestChange | None:
    """Follow or unfollow what the token names, for the member it names; None as
    read_interest. Applying it twice changes nothing the second time."""
    change = read_interest(db, secret_key=secret_key, token=token)
    if change is None:
        return None
    if change.action == "follow":
        follows.follow(db, change.user.id, change.target.type, change.target.key)
    else:
        follows.unfollow(db, change.user.id, change.target.type, change.target.key)
    db.flush()
    return change


# --- the digest as it would be sent now, and the home page's week --------------------------

WEEK = dt.timedelta(days=7)


def preview_digest(
    db: Session, settings: Settings, user: User, *, now: dt.datetime | None = None
) -> Digest:
    """The member's next digest if it were sent now: its period is today's local date and
    its window runs from the end of their last digest's window (as the planner reckons it)
    or, before their first, one period back. Shown even when the digest is off."""
    now = now or utcnow()
    length = PERIOD_LENGTH.get(user.digest_frequency, WEEK)
    last_end = db.scalar(
        select(func.max(DigestDelivery.window_end)).where(DigestDelivery.user_id == user.id)
    )
    start = window_start(last_end, now, length)
    period = now.astimezone(ZoneInfo(user.timezone)).date()
    return build_digest(
        db, settings, user, period=period, window_start=start, window_end=now, now=now
    )


class WeekCandidates:
    """The week's candidates, shared by every member's "Your week" for a minute.

    Loading the week is most of the cost of the page (about 0.2 s over 100,000 synthetic
    threads, posts and items); with this, a member's home page costs their own three
    small queries. What was written in the last minute may show a minute late. One per
    application (`app.state`), so tests and processes never share one.
    """

    def __init__(self, ttl: dt.timedelta = dt.timedelta(seconds=60)) -> None:
        self.ttl = ttl
        self._loaded: Candidates | None = None

    def get(self, db: Session, now: dt.datetime) -> Candidates:
        loaded = self._loaded
        if loaded is None or not loaded.now <= now < loaded.now + self.ttl:
            # Two requests may both load at expiry: harmless, the later one is kept.
            loaded = load_candidates(db, window_start=now - WEEK, window_end=now, now=now)
            self._loaded = loaded
        return loaded


def your_week(
    db: Session,
    settings: Settings,
    user: User,
    *,
    now: dt.datetime | None = None,
    cache: WeekCandidates | None = None,
) -> Digest:
    """The digest's sections over the last seven days, live, for the home page."""
    now = now or utcnow()
    period = now.astimezone(ZoneInfo(user.timezone)).date()
    return build_digest(
        db,
        settings,
        user,
        period=period,
        window_start=now - WEEK,
        window_end=now,
        now=now,
        candidates=cache.get(db, now) if cache is not None else None,
    )


def since_last_visit(
    db: Session,
    settings: Settings,
    user: User,
    *,
    since: dt.datetime,
    now: dt.datetime | None = None,
    cache: WeekCandidates | None = None,
) -> Digest:
    """What is new for the member since `since` (the end of their previous visit), at
    most a week back: replies in the threads they follow, intelligence and good practices
    for their follows, picked as the digest picks them (from the week's candidates)."""
    now = now or utcnow()
    period = now.astimezone(ZoneInfo(user.timezone)).date()
    return build_digest(
        db,
        settings,
        user,
        period=period,
        window_start=min(max(since, now - WEEK), now),
        window_end=now,
        now=now,
        candidates=cache.get(db, now) if cache is not None else None,
        only=("threads", "intel", "good_practices"),
    )
