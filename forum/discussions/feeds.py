"""The Atom feed of threads: the 20 most recently active, with the API's filters.

Feeds are read by feed readers that carry no session, and their URLs get shared: the
feed always shows what an anonymous visitor sees (public categories, nothing hidden).
The route is `forum.discovery.feeds`' (a feed with words is a search); this module writes
the feed of the list's filters and the entries of both.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import urlencode

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core import atom
from forum.core.config import Settings
from forum.core.i18n import _, _l
from forum.discussions.api import load_good_practices, thread_filter
from forum.discussions.listing import list_threads
from forum.discussions.models import Post, Thread
from forum.taxonomy.service import country_label, get_sector

FEED_SIZE = 20
GOOD_PRACTICE_SECTIONS = (
    ("approach_html", _l("Approach")),
    ("results_html", _l("Results")),
    ("challenge_html", _l("Challenge")),
    ("lessons_html", _l("Lessons learned")),
)


def _content(thread: Thread, opening: Post | None) -> str:
    """The opening post's sanitized HTML, then a good practice's sections."""
    parts = []
    if opening is not None and opening.hidden_at is None and opening.deleted_at is None:
        parts.append(opening.body_html)
    gp = thread.good_practice
    if gp is not None:
        for attribute, heading in GOOD_PRACTICE_SECTIONS:
            section = getattr(gp, attribute)
            if section:
                parts.append(f"<h2>{html.escape(str(heading))}</h2>\n{section}")
        if gp.contact:
            contact = html.escape(_("Contact"))
            parts.append(f"<h2>{contact}</h2>\n<p>{html.escape(gp.contact)}</p>")
    return "\n".join(parts)


def load_openings(db: Session, threads: Sequence[Thread]) -> dict[int, Post]:
    """The opening post of each of `threads`, by thread id."""
    if not threads:
        return {}
    rows = db.scalars(
        select(Post).where(Post.thread_id.in_([t.id for t in threads]), Post.is_opening.is_(True))
    )
    return {p.thread_id: p for p in rows}


def build_feed(
    threads: Sequence[Thread],
    openings: dict[int, Post],
    *,
    base_url: str,
    self_url: str,
    title: str,
) -> bytes:
    """The Atom document of these threads (each with its opening post, when given)."""
    entries = [
        atom.Entry(
            url=f"{base_url}{thread.url}",
            title=thread.title,
            updated=thread.last_activity_at,
            published=thread.created_at,
            author=thread.author.name if thread.author else _("A former member"),
            categories=[
                (thread.kind, thread.kind_label),
                (f"category:{thread.category.slug}", thread.category.name),
                *((f"country:{code}", country_label(code)) for code in thread.country_codes),
                *((f"sector:{sector.slug}", sector.label) for sector in thread.sectors),
            ],
            content_html=_content(thread, openings.get(thread.id)),
            language=thread.language,
        )
        for thread in threads
    ]
    return atom.build_feed(
        entries,
        self_url=self_url,
        alternate=f"{base_url}/discussions",
        title=title,
        subtitle=_("Discussions and good practices of the Cluster Forum"),
    )


def feed_title(
    db: Session, category_name: str | None, country: Sequence[str], sector: Sequence[str]
) -> str:
    """The feed's title in the reader's language, naming its filters: "Cluster Forum:
    threads in Food and trade about Japan · Food industry"."""
    if category_name is not None:
        title = _("Cluster Forum: threads in %(category)s", category=category_name)
    else:
        title = _("Cluster Forum: threads")
    places = ", ".join(country_label(v.strip()) for v in country if v.strip())
    sectors = ", ".join(
        found.label for s in sector if s.strip() and (found := get_sector(db, s.strip().lower()))
    )
    named = " · ".join(part for part in (places, sectors) if part)
    return _("%(title)s about %(named)s", title=title, named=named) if named else title


def threads_feed(
    request: Request,
    db: Session,
    settings: Settings,
    category: str | None = None,
    kind: str | None = None,
    country: Sequence[str] = (),
    sector: Sequence[str] = (),
    partnership: str | None = None,
) -> Response:
    """Public threads by latest activity; an unknown filter value answers 422."""
    flt = thread_filter(
        db,
        None,
        category=category,
        kind=kind,
        country=country,
        sector=sector,
        partnership=partnership,
    )
    threads, _cursor = list_threads(db, None, flt, cursor=None, limit=FEED_SIZE)
    load_good_practices(db, threads)
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if v], doseq=True)
    self_url = f"{settings.base_url}/feeds/threads.atom" + (f"?{query}" if query else "")
    title = feed_title(db, flt.category.name if flt.category else None, country, sector)
    body = build_feed(
        threads,
        load_openings(db, threads),
        base_url=settings.base_url,
        self_url=self_url,
        title=title,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
