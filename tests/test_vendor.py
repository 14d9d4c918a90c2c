"""The vendored front-end files are the releases forum/static/vendor/README.md names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "forum" / "static" / "vendor"
ROW = re.compile(r"^\| sha256 of `([^`]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)


def _documented() -> dict[str, str]:
    return dict(ROW.findall((VENDOR / "README.md").read_text("utf-8")))


def test_every_vendored_file_has_its_sha256_in_the_readme() -> None:
    files = {p.name for p in VENDOR.iterdir() if p.is_file() and p.name != "README.md"}
    assert {"htmx.min.js", "tom-select.popular.min.js", "tom-select.min.css"} <= files
    assert set(_documented()) == files


def test_vendored_files_match_the_sha256_the_readme_gives() -> None:
    for name, digest in _documented().items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
