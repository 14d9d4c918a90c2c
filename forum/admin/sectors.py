"""Admin rules for the sector taxonomy: list, add and rename sectors, each change audited.

A sector's slug is what content is tagged with, so it is fixed once created; only the
names change: its English `name` (required) and its name in each of the forum's other
languages (`names`, optional: a reader whose language has none reads the English one).
Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.audit import record
from forum.core.errors import Invalid, NotAllowed
from forum.core.formats import format_number, language_name
from forum.core.i18n import _
from forum.core.jobs import enqueue
from forum.core.pagination import Page
from forum.core.text import clean_line, slug_problem
from forum.taxonomy.models import SECTOR_NAME_LANGUAGES, Sector

NAME_MAX = 120


class SectorError(Invalid):
    """Invalid sector input; `field` names the form field it is about."""

    field: str  # always names one

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field)


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only admins change the sector taxonomy."))


def page_sectors(db: Session, *, page: int, per_page: int = 50) -> Page[Sector]:
    """Sectors by name, one numbered page of the admin list."""
    total = db.scalar(select(func.count()).select_from(Sector)) or 0
    items = list(
        db.scalars(
            select(Sector)
            .order_by(Sector.name, Sector.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/admin/sectors", {})


def validate_slug(slug: str) -> str:
    slug = slug.strip()
    problem = slug_problem(slug, example="space-technologies")
    if problem is not None:
        raise SectorError(problem, "slug")
    return slug


def validate_name(db: Session, name: str, *, field: str, exclude_id: int | None = None) -> str:
    """The name, whitespace collapsed; raises SectorError when empty, too long or taken."""
    name = clean_line(name)
    if not name:
        raise SectorError(_("Enter the sector's name."), field)
    if len(name) > NAME_MAX:
        raise SectorError(
            _("Use at most %(max)s characters for the name.", max=format_number(NAME_MAX)), field
        )
    stmt = select(Sector.id).where(func.lower(Sector.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Sector.id != exclude_id)
    if db.scalar(stmt.limit(1)) is not None:
        raise SectorError(_("Another sector is already called %(name)s.", name=repr(name)), field)
    return name


def validate_names(
    db: Session, names: Mapping[str, str], *, field: str, exclude_id: int | None = None
) -> dict[str, str]:
    """The names in other languages that `names` gives (language code -> name), whitespace
    collapsed, an empty one left out; raises SectorError (field `<field>-<code>`) for a
    name too long or one another sector has in that language."""
    out: dict[str, str] = {}
    others = [s for s in db.scalars(select(Sector)) if exclude_id is None or s.id != exclude_id]
    for code, raw in names.items():
        if code not in SECTOR_NAME_LANGUAGES:  # the forms offer no other: a caller's bug
            raise ValueError(f"sectors have no names in {code!r}")
        name = clean_line(raw)
        if not name:
            continue
        if len(name) > NAME_MAX:
            raise SectorError(
                _("Use at most %(max)s characters for the name.", max=format_number(NAME_MAX)),
                f"{field}-{code}",
            )
        if any((s.names or {}).get(code, "").lower() == name.lower() for s in others):
            raise SectorError(
                _(
                    "Another sector is already called %(name)s in %(language)s.",
                    name=repr(name),
                    language=language_name(code),
                ),
                f"{field}-{code}",
            )
        out[code] = name
    return out


def create_sector(
    db: Session,
    actor: User,
    *,
    slug: str,
    name: str,
    names: Mapping[str, str] | None = None,
) -> Sector:
    """Add a sector at the end of the list, with its `names` in other languages.
    Raises SectorError or NotAllowed."""
    require_admin(actor)
    slug = validate_slug(slug)
    name = validate_name(db, name, field="name")
    localised = validate_names(db, names or {}, field="name")
    if db.scalar(select(Sector.id).where(Sector.slug == slug)) is not None:
        raise SectorError(_("The slug %(slug)s is taken: choose another.", slug=repr(slug)), "slug")
    position = (db.scalar(select(func.max(Sector.position))) or 0) + 1
    sector = Sector(slug=slug, name=name, names=localised, position=position)
    try:
        # A savepoint, so a concurrent insert of the same slug is an answer, not a 500.
        with db.begin_nested():
            db.add(sector)
            db.flush()
    except IntegrityError as exc:
        raise SectorError(
            _("The slug %(slug)s is taken: choose another.", slug=repr(slug)), "slug"
        ) from exc
    record(
        db,
        actor=actor,
        action="sector.create",
        object_type="sector",
        object_id=sector.id,
        object_label=name,
        details={"slug": slug, "name": name, **({"names": localised} if localised else {})},
    )
    return sector


def rename_sector(
    db: Session,
    actor: User,
    sector: Sector,
    *,
    name: str,
    names: Mapping[str, str] | None = None,
) -> bool:
    """Give `sector` a new English name and new names in the languages `names` gives (an
    empty one removes that language's name; a language not given keeps its name).
    Answers False (and records nothing) when nothing changes.

    Raises SectorError (field `name-<id>`, or `name-<id>-<code>`) or NotAllowed.
    """
    require_admin(actor)
    field = f"name-{sector.id}"
    name = validate_name(db, name, field=field, exclude_id=sector.id)
    given = names or {}
    kept = validate_names(db, given, field=field, exclude_id=sector.id)
    old_names = dict(sector.names or {})
    new_names = {c: n for c, n in old_names.items() if c not in given} | kept
    new_names = {c: new_names[c] for c in SECTOR_NAME_LANGUAGES if c in new_names}
    if name == sector.name and new_names == old_names:
        return False
    details: dict[str, object] = {}
    if name != sector.name:
        details["name"] = {"from": sector.name, "to": name}
    changed = {
        code: {"from": old_names.get(code), "to": new_names.get(code)}
        for code in SECTOR_NAME_LANGUAGES
        if old_names.get(code) != new_names.get(code)
    }
    if changed:
        details["names"] = changed
    sector.name = name
    sector.names = new_names  # a new dict: JSON columns track assignment
    db.flush()
    # Documents carry their sectors' names: "Food industry" must find them under the new
    # one (and "Agroalimentaire" under the French one). The search side knows which
    # documents a sector tags: a job of its own requeues them (one INSERT ... SELECT per
    # kind), right after this commits.
    enqueue(db, "search-requeue-sector", {"sector_id": sector.id})
    record(
        db,
        actor=actor,
        action="sector.rename",
        object_type="sector",
        object_id=sector.id,
        object_label=name,
        details=details,
    )
    return True


__all__ = [
    "SectorError",
    "create_sector",
    "page_sectors",
    "rename_sector",
    "require_admin",
    "validate_names",
]
