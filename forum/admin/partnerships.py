"""Admin rules for partnerships: the admin list and the edit form, every change audited.

Input is validated as a whole before anything changes, so a form with one bad field
changes nothing. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import Membership, User
from forum.accounts.service import get_user_by_email, normalize_email
from forum.core.audit import record
from forum.core.errors import Invalid, NotAllowed
from forum.core.formats import format_number
from forum.core.i18n import _
from forum.core.outbox import queue_document
from forum.core.pagination import Page
from forum.core.text import clean_line
from forum.partnerships.models import Partnership
from forum.partnerships.service import STRANDS
from forum.taxonomy.forms import TagFields, TagFieldsError, read_tag_fields

NAME_MAX = 200
WEBSITE_MAX = 500
DESCRIPTION_MAX = 10_000


@dataclass(frozen=True)
class PartnershipForm:
    """What the edit form sends, as typed. `countries` may hold region-group codes;
    `coordinator` is an email address or empty for none."""

    name: str
    website: str = ""
    description: str = ""
    strand: str = ""
    sectors: Sequence[str] = field(default_factory=tuple)
    countries: Sequence[str] = field(default_factory=tuple)
    coordinator: str = ""


class PartnershipEditError(Invalid):
    """The form has problems; `errors` maps each form field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()), next(iter(errors), None))
        self.errors = errors


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only admins edit partnerships here."))


def page_partnerships_admin(db: Session, *, page: int, per_page: int = 25) -> Page[Partnership]:
    """Every partnership by name, one numbered page of the admin list."""
    total = db.scalar(select(func.count()).select_from(Partnership)) or 0
    items = list(
        db.scalars(
            select(Partnership)
            .options(selectinload(Partnership.sectors), selectinload(Partnership.country_rows))
            .order_by(Partnership.name, Partnership.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/admin/partnerships", {})


def coordinators_of(db: Session, partnerships: Iterable[Partnership]) -> dict[int, User]:
    """Partnership id -> its coordinator, for those that have one (one query)."""
    wanted = {p.id: p.coordinator_id for p in partnerships if p.coordinator_id is not None}
    if not wanted:
        return {}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(set(wanted.values()))))}
    return {pid: users[uid] for pid, uid in wanted.items() if uid in users}


def _clean_website(raw: str) -> str | None:
    website = raw.strip()
    if not website:
        return None
    parts = urlsplit(website)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in website)
    ):
        raise ValueError(_("Enter a web address starting with http:// or https://."))
    if len(website) > WEBSITE_MAX:
        raise ValueError(
            _(
                "Use at most %(max)s characters for the web address.",
                max=format_number(WEBSITE_MAX),
            )
        )
    return website


def _name_taken(db: Session, partnership: Partnership, name: str) -> bool:
    """Whether another partnership is called `name` or knows it as an alias: CSV imports
    and invitations resolve partnerships by name, so names must stay unambiguous."""
    wanted = name.casefold()
    for other in db.scalars(select(Partnership).where(Partnership.id != partnership.id)):
        if any(n.casefold() == wanted for n in [other.name, *other.aliases]):
            return True
    return False


def _coordinator(db: Session, partnership: Partnership, email: str) -> User | None:
    email = normalize_email(email)
    if not email:
        return None
    user = get_user_by_email(db, email)
    member = user is not None and db.scalar(
        select(Membership.id).where(
            Membership.user_id == user.id,
            Membership.partnership_id == partnership.id,
            Membership.status == "approved",
        )
    )
    if user is None or not member:
        raise ValueError(
            _(
                "%(email)s is not a member of %(name)s: choose one of its members, "
                "or leave the field empty.",
                email=email,
                name=partnership.name,
            )
        )
    if user.is_suspended:
        raise ValueError(
            _("%(email)s is suspended and cannot coordinate a partnership.", email=email)
        )
    return user


