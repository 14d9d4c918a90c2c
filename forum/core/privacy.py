"""The privacy registries: what each part of the forum adds to a member's download and
does when their account is deleted.

`register_exporter("posts", fn)` adds `fn(db, user)`'s JSON-ready answer to the download
under the key "posts"; `register_eraser("posts", fn)` is called as `fn(db, user,
keep_content=...)` when the account is deleted, and either hands the member's content to
the "Former member" placeholder (keep_content=True) or deletes it, answering True when
some kept content still references the user row. Each part's `privacy` module has a
`register()` that `forum.plugins` calls; `forum.portal.privacy` builds the download and
runs the erasure from what is registered here.

Every column that refers to a member ("table.column": a foreign key to the users table,
or a column named like one) is accounted for in one of two ways, which
`tests/portal/test_privacy_coverage.py` checks by walking the schema:

- exported: its exporter says so with `covers={"table.column": "path"}`, where the path
  (dotted, under the exporter's name) leads to a list of records, or one record, that
  carry each row's primary key under the key's column name;
- or listed in `forum.portal.privacy.NOT_EXPORTED`, with the reason.

Either way the erasure leaves no row pointing at the member, except the content kept
under "Former member", whose columns erasers name with `keeps={"table.column"}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy.orm import Session

FORMER_MEMBER_NAME = "Former member"


class Member(Protocol):
    """The member whose data is exported or erased (an accounts User)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


# The member is the accounts' User; the core does not know it, hence Any here.
Exporter = Callable[[Session, Any], Any]


class Eraser(Protocol):
    def __call__(self, db: Session, user: Any, *, keep_content: bool) -> bool: ...


# The keys the download fills itself (forum.portal.privacy); a part cannot register under them.
RESERVED_KEYS = frozenset(
    {
        "format",
        "exported_at",
        "account",
        "membership",
        "coordinator_of",
        "follows",
        "sessions",
        "api_tokens",
        "email_links",
        "audit_log",
    }
)

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}
_covers: dict[str, dict[str, str]] = {}
_keeps: dict[str, frozenset[str]] = {}


def _check_name(name: str, registry: dict[str, Any], fn: object) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"privacy registry names are snake_case words, not {name!r}")
    if name in RESERVED_KEYS:
        raise ValueError(f"{name!r} is a key of the export itself: choose another name")
    # Re-registering the same function (a re-imported module) is harmless; a clash is not.
    if name in registry and registry[name] is not fn:
        raise ValueError(f"{name!r} is already registered by another function")


def register_exporter(
    name: str, fn: Exporter, *, covers: Mapping[str, str] | None = None
) -> Exporter:
    """Add `fn(db, user)`'s answer (JSON-ready or datetimes) to every export under `name`.

    `covers` maps each "table.column" referring to the member that the answer exports
    to the path of its records inside the answer ("items", or "" for the answer itself).
    Raises ValueError for a reserved or already-taken name.
    """
    _check_name(name, _exporters, fn)
    _exporters[name] = fn
    _covers[name] = {
        column: ".".join(part for part in (name, path) if part)
        for column, path in (covers or {}).items()
    }
    return fn


def register_eraser(name: str, fn: Eraser, *, keeps: Iterable[str] = ()) -> Eraser:
    """Call `fn(db, user, keep_content=...)` on every account deletion, before the
    account's own rows go. It answers True when content it kept still points at the
    user row (which then stays, anonymized, as the "Former member").

    `keeps` names the "table.column"s still pointing at that row when content is kept.
    Raises ValueError for a reserved or already-taken name.
    """
    _check_name(name, _erasers, fn)
    _erasers[name] = fn
    _keeps[name] = frozenset(keeps)
    return fn


def exporters() -> dict[str, Exporter]:
    """The registered exporters, by name, in registration order."""
    return dict(_exporters)


def erasers() -> dict[str, Eraser]:
    """The registered erasers, by name, in registration order."""
    return dict(_erasers)


def covered_columns() -> dict[str, str]:
    """Each "table.column" a registered exporter exports, with its path in the download."""
    return {column: path for name in _exporters for column, path in _covers.get(name, {}).items()}


def kept_columns() -> frozenset[str]:
    """The "table.column"s that still point at the "Former member" when content is kept."""
    return frozenset(c for name in _erasers for c in _keeps.get(name, ()))
