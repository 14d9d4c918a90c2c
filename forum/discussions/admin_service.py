"""Admin rules for discussion categories: list, add, edit, reorder and delete, each audited.

A category's slug is in its address (`/discussions/c/<slug>`) and in members' follows, so
it is fixed once created; name, description, visibility and position change. Changing the
visibility re-queues the search documents of the category's threads and replies, so that
members-only content leaves public search. A category with threads cannot be deleted:
its threads are moved first. Functions flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.audit import record
from forum.core.errors import Invalid, NotAllowed
from forum.core.formats import format_number
from forum.core.i18n import Labels, _, _l, ngettext
from forum.core.outbox import queue_document
from forum.core.text import clean_line, slug_problem
from forum.discussions.models import VISIBILITIES, Category, Post, Thread
from forum.notifications.models import Follow

NAME_MAX = 120
DESCRIPTION_MAX = 500
VISIBILITY_LABELS = Labels(public=_l("Everyone (public)"), members=_l("Members only"))
DIRECTIONS = ("up", "down")


SEEDED_CATEGORIES = (
    ("good-practices", "Good practices", "Results and methods worth copying, by country and sector."),
    ("market-intelligence", "Market intelligence", "What you learned about a market: regulation, buyers, partners, trends."),
    ("events-and-missions", "Events and missions", "Trade fairs, business missions and who is going."),
    ("cooperation-opportunities", "Cooperation opportunities", "Looking for partners, offering cooperation, joint projects."),
    ("partnership-news", "Partnership news", "News from the partnerships: agreements, results, calls."),
    ("platform-feedback", "Platform feedback", "How this forum could serve you better."),
)  # fmt: skip


class CategoryError(Invalid):
    """Invalid category input; `field` names the form field it is about."""

    field: str  # always names one

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field)


@dataclass(frozen=True)
class CategoryRow:
    """A category in the admin list, with how many threads it holds (hidden ones too)."""

    category: Category
    threads: int


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only admins change the discussion categories."))


def _ordered() -> Select[Category]:
    return select(Category).order_by(Category.position, Category.name, Category.id)


def list_categories_admin(db: Session) -> list[CategoryRow]:
    """Every category in display order, with its thread count: two queries."""
    stmt = select(Thread.category_id, func.count()).group_by(Thread.category_id)
    counts: dict[int, int] = {category_id: n for category_id, n in db.execute(stmt)}
    return [CategoryRow(c, counts.get(c.id, 0)) for c in db.scalars(_ordered())]


def thread_count(db: Session, category: Category) -> int:
    return (
        db.scalar(select(func.count()).select_from(Thread).where(Thread.category_id == category.id))
        or 0
    )


# --- validation -------------------------------------------------------------------------


def validate_slug(slug: str) -> str:
    slug = slug.strip()
    problem = slug_problem(slug, example="trade-missions")
    if problem is not None:
        raise CategoryError(problem, "slug")
    return slug


def validate_name(db: Session, name: str, *, exclude_id: int | None = None) -> str:
    """The name, whitespace collapsed; raises CategoryError when empty, too long or taken."""
    name = clean_line(name)
    if not name:
        raise CategoryError(_("Enter the category's name."), "name")
    if len(name) > NAME_MAX:
        raise CategoryError(
            _("Use at most %(max)s characters for the name.", max=format_number(NAME_MAX)), "name"
        )
    stmt = select(Category.id).where(func.lower(Category.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Category.id != exclude_id)
    if db.scalar(stmt.limit(1)) is not None:
        raise CategoryError(_("Another category is already called %(name)r.", name=name), "name")
    return name


def validate_description(description: str) -> str:
    description = description.strip().replace("\r\n", "\n")
    if len(description) > DESCRIPTION_MAX:
        raise CategoryError(
            _(
                "Use at most %(max)s characters for the description (this one has %(count)s).",
                max=format_number(DESCRIPTION_MAX),
                count=format_number(len(description)),
            ),
            "description",
        )
    return description


def validate_visibility(visibility: str) -> str:
    visibility = visibility.strip()
    if visibility not in VISIBILITIES:
        raise CategoryError(
            _("Choose who can read the category: everyone or members."), "visibility"
        )
    return visibility


# --- changes ----------------------------------------------------------------------------


def create_category(
    db: Session, actor: User, *, slug: str, name: str, description: str, visibility: str
) -> Category:
    """Add a category at the end of the list. Raises CategoryError or NotAllowed."""
    require_admin(actor)
    slug = validate_slug(slug)
    name = validate_name(db, name)
    description = validate_description(description)
    visibility = validate_visibility(visibility)
    taken = _("The slug %(slug)r is taken: choose another.", slug=slug)
    if db.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        raise CategoryError(taken, "slug")
    last = db.scalar(select(func.max(Category.position)))
    position = 0 if last is None else last + 1
    category = Category(
        slug=slug, name=name, description=description, visibility=visibility, position=position
    )
    try:
        # A savepoint, so a concurrent insert of the same slug is an answer, not a 500.
        with db.begin_nested():
            db.add(category)
            db.flush()
    except IntegrityError as exc:
        raise CategoryError(taken, "slug") from exc
    record(
        db,
        actor=actor,
        action="category.create",
        object_type="category",
        object_id=category.id,
        object_label=name,
        details={
            "slug": slug,
            "name": name,
            "description": description,
            "visibility": visibility,
            "position": position,
        },
    )
    return category


def requeue_documents(db: Session, category: Category) -> int:
    """Queue an upsert of every visible thread's and reply's search document in `category`.

    Hidden threads and hidden or deleted replies are not indexed, so they stay out (as
    when a moderator moves a thread). Answers how many documents were queued.
    """
    thread_ids = list(
        db.scalars(
            select(Thread.id)
            .where(Thread.category_id == category.id, Thread.hidden_at.is_(None))
            .order_by(Thread.id)
        )
    )
    post_ids = list(
        db.scalars(
            select(Post.id)
            .join(Thread, Thread.id == Post.thread_id)
            .where(
                Thread.category_id == category.id,
                Thread.hidden_at.is_(None),
                Post.is_opening.is_(False),
                Post.hidden_at.is_(None),
                Post.deleted_at.is_(None),
            )
            .order_by(Post.id)
        )
    )
    for thread_id in thread_ids:
        queue_document(db, f"thread:{thread_id}")
    for post_id in post_ids:
        queue_document(db, f"post:{post_id}")
    return len(thread_ids) + len(post_ids)


def update_category(
    db: Session,
    actor: User,
    category: Category,
    *,
    name: str,
    description: str,
    visibility: str,
) -> dict[str, Any]:
    """Change name, description and visibility; answers the changes (empty: nothing changed).

    Raises CategoryError or NotAllowed, having changed nothing.
    """
    require_admin(actor)
    name = validate_name(db, name, exclude_id=category.id)
    description = validate_description(description)
    visibility = validate_visibility(visibility)
    changes: dict[str, Any] = {}
    for key, old, new in (
        ("name", category.name, name),
        ("description", category.description or "", description),
        ("visibility", category.visibility, visibility),
    ):
        if old != new:
            changes[key] = {"from": old, "to": new}
    if not changes:
        return changes
    category.name = name
    category.description = description
    category.visibility = visibility
    db.flush()
    if "visibility" in changes:
        changes["documents_requeued"] = requeue_documents(db, category)
    record(
        db,
        actor=actor,
        action="category.update",
        object_type="category",
        object_id=category.id,
        object_label=category.name,
        details=changes,
    )
    return changes


def move_category(db: Session, actor: User, category: Category, *, direction: str) -> bool:
    """Swap `category` with its neighbour above or below; False when it is already at that end.

    Positions are renumbered 0, 1, 2 … in display order, so ties and gaps disappear.
    """
    require_admin(actor)
    if direction not in DIRECTIONS:
        raise CategoryError(_("Move a category up or down."), "direction")
    # Locked on PostgreSQL, so two admins reordering at once take turns.
    ordered = list(db.scalars(_ordered().with_for_update()))
    index = next(i for i, c in enumerate(ordered) if c.id == category.id)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(ordered):
        return False
    other = ordered[other_index]
    old_position = category.position
    ordered[index], ordered[other_index] = other, category
    for number, item in enumerate(ordered):
        if item.position != number:
            item.position = number
    db.flush()
    record(
        db,
        actor=actor,
        action="category.move",
        object_type="category",
        object_id=category.id,
        object_label=category.name,
        details={
            "position": {"from": old_position, "to": category.position},
            "direction": direction,
            "swapped_with": other.slug,
        },
    )
    return True


def delete_category(db: Session, actor: User, category: Category) -> None:
    """Delete an empty category and the follows of it. Raises CategoryError when it has threads."""
    require_admin(actor)
    field = f"delete-{category.id}"
    count = thread_count(db, category)
    if count:
        raise CategoryError(_has_threads(category, count), field)
    category_id, slug, name, visibility = (
        category.id,
        category.slug,
        category.name,
        category.visibility,
    )
    try:
        # A savepoint: a thread started meanwhile makes the foreign key refuse, not a 500.
        with db.begin_nested():
            db.delete(category)
            db.flush()
    except IntegrityError as exc:
        count = max(thread_count(db, category), 1)
        raise CategoryError(_has_threads(category, count), field) from exc
    # Members follow a category by its slug: a later category with the same slug starts afresh.
    of_category = (Follow.target_type == "category", Follow.target == slug)
    follows = db.scalar(select(func.count()).select_from(Follow).where(*of_category)) or 0
    db.execute(delete(Follow).where(*of_category))
    record(
        db,
        actor=actor,
        action="category.delete",
        object_type="category",
        object_id=category_id,
        object_label=name,
        details={"slug": slug, "name": name, "visibility": visibility, "follows_removed": follows},
    )


def _has_threads(category: Category, count: int) -> str:
    return ngettext(
        "%(name)s has %(num)s thread: move its threads to another category first "
        "(moderators move a thread from its page), then delete it.",
        "%(name)s has %(num)s threads: move its threads to another category first "
        "(moderators move a thread from its page), then delete it.",
        count,
        name=category.name,
    )


__all__ = [
    "DESCRIPTION_MAX",
    "NAME_MAX",
    "VISIBILITY_LABELS",
    "CategoryError",
    "CategoryRow",
    "create_category",
    "delete_category",
    "list_categories_admin",
    "move_category",
    "requeue_documents",
    "require_admin",
    "update_category",
]


def seed_categories(db: Session) -> int:
    existing = set(db.scalars(select(Category.slug)))
    added = 0
    for position, (slug, name, description) in enumerate(SEEDED_CATEGORIES):
        if slug not in existing:
            db.add(Category(slug=slug, name=name, description=description, position=position))
            added += 1
    db.flush()
    return added