def _added_removed(old: Iterable[str], new: Iterable[str]) -> dict[str, list[str]]:
    before, after = set(old), set(new)
    return {"added": sorted(after - before), "removed": sorted(before - after)}


def update_partnership(
    db: Session, actor: User, partnership: Partnership, form: PartnershipForm
) -> dict[str, Any]:
    """Apply the edit form; answers the changes recorded in the audit log (empty when
    nothing changed, and then nothing is recorded).

    Raises PartnershipEditError naming every bad field (nothing is changed then),
    or NotAllowed.
    """
    require_admin(actor)
    errors: dict[str, str] = {}

    name = clean_line(form.name)
    if not name:
        errors["name"] = _("Enter the partnership's name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Use at most %(max)s characters.", max=format_number(NAME_MAX))
    elif _name_taken(db, partnership, name):
        errors["name"] = _("Another partnership is already called %(name)s.", name=repr(name))

    website: str | None = None
    try:
        website = _clean_website(form.website)
    except ValueError as exc:
        errors["website"] = str(exc)

    description = form.description.strip().replace("\r\n", "\n")
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _(
            "Use at most %(max)s characters.", max=format_number(DESCRIPTION_MAX)
        )

    strand: int | None = None
    if form.strand.strip():
        if form.strand.strip() not in {str(s) for s in STRANDS}:
            errors["strand"] = _("Choose strand 1, strand 2, or not stated.")
        else:
            strand = int(form.strand.strip())

    tags = TagFields()
    try:
        tags = read_tag_fields(
            db, countries=form.countries, sectors=form.sectors,
            unknown_country=lambda code: _(
                "%(code)s is neither a country code nor a region group.", code=repr(code)
            ),
            unknown_sector=lambda slug: _("There is no sector %(slug)s.", slug=repr(slug)),
        )  # fmt: skip
    except TagFieldsError as exc:
        errors.update(exc.errors)
    sectors, countries = tags.sectors, tags.countries

    coordinator: User | None = None
    try:
        coordinator = _coordinator(db, partnership, form.coordinator)
    except ValueError as exc:
        errors["coordinator"] = str(exc)

    if errors:
        raise PartnershipEditError(errors)

    changes: dict[str, Any] = {}
    for key, old, new in (
        ("name", partnership.name, name),
        ("website", partnership.website, website),
        ("description", partnership.description, description),
        ("strand", partnership.strand, strand),
    ):
        if old != new:
            changes[key] = {"from": old, "to": new}
    old_sectors = [s.slug for s in partnership.sectors]
    new_sectors = [s.slug for s in sectors]
    if set(old_sectors) != set(new_sectors):
        changes["sectors"] = _added_removed(old_sectors, new_sectors)
    if set(partnership.country_codes) != set(countries):
        changes["countries"] = _added_removed(partnership.country_codes, countries)
    new_coordinator_id = coordinator.id if coordinator else None
    if partnership.coordinator_id != new_coordinator_id:
        old_user = db.get(User, partnership.coordinator_id) if partnership.coordinator_id else None
        changes["coordinator"] = {
            "from": old_user.email if old_user else None,
            "to": coordinator.email if coordinator else None,
        }
    if not changes:
        return changes

    partnership.name = name
    partnership.website = website
    partnership.description = description
    partnership.strand = strand
    partnership.sectors = sectors
    partnership.set_countries(countries)
    partnership.coordinator_id = new_coordinator_id
    # The directory's search document changes with the profile (DESIGN.md: Search).
    queue_document(db, f"partnership:{partnership.id}")
    db.flush()
    record(
        db,
        actor=actor,
        action="partnership.update",
        object_type="partnership",
        object_id=partnership.id,
        object_label=partnership.name,
        details=changes,
    )
    return changes


__all__ = [
    "PartnershipEditError",
    "PartnershipForm",
    "coordinators_of",
    "page_partnerships_admin",
    "require_admin",
    "update_partnership",
]
