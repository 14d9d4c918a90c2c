"""One rule for where a form may send the browser next: a path on this site, nothing else."""

from __future__ import annotations

import pytest

from forum.core.web import safe_next


@pytest.mark.parametrize("path", ["/", "/threads/4?page=2#post-9", "/search?q=Maroc"])
def test_a_path_on_this_site_is_kept(path: str) -> None:
    assert safe_next(path, "/home") == path


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/threads/4\r\nLocation: https://evil.example/",
        "threads/4",
    ],
)
def test_anything_else_answers_the_default(target: str | None) -> None:
    assert safe_next(target, "/moderation") == "/moderation"
    assert safe_next(target) == "/"
