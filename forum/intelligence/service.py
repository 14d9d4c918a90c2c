"""Rules of the intelligence repository: who sees, edits, moves and reports items.

Published items are public; drafts are their author's; items in review and withdrawn
items are for moderators (and their author). Every path that shows or changes an item
asks here: views, API, feeds, search documents, digests. Writes are in `writes.py`,
lists and pages in `queries.py`, counts in `counts.py`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, or_, select

from forum.accounts.models import User
from forum.core.errors import Invalid, NotAllowed
from forum.core.i18n import _
from forum.discussions.moderation import can_flag
from forum.intelligence.models import IntelItem

PUBLISHED = "published"

# Any select, whatever its columns: the filters narrow its rows, never its columns.
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


class IntelError(Invalid):
    """Input that breaks a rule of the repository; `field` names the form field."""


def published_items(stmt: S) -> S:
    """`stmt`, a select over IntelItem, narrowed to the published items: what anyone may
    read, and all that a feed or a digest carries (never a draft, an item in review or a
    withdrawn one, not even to its author or a moderator)."""
    return stmt.where(IntelItem.status == PUBLISHED)


def items_not_published() -> Select[int]:
    """The ids of the items `published_items` leaves out, for a count taken by subtraction:
    the statuses before and after "published", a range each of the status index (a `!=`
    would read every row). With `published_items`, every item once
    (tests/intelligence/test_items.py)."""
    return select(IntelItem.id).where(
        or_(IntelItem.status < PUBLISHED, IntelItem.status > PUBLISHED)
    )


def visible_items(stmt: S, viewer: User | None) -> S:
    """`stmt`, a select over IntelItem, narrowed to the items `viewer` may read on the
    site (`can_see`): the published ones, a member's own too, and everything for a
    moderator."""
    if viewer is None:
        return published_items(stmt)
    if viewer.is_moderator:
        return stmt
    return stmt.where(or_(IntelItem.status == PUBLISHED, IntelItem.author_id == viewer.id))


def can_see(viewer: User | None, item: IntelItem) -> bool:
    if item.status == PUBLISHED:
        return True
    if viewer is None:
        return False
    return viewer.is_moderator or item.author_id == viewer.id


def can_edit(viewer: User | None, item: IntelItem) -> bool:
    if viewer is None or viewer.is_suspended:
        return False
    return viewer.is_moderator or (item.author_id == viewer.id and item.status != "withdrawn")


def require_can_edit(viewer: User | None, item: IntelItem) -> None:
    if not can_edit(viewer, item):
        raise NotAllowed(_("Only the author or a moderator can edit this item."))


def require_can_create(author: User | None, status: str) -> User:
    """The author, when a confirmed member may add an item with `status`; raises NotAllowed."""
    if author is None or author.is_suspended or not author.is_verified:
        raise NotAllowed(_("Confirm your email address to add intelligence."))
    if status not in ("published", "draft") and not author.is_moderator:
        raise NotAllowed(_("Members publish or keep drafts; review is for moderators."))
    return author


def require_moderator(actor: User | None) -> User:
    """Raises NotAllowed unless `actor` reviews items."""
    if actor is None or not actor.is_moderator:
        raise NotAllowed(_("Only moderators review items."))
    return actor


# (from, to) -> who may make the move: "author" (the author or a moderator) or "moderator".
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "published"): "author",
    ("review", "published"): "moderator",
    ("published", "review"): "moderator",
    ("draft", "withdrawn"): "moderator",
    ("review", "withdrawn"): "moderator",
    ("published", "withdrawn"): "moderator",
    ("withdrawn", "published"): "moderator",
    ("withdrawn", "review"): "moderator",
}


def require_can_move(actor: User | None, item: IntelItem, status: str) -> User:
    """The actor, when they may move `item` to `status`; raises NotAllowed otherwise.

    A draft is published by its author or a moderator; everything else (publishing from
    review, sending back to review, withdrawing, restoring) is for moderators.
    """
    if actor is None:
        raise NotAllowed(_("Log in first."))
    if actor.is_suspended:
        raise NotAllowed(_("Your account is suspended."))
    own = item.author_id is not None and item.author_id == actor.id
    rule = TRANSITIONS.get((item.status, status))
    if rule == "moderator" or (rule is None and item.status in ("review", "withdrawn")):
        if not actor.is_moderator:
            raise NotAllowed(_("Only moderators review, withdraw and restore items."))
    elif not (own or actor.is_moderator):
        raise NotAllowed(_("Only the author or a moderator can change this item."))
    return actor


def status_transitions(viewer: User | None, item: IntelItem) -> list[str]:
    """The statuses `viewer` may move `item` to (what the item page offers as buttons)."""
    if viewer is None or viewer.is_suspended:
        return []
    own = item.author_id is not None and item.author_id == viewer.id
    return [
        to
        for (before, to), rule in TRANSITIONS.items()
        if before == item.status and (viewer.is_moderator or (rule == "author" and own))
    ]


def can_report(viewer: User | None, item: IntelItem) -> bool:
    """Whether the item page offers `viewer` the form to flag it (moderators act instead)."""
    return can_flag(viewer, item.author_id) and can_see(viewer, item)


def can_correct_tags(viewer: User | None, item: IntelItem) -> bool:
    """Whether `viewer` sees why each automatic tag was given and may add or remove tags
    on the item page: reviewers (moderators, admins) and the item's author, not suspended."""
    if viewer is None or viewer.is_suspended:
        return False
    own = item.author_id is not None and item.author_id == viewer.id
    return viewer.is_moderator or (own and item.status != "withdrawn")


def require_can_correct_tags(viewer: User | None, item: IntelItem) -> User:
    if viewer is None or not can_correct_tags(viewer, item):
        raise NotAllowed(_("Only the item's author or a moderator can correct its tags."))
    return viewer
