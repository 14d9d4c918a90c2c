"""The inbox folder: `.eml` files dropped in `<data dir>/inbox/` (zero set-up, the demo).

A worker claims a file by renaming it into `claimed/` (atomic on one file system: of
several workers, exactly one rename succeeds), processes it, and moves it to
`processed/` or `refused/`, where files are pruned after 30 days. A file left in
`claimed/` by a worker that died goes back to the inbox after CLAIM_TIMEOUT.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.inbound.service import Outcome, deliver

KEEP = dt.timedelta(days=30)
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
BATCH = 200
SAFE = re.compile(r"[^\w.-]")


def inbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "inbox"


def _dirs(inbox: Path) -> dict[str, Path]:
    dirs = {name: inbox / name for name in ("claimed", "processed", "refused")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return dirs


def claim(inbox: Path, holder: str) -> Path | None:
    """The next message, moved into `claimed/` by this holder, or None when the inbox is
    empty. Files still being written should be dropped as `*.tmp` and renamed to `*.eml`."""
    dirs = _dirs(inbox)
    for path in sorted(inbox.glob("*.eml")):
        target = dirs["claimed"] / f"{SAFE.sub('_', holder)}--{path.name}"
        try:
            os.rename(path, target)
        except FileNotFoundError:  # another worker was first
            continue
        return target
    return None


def process_inbox(
    factory: sessionmaker[Session], settings: Settings, *, holder: str, limit: int = BATCH
) -> list[Outcome]:
    """Claim and process up to `limit` messages; answers their outcomes."""
    inbox = inbox_dir(settings)
    if not inbox.is_dir():
        return []
    dirs = _dirs(inbox)
    _release_stale(inbox, dirs["claimed"])
    outcomes = []
    for _ in range(limit):
        path = claim(inbox, holder)
        if path is None:
            break
        outcome = deliver(factory, settings, path.read_bytes(), via="inbox")
        name = path.name.split("--", 1)[1]
        os.replace(path, dirs["processed" if outcome.accepted else "refused"] / name)
        outcomes.append(outcome)
    return outcomes


def _release_stale(inbox: Path, claimed: Path) -> None:
    cutoff = time.time() - CLAIM_TIMEOUT.total_seconds()
    for path in claimed.glob("*.eml"):
        try:
            if path.stat().st_mtime < cutoff:
                os.rename(path, inbox / path.name.split("--", 1)[-1])
        except FileNotFoundError:
            continue


def prune(settings: Settings, *, now: float | None = None) -> int:
    """Delete processed and refused files older than 30 days; answers how many."""
    inbox = inbox_dir(settings)
    cutoff = (now or time.time()) - KEEP.total_seconds()
    removed = 0
    for folder in ("processed", "refused"):
        for path in (inbox / folder).glob("*.eml"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
    return removed
