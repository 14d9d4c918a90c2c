"""The Atom feed of intelligence: the 50 newest published items, with the list's filters.

Feed readers carry no session and feed URLs get shared: the feed shows what an
anonymous visitor sees (published items only), whoever asks. The route is
`forum.discovery.feeds`' (a feed with words is a search); this module writes the
feed of the list's filters and the entries of both.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import urlencode

from fastapi import HTTPException, Request, Response
from sqlalchemy.orm import Session

from forum.core import atom
from forum.core.config import Settings
from forum.core.formats import format_date
from forum.core.i18n import _
from forum.intelligence import queries
from forum.intelligence.models import INTEL_KINDS, KIND_LABELS, IntelItem, place_name
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.service import get_sector

FEED_SIZE = 50


def _content(item: IntelItem) -> str:
    """HTML for the entry: the summary (escaped), the sanitized notes, the original link."""
    parts = []
    if item.summary:
        parts.append(f"<p>{html.escape(item.summary)}</p>")
    if item.body_html:
        parts.append(item.body_html)
    if item.deadline is not None:
        # A deadline is a day (midnight UTC), shown as that day wherever the reader is.
        deadline = _("Deadline: %(day)s", day=format_date(item.deadline.date()))
        parts.append(f"<p>{html.escape(deadline)}</p>")
    if item.url:
        source = html.escape(item.source_name or item.url)
        link = _('Source: <a href="%(url)s">%(name)s</a>', url=html.escape(item.url), name=source)
        parts.append(f"<p>{link}</p>")
    return "\n".join(parts)


def build_feed(
    items: Sequence[IntelItem], *, base_url: str, self_url: str, alternate: str, title: str
) -> bytes:
    """The Atom document of these items."""
    entries = [
        atom.Entry(
            url=f"{base_url}{item.url_path}",
            title=item.title,
            updated=item.updated_at,
            published=item.published_at or item.added_at,
            author=item.source_name or "Cluster Forum",
            categories=[
                (item.kind, item.kind_label),
                *([("global", _("All markets"))] if item.is_global else []),
                *((f"country:{code}", place_name(code)) for code in item.country_codes),
                *((f"sector:{sector.slug}", sector.label) for sector in item.sectors),
            ],
            content_html=_content(item),
            related=item.url,
            summary=item.summary,
            language=item.language,
        )
        for item in items
    ]
    return atom.build_feed(
        entries,
        self_url=self_url,
        alternate=alternate,
        title=title,
        subtitle=_("Market intelligence of the Cluster Forum, by country and sector"),
    )


def feed_title(
    db: Session, country: Sequence[str], sector: Sequence[str], kind: Sequence[str]
) -> str:
    """The feed's title in the reader's language, naming its filters: "Cluster Forum:
    intelligence about Japan · Food industry"."""
    if kind:
        title = _("Cluster Forum: %(kinds)s", kinds=", ".join(KIND_LABELS[k] for k in kind))
    else:
        title = _("Cluster Forum: intelligence")
    places = ", ".join(place_name(v.strip()) for v in country if v.strip())
    sectors = ", ".join(
        found.label for s in sector if s.strip() and (found := get_sector(db, s.strip().lower()))
    )
    if places and sectors:
        return _(
            "%(title)s about %(places)s · %(sectors)s",
            title=title,
            places=places,
            sectors=sectors,
        )
    if places:
        return _("%(title)s about %(places)s", title=title, places=places)
    if sectors:
        return _("%(title)s in %(sectors)s", title=title, sectors=sectors)
    return title


def check_kinds(kind: Sequence[str]) -> list[str]:
    """The kinds given, trimmed; raises a 422 naming an unknown one."""
    kinds = [k.strip() for k in kind if k.strip()]
    for value in kinds:
        if value not in INTEL_KINDS:
            raise HTTPException(
                422,
                _(
                    "unknown kind %(value)r: use one of %(known)s",
                    value=value,
                    known=", ".join(INTEL_KINDS),
                ),
            )
    return kinds


def intel_feed(
    request: Request,
    db: Session,
    settings: Settings,
    country: Sequence[str] = (),
    sector: Sequence[str] = (),
    kind: Sequence[str] = (),
) -> Response:
    """Published items, newest added first; an unknown filter value answers 422 naming it."""
    countries, sectors = parse_filters(db, country, sector)
    kinds = check_kinds(kind)
    flt = queries.IntelFilter(countries=countries, sectors=sectors, kinds=kinds)
    # A feed is the newest items, whatever their breadth: a reader's feed reader keeps them.
    items, _next = queries.list_items(db, None, flt, sort="added", limit=FEED_SIZE, rank=False)
    pairs = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if v and k in ("country", "sector", "kind")
    ]
    query = urlencode(pairs)
    # The self link keeps the feed's language (`?lang=`); the page it mirrors takes none.
    own = urlencode([*pairs, *(("lang", v) for v in request.query_params.getlist("lang") if v)])
    self_url = f"{settings.base_url}/feeds/intel.atom" + (f"?{own}" if own else "")
    alternate = f"{settings.base_url}/intel" + (f"?{query}" if query else "")
    body = build_feed(
        items,
        base_url=settings.base_url,
        self_url=self_url,
        alternate=alternate,
        title=feed_title(db, country, sector, kinds),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
