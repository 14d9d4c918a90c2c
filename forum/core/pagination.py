"""Pagination: opaque keyset cursors for the API, numbered pages for HTML lists."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from forum.core.formats import format_number
from forum.core.i18n import _

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class InvalidCursorError(ValueError):
    def __init__(self) -> None:
        super().__init__("invalid cursor: pass back the `next` value of a previous answer")


def encode_cursor(key: Sequence[Any]) -> str:
    """An opaque cursor for the last row's sort key (JSON values only)."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, arity: int) -> list[Any]:
    """The sort key inside `cursor`; raises InvalidCursorError on anything malformed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursorError from exc
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidCursorError
    if any(not isinstance(part, str | int | float) or isinstance(part, bool) for part in key):
        raise InvalidCursorError
    return key


@dataclass
class Page(Generic[T]):
    """One numbered page of an HTML list."""

    items: list[T]
    page: int
    per_page: int
    total: int
    base_path: str
    params: Mapping[str, Any]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def _url(self, page: int) -> str:
        params = {k: v for k, v in self.params.items() if v not in (None, "", [])}
        if page > 1:
            params["page"] = page
        query = urlencode(params, doseq=True)
        return f"{self.base_path}?{query}" if query else self.base_path

    @property
    def prev_url(self) -> str | None:
        return self._url(self.page - 1) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self._url(self.page + 1) if self.page < self.pages else None

    @property
    def status_text(self) -> str:
        if not self.total:
            return _("No results")
        first = (self.page - 1) * self.per_page + 1
        last = first + len(self.items) - 1
        return _(
            "%(first)s–%(last)s of %(total)s",
            first=format_number(first),
            last=format_number(last),
            total=format_number(self.total),
        )


def page_number(value: str | int | None) -> int:
    """A 1-based page number from user input; anything invalid means page 1."""
    try:
        number = int(value or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), 10_000)
