"""The harvested feeds an admin keeps: their settings, validated, and the changes to them.

The admin pages and the `forum import feeds` commands both go through here; every change
is audited. Harvesting itself is in `harvest.py`.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.audit import record
from forum.core.errors import Invalid, NotAllowed
from forum.core.formats import format_number
from forum.core.i18n import _
from forum.core.pagination import Page
from forum.core.text import clean_line, control_characters_message, has_control_characters
from forum.intelligence.fetch_deadline import DEFAULT_DEADLINE, FetchFailed
from forum.intelligence.fetch_guard import FetchRefused, check_url
from forum.intelligence.models import INTEL_KINDS, URL_MAX, Feed, IntelItem
from forum.taxonomy.forms import TagFieldsError, read_tag_fields
from forum.taxonomy.service import list_sectors

DEFAULT_INTERVAL = 360  # minutes: every 6 hours
MIN_INTERVAL = 15
MAX_INTERVAL = 7 * 24 * 60
NAME_MAX = 200

_INTERVAL = re.compile(r"^\s*(\d{1,6})\s*([mhd]?)\s*$", re.IGNORECASE)
_UNIT_MINUTES = {"": 1, "m": 1, "h": 60, "d": 24 * 60}


class FeedSettingsError(Invalid):
    """The feed's settings have problems; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()), next(iter(errors), None))
        self.errors = errors


@dataclass(frozen=True)
class FeedSettings:
    """A feed's settings as typed in the CLI or the admin form (validated by `clean`).

    `countries` may hold region-group codes (`g:asean`), stored as their members;
    `interval` is minutes (`360`) or a number with a unit (`90m`, `6h`, `1d`).
    """

    name: str = ""
    countries: Sequence[str] = ()
    sectors: Sequence[str] = ()
    kind: str = "news"
    interval: str = str(DEFAULT_INTERVAL)
    auto_publish: bool = False
    enabled: bool = False
    source_url: str = ""


@dataclass(frozen=True)
class CleanSettings:
    name: str
    countries: list[str]
    sectors: list[str]
    kind: str
    interval_minutes: int
    auto_publish: bool
    enabled: bool
    source_url: str | None


def split_codes(text: str) -> list[str]:
    """`"JP, KR g:asean"` → `["JP", "KR", "g:asean"]` (commas or spaces between codes)."""
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def parse_interval(text: str) -> int:
    """Minutes from `360`, `90m`, `6h` or `1d`; raises ValueError saying what is accepted."""
    match = _INTERVAL.match(text or "")
    if not match:
        raise ValueError(
            _(
                "Give the interval in minutes (360) or with a unit (90m, 6h, 1d), not %(value)r.",
                value=text,
            )
        )
    minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2).lower()]
    if not MIN_INTERVAL <= minutes <= MAX_INTERVAL:
        raise ValueError(
            _(
                "Harvest between every %(min)s minutes and every %(max)s days.",
                min=MIN_INTERVAL,
                max=MAX_INTERVAL // 1440,
            )
        )
    return minutes


