"""The Atom feed of intelligence: the 50 newest published items, with the list's filters.

Feed readers carry no session and feed URLs get shared: the feed shows what an
anonymous visitor sees (published items only), whoever asks.
"""

from __future__ import annotations

import datetime as dt
import html
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy.orm import Session

from forum.core.web import AppSettings, DbSession
from forum.intelligence import queries
from forum.intelligence.models import INTEL_KINDS, KIND_LABELS, IntelItem
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.service import country_label, get_sector

router = APIRouter(include_in_schema=False)

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _content(item: IntelItem) -> str:
    """HTML for the entry: the summary (escaped), the sanitized notes, the original link."""
    parts = []
    if item.summary:
        parts.append(f"<p>{html.escape(item.summary)}</p>")
    if item.body_html:
        parts.append(item.body_html)
    if item.deadline is not None:
        parts.append(f"<p>Deadline: {item.deadline.strftime('%d %b %Y')}</p>")
    if item.url:
        source = html.escape(item.source_name or item.url)
        parts.append(f'<p>Source: <a href="{html.escape(item.url)}">{source}</a></p>')
    return "\n".join(parts)


def build_feed(
    items: Sequence[IntelItem], *, base_url: str, self_url: str, alternate: str, title: str
) -> bytes:
    """Serialize an Atom 1.0 document (RFC 4287)."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _el(feed, "id", self_url)
    _el(feed, "title", title)
    _el(feed, "subtitle", "Market intelligence of the Cluster Forum, by country and sector")
    updated = max((i.updated_at for i in items), default=None)
    _el(feed, "updated", _stamp(updated or dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    _el(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=alternate)
    author = _el(feed, "author")
    _el(author, "name", "Cluster Forum")
    _el(feed, "generator", "Cluster Forum")
    for item in items:
        entry = _el(feed, "entry")
        url = f"{base_url}{item.url_path}"
        _el(entry, "id", url)
        _el(entry, "title", item.title)
        _el(entry, "updated", _stamp(item.updated_at))
        _el(entry, "published", _stamp(item.published_at or item.added_at))
        _el(entry, "link", rel="alternate", type="text/html", href=url)
        if item.url:
            _el(entry, "link", rel="related", href=item.url)
        who = _el(entry, "author")
        _el(who, "name", item.source_name or "Cluster Forum")
        _el(entry, "category", term=item.kind, label=item.kind_label)
        if item.is_global:
            _el(entry, "category", term="global", label="All markets")
        for code in item.country_codes:
            _el(entry, "category", term=f"country:{code}", label=country_label(code))
        for sector in item.sectors:
            _el(entry, "category", term=f"sector:{sector.slug}", label=sector.name)
        if item.summary:
            _el(entry, "summary", item.summary)
        _el(entry, "content", _content(item), type="html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _title(db: Session, country: Sequence[str], sector: Sequence[str], kind: Sequence[str]) -> str:
    title = "Cluster Forum: intelligence"
    if kind:
        title = "Cluster Forum: " + ", ".join(KIND_LABELS[k].lower() for k in kind)
    wanted = [v.strip() for v in country if v.strip()]
    if wanted:
        title += " about " + ", ".join(country_label(v) for v in wanted)
    names = [
        found.name for s in sector if s.strip() and (found := get_sector(db, s.strip().lower()))
    ]
    if names:
        title += " in " + ", ".join(names)
    return title


@router.get("/feeds/intel.atom")
def intel_feed(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    country: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Annotated[list[str], Query()] = [],  # noqa: B006
    kind: Annotated[list[str], Query()] = [],  # noqa: B006
) -> Response:
    """Published items, newest added first; an unknown filter value answers 422 naming it."""
    countries, sectors = parse_filters(db, country, sector)
    kinds = [k.strip() for k in kind if k.strip()]
    for value in kinds:
        if value not in INTEL_KINDS:
            raise HTTPException(422, f"unknown kind {value!r}: use one of {', '.join(INTEL_KINDS)}")
    flt = queries.IntelFilter(countries=countries, sectors=sectors, kinds=kinds)
    items, _ = queries.list_items(db, None, flt, sort="added", limit=FEED_SIZE)
    pairs = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if v and k in ("country", "sector", "kind")
    ]
    query = urlencode(pairs)
    self_url = f"{settings.base_url}/feeds/intel.atom" + (f"?{query}" if query else "")
    alternate = f"{settings.base_url}/intel" + (f"?{query}" if query else "")
    body = build_feed(
        items,
        base_url=settings.base_url,
        self_url=self_url,
        alternate=alternate,
        title=_title(db, country, sector, kinds),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
