"""The inbox folder: one claimant per file, stale claims released, old files pruned."""

from __future__ import annotations

import os
import time
from pathlib import Path

from forum.core.config import Settings
from forum.inbound.inbox import CLAIM_TIMEOUT, KEEP, claim, inbox_dir, process_inbox, prune


def test_of_two_workers_exactly_one_claims_a_file(tmp_path: Path) -> None:
    (tmp_path / "one.eml").write_bytes(b"x")
    first, second = claim(tmp_path, "worker:a"), claim(tmp_path, "worker:b")
    assert first is not None and second is None
    assert first.parent.name == "claimed" and first.name == "worker_a--one.eml"


def test_a_file_still_being_written_is_not_claimed(tmp_path: Path) -> None:
    (tmp_path / "half.tmp").write_bytes(b"x")
    assert claim(tmp_path, "w") is None


def test_a_claim_left_by_a_dead_worker_goes_back_to_the_inbox(
    settings: Settings, session_factory: object
) -> None:
    inbox = inbox_dir(settings)
    (inbox / "claimed").mkdir(parents=True)
    stale = inbox / "claimed" / "dead--lost.eml"
    stale.write_bytes(b"From: a@example.net\r\nMessage-ID: <lost@x>\r\n\r\nhi\r\n")
    old = time.time() - CLAIM_TIMEOUT.total_seconds() - 60
    os.utime(stale, (old, old))
    outcomes = process_inbox(session_factory, settings, holder="alive")  # type: ignore[arg-type]
    assert [o.reason for o in outcomes] == ["unknown-address"]
    assert (inbox / "refused" / "lost.eml").exists()


def test_processed_and_refused_files_are_pruned_after_30_days(settings: Settings) -> None:
    inbox = inbox_dir(settings)
    for folder in ("processed", "refused"):
        (inbox / folder).mkdir(parents=True)
        (inbox / folder / "old.eml").write_bytes(b"x")
        (inbox / folder / "new.eml").write_bytes(b"x")
        old = time.time() - KEEP.total_seconds() - 60
        os.utime(inbox / folder / "old.eml", (old, old))
    assert prune(settings) == 2
    assert sorted(p.name for p in inbox.rglob("*.eml")) == ["new.eml", "new.eml"]
