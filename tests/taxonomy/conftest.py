"""Fixtures of the taxonomy's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from babel.support import NullTranslations

from forum.core import i18n


@pytest.fixture
def offered() -> Iterator[Callable[[str], str]]:
    """Offer a language: with its catalog where it is compiled (`make install`), else
    with an empty one. These tests read its data (sector names, CLDR's country names and
    collation), not its sentences."""
    installed: list[str] = []

    def offer(code: str) -> str:
        if i18n.supported(code) != code:
            i18n.install(code, NullTranslations(), formats_as=code)
            installed.append(code)
        return code

    yield offer
    for code in installed:
        i18n.uninstall(code)
