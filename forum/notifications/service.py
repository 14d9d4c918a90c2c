"""Follows: read and write a member's interests (the one store the digest reads)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from forum.notifications.models import FOLLOW_TARGETS, Follow


def list_follows(db: Session, user_id: int) -> dict[str, list[str]]:
    """Every follow of a member, by target type (types without follows are present, empty)."""
    out: dict[str, list[str]] = {kind: [] for kind in FOLLOW_TARGETS}
    rows = db.execute(
        select(Follow.target_type, Follow.target)
        .where(Follow.user_id == user_id)
        .order_by(Follow.target_type, Follow.target)
    )
    for kind, target in rows:
        out.setdefault(kind, []).append(target)
    return out


def set_follows(db: Session, user_id: int, target_type: str, targets: Iterable[str]) -> None:
    """Replace the member's follows of one type with `targets` (already validated)."""
    if target_type not in FOLLOW_TARGETS:
        raise ValueError(f"cannot follow a {target_type!r}")
    wanted = set(targets)
    current = set(
        db.scalars(
            select(Follow.target).where(
                Follow.user_id == user_id, Follow.target_type == target_type
            )
        )
    )
    if current - wanted:
        db.execute(
            delete(Follow).where(
                Follow.user_id == user_id,
                Follow.target_type == target_type,
                Follow.target.in_(current - wanted),
            )
        )
    for target in sorted(wanted - current):
        db.add(Follow(user_id=user_id, target_type=target_type, target=target))
    db.flush()


def follow(db: Session, user_id: int, target_type: str, target: str) -> None:
    if target_type not in FOLLOW_TARGETS:
        raise ValueError(f"cannot follow a {target_type!r}")
    exists = db.scalar(
        select(Follow.id).where(
            Follow.user_id == user_id, Follow.target_type == target_type, Follow.target == target
        )
    )
    if exists is None:
        db.add(Follow(user_id=user_id, target_type=target_type, target=target))
        db.flush()


def unfollow(db: Session, user_id: int, target_type: str, target: str) -> None:
    db.execute(
        delete(Follow).where(
            Follow.user_id == user_id, Follow.target_type == target_type, Follow.target == target
        )
    )
