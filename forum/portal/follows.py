"""What a member can follow, resolved from a form or a link: a country, region group,
sector, category, partnership or thread (one the viewer may see)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.errors import Invalid
from forum.core.formats import country_name
from forum.core.i18n import _
from forum.discussions.models import Category, Thread
from forum.discussions.service import can_see_thread
from forum.notifications.models import FOLLOW_TARGETS
from forum.partnerships.models import Partnership
from forum.taxonomy.regions import get_region_group
from forum.taxonomy.service import get_country, get_sector


@dataclass(frozen=True)
class Target:
    type: str
    key: str  # as stored in follow.target
    label: str


class InvalidTarget(Invalid):
    """Something that cannot be followed: an unknown kind, or nothing by that name."""


def resolve_target(db: Session, viewer: User, target_type: str, target: str) -> Target:
    """The followable thing named by the form, normalised as follows store it.

    Raises InvalidTarget with a message when the type is unknown or the target does not
    exist (a thread the viewer cannot see counts as not existing).
    """
    value = target.strip()
    if target_type not in FOLLOW_TARGETS:
        raise InvalidTarget(_("%(kind)r is not something you can follow.", kind=target_type))
    if target_type == "country":
        country = get_country(value) if len(value) == 2 else None
        if country is None:
            raise InvalidTarget(_("%(value)r is not an ISO 3166-1 country code.", value=value))
        return Target("country", country.code, country_name(country.code))
    if target_type == "region_group":
        group = get_region_group(value)
        if group is None:
            raise InvalidTarget(_("%(value)r is not a region group we know.", value=value))
        return Target("region_group", group.code, group.label)
    if target_type == "sector":
        sector = get_sector(db, value.lower())
        if sector is None:
            raise InvalidTarget(_("%(value)r is not a sector we know.", value=value))
        return Target("sector", sector.slug, sector.label)
    if target_type == "category":
        category = db.scalar(select(Category).where(Category.slug == value.lower()))
        if category is None:
            raise InvalidTarget(_("%(value)r is not a category we know.", value=value))
        return Target("category", category.slug, category.name)
    number = int(value) if value.isdigit() and len(value) < 10 else None
    if target_type == "partnership":
        partnership = db.get(Partnership, number) if number else None
        if partnership is None:
            raise InvalidTarget(_("There is no partnership %(value)r.", value=value))
        return Target("partnership", str(partnership.id), partnership.name)
    thread = db.get(Thread, number) if number else None
    if thread is None or not can_see_thread(viewer, thread):
        raise InvalidTarget(_("There is no thread %(value)r.", value=value))
    return Target("thread", str(thread.id), _("“%(title)s”", title=thread.title))
