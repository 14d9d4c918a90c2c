"""The embedded index's directory: CURRENT (which generation is live, with the schema
version), the numbered generations, and the file locks that serialise switching them."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tantivy

from search.embedded_schema import SCHEMA, SCHEMA_VERSION
from search.engine import SearchError


def stat_signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is replaced or rewritten; None when it is missing."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _writer_lock_free(generation_dir: Path) -> bool:
    """True when no IndexWriter (in any process) holds this index's lock file."""
    lock = generation_dir / ".tantivy-writer.lock"
    if not lock.exists():
        return True
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True


class IndexDirectory:
    """The generations in `path` and the CURRENT file naming the live one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def current_file(self) -> Path:
        return self.path / "CURRENT"

    def read_current(self) -> dict[str, Any] | None:
        """CURRENT's content, None when there is none; SearchError when it is unreadable."""
        try:
            data = json.loads(self.current_file.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SearchError(f"unreadable {self.current_file}: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("generation"), str):
            raise SearchError(f"unreadable {self.current_file}: {data!r}")
        return data

    def write_current(self, generation: str) -> None:
        """Make `generation` the live one, atomically (readers see the old or the new file)."""
        payload = json.dumps({"generation": generation, "schema": SCHEMA_VERSION})
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".CURRENT.")
        with os.fdopen(fd, "w") as fh:
            fh.write(payload + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.current_file)

    def generations(self) -> list[str]:
        return sorted(p.name for p in self.path.glob("gen-*") if p.is_dir())

    def new_generation(self, after: int = 0) -> str:
        """Create an empty index in a new generation numbered past `after` and every
        existing one; its name."""
        numbers = [int(name.removeprefix("gen-")) for name in self.generations()]
        # Names are never reused, so no reader can mistake a new index for an old one.
        name = f"gen-{max([after, *numbers]) + 1:06d}"
        directory = self.path / name
        directory.mkdir(parents=True)
        index = tantivy.Index(SCHEMA, path=str(directory), reuse=False)
        del index
        return name

    def remove_stale_generations(self, keep: set[str]) -> None:
        """Delete other generations once no writer uses them. Readers that still map
        their files are unaffected (Linux keeps unlinked files until unmapped)."""
        for name in self.generations():
            directory = self.path / name
            if name not in keep and _writer_lock_free(directory):
                shutil.rmtree(directory, ignore_errors=True)
