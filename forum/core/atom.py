"""Atom 1.0 documents (RFC 4287): the feed's head, its entries, dates and links, escaped.

The threads feed and the intelligence feed each say what their entries hold; this module
writes the XML for both, one way.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from forum.core import i18n

ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = "Cluster Forum"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The feed's `updated` when it has no entries.
EMPTY_FEED_UPDATED = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Entry:
    """One entry. `url` is its page (also its id); `categories` are (term, label) pairs;
    `content_html` is HTML, escaped into the document as text."""

    url: str
    title: str
    updated: dt.datetime
    published: dt.datetime
    author: str
    categories: Sequence[tuple[str, str]]
    content_html: str
    related: str | None = None  # the original this entry is about
    summary: str | None = None
    # The language of the title and summary (members' text, as written): `xml:lang`.
    language: str | None = None


def stamp(moment: dt.datetime) -> str:
    """An RFC 3339 date in UTC, to the second (`2026-01-05T09:30:00Z`)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def build_feed(
    entries: Sequence[Entry], *, self_url: str, alternate: str, title: str, subtitle: str
) -> bytes:
    """The UTF-8 document: `self_url` is its id and self link, `alternate` the page it
    mirrors; its `updated` is the latest entry's. The title and subtitle are in the
    language being written (`xml:lang`: a feed's `?lang=`, see forum.core.web)."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _el(feed, "id", self_url)
    ours = {XML_LANG: i18n.language()}
    _el(feed, "title", title, **ours)
    _el(feed, "subtitle", subtitle, **ours)
    updated = max((e.updated for e in entries), default=None)
    _el(feed, "updated", stamp(updated or EMPTY_FEED_UPDATED))
    _el(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=alternate)
    author = _el(feed, "author")
    _el(author, "name", GENERATOR)
    _el(feed, "generator", GENERATOR)
    for item in entries:
        entry = _el(feed, "entry")
        _el(entry, "id", item.url)
        lang = {XML_LANG: item.language} if item.language else {}
        _el(entry, "title", item.title, **lang)
        _el(entry, "updated", stamp(item.updated))
        _el(entry, "published", stamp(item.published))
        _el(entry, "link", rel="alternate", type="text/html", href=item.url)
        if item.related:
            _el(entry, "link", rel="related", href=item.related)
        who = _el(entry, "author")
        _el(who, "name", item.author)
        for term, label in item.categories:
            _el(entry, "category", term=term, label=label)
        if item.summary:
            _el(entry, "summary", item.summary, **lang)
        _el(entry, "content", item.content_html, type="html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
