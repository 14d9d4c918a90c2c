"""Parsing fetched feeds (RSS 0.9x/1.0/2.0, Atom) with feedparser into plain entries.

Titles and summaries become plain text (tags dropped, entities unescaped,
whitespace collapsed, length capped); links are absolute http(s) or None; dates are
aware UTC datetimes or None. feedparser copes with wrong encodings and sloppy XML and
says so in its `bozo` flag: we only give up (FeedError) when nothing usable came out.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser  # type: ignore[import-untyped]

MAX_TITLE = 300
MAX_SUMMARY = 2000
MAX_ID = 500

_WHITESPACE = re.compile(r"\s+")


class FeedError(Exception):
    """The document could not be parsed into a feed (message from feedparser)."""


@dataclass(frozen=True)
class ParsedEntry:
    entry_id: str
    title: str
    link: str | None
    summary: str
    published: datetime | None
    language: str | None


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title", "template"})
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(value: str | None, limit: int) -> str:
    """HTML or text → one line of plain text of at most `limit` characters."""
    if not value:
        return ""
    extractor = _TextExtractor()
    extractor.feed(value)
    extractor.close()
    text = html.unescape("".join(extractor.parts))  # entities double-escaped in feeds
    text = _WHITESPACE.sub(" ", text.replace("\x00", "")).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _absolute_http(link: str | None, base_url: str) -> str | None:
    if not link or not isinstance(link, str):
        return None
    try:
        absolute = urllib.parse.urljoin(base_url, link.strip())
        parts = urllib.parse.urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def _date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # FeedParserDict.get would map and warn
        if value:
            try:
                year, month, day, hour, minute, second = (int(v) for v in value[:6])
                return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _language(feed: Any) -> str | None:
    value = feed.get("language")
    if isinstance(value, str):
        value = value.strip()
        if value and len(value) <= 35:
            return value
    return None


def _summary(entry: Any) -> str:
    summary = entry.get("summary")
    if not summary:
        for content in entry.get("content") or []:
            if content.get("value"):
                summary = content["value"]
                break
    return plain_text(summary, MAX_SUMMARY)


def parse_feed(body: bytes, *, base_url: str) -> tuple[str | None, list[ParsedEntry]]:
    """Parse a feed document; return its title (or None) and its usable entries."""
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-location": base_url},
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    feed = parsed.get("feed", {})
    title = plain_text(feed.get("title"), MAX_TITLE) or None
    language = _language(feed)
    entries: list[ParsedEntry] = []
    for entry in parsed.get("entries", []):
        entry_title = plain_text(entry.get("title"), MAX_TITLE)
        link = _absolute_http(entry.get("link"), base_url)
        summary = _summary(entry)
        if not entry_title and not link:
            continue  # nothing to show or to link to
        published = _date(entry)
        raw_id = entry.get("id")
        entry_id = raw_id.strip()[:MAX_ID] if isinstance(raw_id, str) and raw_id.strip() else ""
        if not entry_id:
            entry_id = (
                link
                or "sha256:"
                + hashlib.sha256(
                    f"{entry_title}\n{published.isoformat() if published else ''}".encode()
                ).hexdigest()
            )
        entries.append(
            ParsedEntry(
                entry_id=entry_id,
                title=entry_title or (link or ""),
                link=link,
                summary=summary,
                published=published,
                language=language,
            )
        )
    if not entries and (parsed.get("bozo") or not parsed.get("version")) and not title:
        exc = parsed.get("bozo_exception")
        raise FeedError(str(exc) if exc else "not a recognised RSS or Atom feed")
    return title, entries
