"""The countries, region groups and sectors a form submits: read, resolved, each field's error.

Every form that tags something (threads and good practices, intelligence items, events,
harvested feeds, partnerships, a member's interests) reads its tag fields here, so they
accept the same values and name a bad one the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from forum.core.errors import Invalid
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import (
    UnknownCountryError,
    get_region_group,
    is_region_code,
)
from forum.taxonomy.service import UnknownSectorError, resolve_country_filter, resolve_sectors

# A form's message for an unknown country code (or group) and for an unknown sector slug.
Message = Callable[[str], str]


def _unknown_country(code: str) -> str:
    return str(UnknownCountryError(code))


def _unknown_sector(slug: str) -> str:
    return str(UnknownSectorError(slug))


class TagFieldsError(Invalid):
    """Some tag fields hold unknown values; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()), next(iter(errors), None))
        self.errors = errors

    @property
    def first(self) -> tuple[str, str]:
        """The first bad field and its message (countries before sectors), for forms
        that report one error at a time."""
        return next(iter(self.errors.items()))


@dataclass(frozen=True)
class TagFields:
    """What the form's tag fields name: ISO country codes, region-group codes (only with
    `keep_groups`; otherwise groups are expanded into `countries`) and sectors."""

    countries: list[str] = field(default_factory=list)
    sectors: list[Sector] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    @property
    def sector_slugs(self) -> list[str]:
        return [s.slug for s in self.sectors]


def read_tag_fields(
    db: Session,
    *,
    countries: Sequence[str] = (),
    sectors: Sequence[str] = (),
    keep_groups: bool = False,
    unknown_country: Message = _unknown_country,
    unknown_sector: Message = _unknown_sector,
) -> TagFields:
    """Resolve the submitted values (blank ones ignored); raises TagFieldsError naming each
    field that holds an unknown value (`countries`, `sectors`), by the form's own messages.

    Region groups (`g:asean`) are expanded into their members, unless `keep_groups` keeps
    them as groups (a member follows a group, which changes as the group does).
    """
    errors: dict[str, str] = {}
    codes: list[str] = []
    groups: list[str] = []
    try:
        if keep_groups:
            for value in (v.strip() for v in countries if v.strip()):
                group = get_region_group(value) if is_region_code(value) else None
                if group is not None:
                    groups.append(group.code)
                else:
                    codes.extend(resolve_country_filter([value]))
        else:
            codes = resolve_country_filter(countries)
    except UnknownCountryError as exc:
        errors["countries"] = unknown_country(exc.code)
    chosen: list[Sector] = []
    try:
        chosen = resolve_sectors(db, sectors)
    except UnknownSectorError as exc:
        errors["sectors"] = unknown_sector(exc.slug)
    if errors:
        raise TagFieldsError(errors)
    return TagFields(countries=codes, sectors=chosen, groups=groups)