def format_interval(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def http_url(value: str) -> str | None:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def check_feed_url(
    url: str, *, allow_private: bool, deadline: float = DEFAULT_DEADLINE
) -> tuple[str, str | None]:
    """The URL to store and a warning, or FeedSettingsError saying why it is refused.

    Without FORUM_ALLOW_PRIVATE_FEEDS the SSRF guard runs now (it runs again on every
    fetch): loopback, private and other non-public addresses are refused. A host that
    does not resolve at the moment (within `deadline` seconds) is accepted with a
    warning; its harvest records the error until it resolves.
    """
    url = url.strip()
    if not url:
        raise FeedSettingsError({"url": _("Give the feed's address.")})
    if len(url) > URL_MAX:
        raise FeedSettingsError(
            {"url": _("Keep the address to %(max)s characters.", max=format_number(URL_MAX))}
        )
    if has_control_characters(url):
        raise FeedSettingsError({"url": control_characters_message()})
    if http_url(url) is None:
        raise FeedSettingsError({"url": _("Give an address starting with http:// or https://.")})
    if allow_private:
        return url, None
    try:
        check_url(url, allow_private=False, timeout=deadline)
    except FetchRefused as exc:
        raise FeedSettingsError({"url": _("This address is refused: %(why)s.", why=exc)}) from exc
    except FetchFailed as exc:
        return url, _(
            "The address does not resolve now (%(why)s); harvests will report it.", why=exc
        )
    return url, None


def _unknown_country(code: str) -> str:
    return _(
        "Unknown country or region group %(value)r: use ISO codes such as JP "
        "or groups such as g:asean.",
        value=code,
    )


def _unknown_sector(db: Session, slug: str) -> str:
    known = ", ".join(s.slug for s in list_sectors(db))
    if not known:
        return _("Unknown sector %(value)r: there are none yet (forum init adds them).", value=slug)
    return _("Unknown sector %(value)r: the sectors are %(known)s.", value=slug, known=known)


def clean(db: Session, data: FeedSettings, *, default_name: str = "") -> CleanSettings:
    """Validate every field at once; raises FeedSettingsError naming each bad one."""
    errors: dict[str, str] = {}
    name = clean_line(data.name) or default_name
    if not name:
        errors["name"] = _("Give the feed a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Keep the name to %(max)s characters.", max=NAME_MAX)
    countries: list[str] = []
    sectors: list[str] = []
    try:
        tags = read_tag_fields(
            db, countries=data.countries, sectors=data.sectors,
            unknown_country=_unknown_country, unknown_sector=lambda slug: _unknown_sector(db, slug),
        )  # fmt: skip
        countries, sectors = tags.countries, tags.sector_slugs
    except TagFieldsError as exc:
        errors.update(exc.errors)
    if data.kind not in INTEL_KINDS:
        errors["kind"] = _(
            "Unknown kind %(value)r: use one of %(known)s.",
            value=data.kind,
            known=", ".join(INTEL_KINDS),
        )
    interval = DEFAULT_INTERVAL
    try:
        interval = parse_interval(data.interval)
    except ValueError as exc:
        errors["interval"] = str(exc)
    source_url = data.source_url.strip() or None
    if source_url and (len(source_url) > URL_MAX or http_url(source_url) is None):
        errors["source_url"] = _("Give the publisher's site as an http:// or https:// address.")
    if errors:
        raise FeedSettingsError(errors)
    return CleanSettings(
        name=name,
        countries=countries,
        sectors=sectors,
        kind=data.kind,
        interval_minutes=interval,
        auto_publish=data.auto_publish,
        enabled=data.enabled,
        source_url=source_url,
    )


def require_admin(actor: User | None) -> None:
    """Admins manage feeds; `None` is the operator at the command line."""
    if actor is not None and not actor.is_admin:
        raise NotAllowed(_("Only admins manage harvested feeds."))


def _state(feed: Feed) -> dict[str, Any]:
    return {
        "name": feed.name,
        "countries": list(feed.default_countries or []),
        "sectors": list(feed.default_sectors or []),
        "kind": feed.default_kind,
        "interval_minutes": feed.interval_minutes,
        "auto_publish": feed.auto_publish,
        "enabled": feed.enabled,
        "source_url": feed.source_url,
    }


def create_feed(
    db: Session,
    actor: User | None,
    url: str,
    data: FeedSettings,
    *,
    allow_private: bool,
    deadline: float = DEFAULT_DEADLINE,
) -> tuple[Feed, str | None]:
    """A new feed and a warning (or None). Raises FeedSettingsError or NotAllowed.

    `deadline` bounds the address's DNS lookup (FORUM_FETCH_DEADLINE)."""
    require_admin(actor)
    errors: dict[str, str] = {}
    warning: str | None = None
    try:
        url, warning = check_feed_url(url, allow_private=allow_private, deadline=deadline)
    except FeedSettingsError as exc:
        errors.update(exc.errors)
    host = urllib.parse.urlsplit(url.strip()).hostname or ""
    try:
        settings = clean(db, data, default_name=host)
    except FeedSettingsError as exc:
        errors.update(exc.errors)
    if "url" not in errors:
        taken = db.scalar(select(Feed).where(Feed.url == url))
        if taken is not None:
            errors["url"] = _(
                "This feed is already harvested as %(name)r (#%(id)s).",
                name=taken.name,
                id=taken.id,
            )
    if errors:
        raise FeedSettingsError(errors)
    feed = Feed(url=url, items_added=0)
    _assign(feed, settings)
    db.add(feed)
    db.flush()
    record(
        db, actor=actor, action="feed.create", object_type="feed", object_id=feed.id,
        object_label=feed.name, details={"url": url, **_state(feed)},
    )  # fmt: skip
    return feed, warning


def _assign(feed: Feed, settings: CleanSettings) -> None:
    feed.name = settings.name
    feed.default_countries = settings.countries
    feed.default_sectors = settings.sectors
    feed.default_kind = settings.kind
    if feed.interval_minutes != settings.interval_minutes and feed.last_fetched_at:
        feed.next_fetch_at = feed.last_fetched_at + dt.timedelta(minutes=settings.interval_minutes)
    feed.interval_minutes = settings.interval_minutes
    feed.auto_publish = settings.auto_publish
    feed.enabled = settings.enabled
    feed.source_url = settings.source_url


def update_feed(db: Session, actor: User | None, feed: Feed, data: FeedSettings) -> dict[str, Any]:
    """Apply the settings; answers the changed fields (audited), empty when none changed."""
    require_admin(actor)
    settings = clean(db, data)
    before = _state(feed)
    _assign(feed, settings)
    after = _state(feed)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        db.flush()
        record(
            db, actor=actor, action="feed.update", object_type="feed", object_id=feed.id,
            object_label=feed.name, details=changes,
        )  # fmt: skip
    return changes


def set_enabled(db: Session, actor: User | None, feed: Feed, enabled: bool) -> bool:
    """Enable or disable harvesting; answers whether anything changed (audited)."""
    require_admin(actor)
    if feed.enabled == enabled:
        return False
    feed.enabled = enabled
    db.flush()
    record(
        db, actor=actor, action="feed.enable" if enabled else "feed.disable",
        object_type="feed", object_id=feed.id, object_label=feed.name,
    )  # fmt: skip
    return True


def delete_feed(db: Session, actor: User | None, feed: Feed) -> None:
    """Remove the feed; its items stay, without their link to it (the table's SET NULL)."""
    require_admin(actor)
    record(
        db, actor=actor, action="feed.delete", object_type="feed", object_id=feed.id,
        object_label=feed.name, details={"url": feed.url, "items_added": feed.items_added},
    )  # fmt: skip
    db.execute(update(IntelItem).where(IntelItem.feed_id == feed.id).values(feed_id=None))
    db.delete(feed)
    db.flush()


def get_feed(db: Session, feed_id: int) -> Feed | None:
    return db.get(Feed, feed_id)


def find_feed(db: Session, id_or_url: str) -> Feed | None:
    """The feed with this number or this exact URL."""
    value = id_or_url.strip()
    if value.isdigit():
        return db.get(Feed, int(value))
    return db.scalar(select(Feed).where(Feed.url == value))


def list_feeds(db: Session) -> list[Feed]:
    return list(db.scalars(select(Feed).order_by(Feed.name, Feed.id)))


def page_feeds(db: Session, *, page: int, per_page: int = 25) -> Page[Feed]:
    """Every feed by name: enabled or not, with its harvest state."""
    total = db.scalar(select(func.count()).select_from(Feed)) or 0
    items = list(
        db.scalars(
            select(Feed).order_by(Feed.name, Feed.id).offset((page - 1) * per_page).limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/admin/feeds", {})


def recent_items(db: Session, feed: Feed, *, limit: int = 10) -> list[IntelItem]:
    """The feed's latest items, newest first (the admin page shows them)."""
    return list(
        db.scalars(
            select(IntelItem)
            .where(IntelItem.feed_id == feed.id)
            .options(selectinload(IntelItem.sectors))
            .order_by(IntelItem.added_at.desc(), IntelItem.id.desc())
            .limit(limit)
        )
    )
