"""Handles: the names @mentions use, derived from a member's name."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session


def handle_base(name: str) -> str:
    """`Maria Schmidt-Ölund` → `maria.schmidt-olund`: ASCII, lower case, 3 to 40 chars."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", ascii_name.lower())
    base = ".".join(words)[:40].strip(".-") or "member"
    return base if len(base) >= 3 else f"{base}.member"


def unique_handle(db: Session, name: str) -> str:
    from forum.accounts.models import User

    base = handle_base(name)
    taken = set(db.scalars(select(User.handle).where(User.handle.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"
