"""Atom feeds of searches: `/feeds/search.atom` for any search, the intelligence and
threads feeds when they are given words (`q`), and each saved search's private feed.

A feed with words runs the search service exactly as `GET /api/v1/search` does (the same
parameters, `build_query`, the engine, the visibility rule), newest first, so it holds
what the API finds. Feed readers carry no session and addresses get shared: the public
feeds find what a visitor finds; a saved search's feed, reached only through its signed
address, what its owner finds as a member (`DIGEST_READER`: never hidden content).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core import atom
from forum.core.config import Settings
from forum.core.errors import Invalid, NotFound
from forum.core.i18n import _
from forum.core.web import AppSettings, DbSession, InFeedLanguage
from forum.discovery import saved, service
from forum.discovery.labels import Labeller, describe, labeller, search_feed_url, search_url
from forum.discovery.views import RawSearch, raw_search
from forum.discussions import feeds as thread_feeds
from forum.discussions.api import load_good_practices, thread_filter
from forum.discussions.models import Thread
from forum.discussions.service import DIGEST_READER, DigestReader, visible_threads
from forum.intelligence import feeds as intel_feeds
from forum.intelligence.models import IntelItem, place_name
from forum.intelligence.service import published_items
from search.engine import SearchHit, parse_doc_id

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

FEED_SIZE = 50
Words = Annotated[str, Query(max_length=2 * service.MAX_QUERY_CHARS)]
Many = Annotated[list[str], Query()]


def _atom(body: bytes, *, private: bool = False) -> Response:
    response = Response(body, media_type="application/atom+xml; charset=utf-8")
    if private:
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _found(
    db: Session,
    settings: Settings,
    viewer: User | DigestReader | None,
    params: service.SearchParams,
) -> list[SearchHit]:
    """The first FEED_SIZE hits of `params`, newest first, as the search API finds them;
    a 503 when the engine cannot answer."""
    newest = replace(params, sort="newest", page=1)
    try:
        outcome = service.search(db, settings, viewer, newest, per_page=FEED_SIZE)
    except service.SearchUnavailable as exc:
        log.warning("search feed unavailable: %s", exc)
        raise HTTPException(
            503,
            _("Search is unavailable right now; please try again shortly."),
            headers={"Retry-After": "30"},
        ) from exc
    return outcome.results.hits


def _numbers(hits: Sequence[SearchHit], kind: str) -> list[int]:
    out = []
    for hit in hits:
        found_kind, number = parse_doc_id(hit.id)
        if found_kind == kind:
            out.append(number)
    return out


def _with_words(title: str, words: str) -> str:
    return _("%(title)s · “%(words)s”", title=title, words=words.strip())


def _with_lang(url: str, request: Request) -> str:
    """`url` with the request's `?lang=`, when it has one: the feed's self link keeps it."""
    lang = request.query_params.get("lang", "").strip()
    if not lang:
        return url
    return url + ("&" if "?" in url else "?") + urlencode({"lang": lang})


def _self_url(settings: Settings, path: str, request: Request, keys: Sequence[str]) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if v and k in keys]
    query = urlencode(pairs)
    return f"{settings.base_url}{path}" + (f"?{query}" if query else "")


@router.get("/feeds/intel.atom", dependencies=[InFeedLanguage])
def intel_feed(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    q: Words = "",
    country: Many = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Many = [],  # noqa: B006
    kind: Many = [],  # noqa: B006
) -> Response:
    """Published intelligence, newest first. Without words, the list's 50 newest items
    with its filters; with words (`q`, operators included), what the search finds among
    intelligence with the same filters. An unknown filter value answers 422 naming it;
    `lang` writes the feed's own words in that language."""
    if not q.strip():
        return intel_feeds.intel_feed(request, db, settings, country, sector, kind)
    kinds = intel_feeds.check_kinds(kind)
    params = service.build_params(
        q=q, countries=country, sectors=sector, kinds=["intel"], subkinds=kinds
    )
    numbers = _numbers(_found(db, settings, None, params), "intel")
    rows = db.scalars(
        published_items(select(IntelItem).where(IntelItem.id.in_(numbers))).options(
            selectinload(IntelItem.sectors), selectinload(IntelItem.country_rows)
        )
    )
    by_id = {item.id: item for item in rows}
    items = [by_id[n] for n in numbers if n in by_id]
    keys = ("q", "country", "sector", "kind", "lang")
    body = intel_feeds.build_feed(
        items,
        base_url=settings.base_url,
        self_url=_self_url(settings, "/feeds/intel.atom", request, keys),
        alternate=settings.base_url + search_url(params),
        title=_with_words(intel_feeds.feed_title(db, country, sector, kinds), q),
    )
    return _atom(body)


@router.get("/feeds/threads.atom", dependencies=[InFeedLanguage])
def threads_feed(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    q: Words = "",
    category: Annotated[str | None, Query(max_length=60)] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    country: Many = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Many = [],  # noqa: B006
    partnership: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Public threads. Without words, the 20 most recently active with the API's filters;
    with words, what the search finds among threads with the same filters, newest first.
    An unknown filter value answers 422; `lang` writes the feed's own words in that
    language."""
    if not q.strip():
        return thread_feeds.threads_feed(
            request, db, settings, category, kind, country, sector, partnership
        )
    if partnership:
        raise Invalid(
            _("a feed with words cannot also keep to one partnership: leave out one of them"),
            "partnership",
            where="query",
        )
    # The list's own checks first: the same 422s as the feed without words.
    flt = thread_filter(
        db, None, category=category, kind=kind, country=country, sector=sector, partnership=None
    )
    params = service.build_params(
        q=q,
        countries=country,
        sectors=sector,
        kinds=["thread"],
        subkinds=[kind] if kind else [],
        categories=[flt.category.slug] if flt.category else [],
    )
    numbers = _numbers(_found(db, settings, None, params), "thread")
    rows = db.scalars(visible_threads(select(Thread).where(Thread.id.in_(numbers)), None))
    by_id = {thread.id: thread for thread in rows}
    threads = [by_id[n] for n in numbers if n in by_id]
    load_good_practices(db, threads)
    title = thread_feeds.feed_title(
        db, flt.category.name if flt.category else None, country, sector
    )
    keys = ("q", "category", "kind", "country", "sector", "lang")
    body = thread_feeds.build_feed(
        threads,
        thread_feeds.load_openings(db, threads),
        base_url=settings.base_url,
        self_url=_self_url(settings, "/feeds/threads.atom", request, keys),
        title=_with_words(title, q),
    )
    return _atom(body)


def search_feed_title(params: service.SearchParams, labels: Labeller) -> str:
    """ "Cluster Forum: search for “cold chain” · Intelligence · Japan · Food industry"."""
    head = (
        _("Cluster Forum: search for “%(words)s”", words=params.q.strip())
        if params.q.strip()
        else _("Cluster Forum: search")
    )
    filters = describe(replace(params, q=""), labels)
    return f"{head} · {filters}" if filters else head


def _hits_feed(
    db: Session,
    settings: Settings,
    hits: Sequence[SearchHit],
    *,
    self_url: str,
    alternate: str,
    title: str,
    subtitle: str,
) -> bytes:
    labels = labeller(db)
    entries = [
        atom.Entry(
            url=settings.base_url + hit.url,
            title=hit.title,
            updated=hit.created_at or atom.EMPTY_FEED_UPDATED,
            published=hit.created_at or atom.EMPTY_FEED_UPDATED,
            author=atom.GENERATOR,
            categories=[
                (hit.kind, str(service.KIND_LABELS.get(hit.kind, hit.kind))),
                *((f"country:{code}", place_name(code)) for code in hit.countries),
                *((f"sector:{s}", labels.sectors.get(s, s)) for s in hit.sectors),
            ],
            # Escaped text with <mark> around what matched, as the engine gives it.
            content_html=hit.snippet,
            language=hit.language,
        )
        for hit in hits
    ]
    return atom.build_feed(
        entries, self_url=self_url, alternate=alternate, title=title, subtitle=subtitle
    )


@router.get("/feeds/search.atom", dependencies=[InFeedLanguage])
def search_feed(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    raw: Annotated[RawSearch, Depends(raw_search)],
) -> Response:
    """The newest 50 of what the search page and the API find for these words and filters
    (their parameters; `sort` and `page` are ignored). A search of nothing is every
    public document, newest first. `lang` writes the feed's own words in that language."""
    params = replace(raw.params(), sort="relevance", page=1)
    hits = _found(db, settings, None, params)
    body = _hits_feed(
        db,
        settings,
        hits,
        self_url=_with_lang(settings.base_url + search_feed_url(params), request),
        alternate=settings.base_url + search_url(params),
        title=search_feed_title(params, labeller(db)),
        subtitle=_("The newest of what this search finds on the Cluster Forum"),
    )
    return _atom(body)


@router.get("/feeds/saved/{token}.atom", dependencies=[InFeedLanguage])
def saved_search_feed(
    request: Request, token: str, db: DbSession, settings: AppSettings
) -> Response:
    """A saved search's private feed: what it finds for its owner as a member, newest
    first. The signed address is the secret; an address that is forged, replaced by a
    newer one, or of a deleted search answers 404. `lang` writes the feed's own words in
    that language."""
    found = saved.saved_search_for_feed(db, settings.secret_key or "", token)
    if found is None:
        raise NotFound("saved search")
    params: service.SearchParams | None = None
    hits: list[SearchHit] = []
    try:
        params = saved.params_of(found.query)
        hits = _found(db, settings, DIGEST_READER, params)
    except service.SearchInputError:
        pass  # saved before a sector was removed, say: it finds nothing now
    labels = labeller(db)
    body = _hits_feed(
        db,
        settings,
        hits,
        self_url=_with_lang(f"{settings.base_url}/feeds/saved/{token}.atom", request),
        alternate=settings.base_url + (search_url(params) if params else "/search"),
        title=search_feed_title(params, labels) if params else _("Cluster Forum: search"),
        subtitle=_("Your saved search “%(name)s”", name=found.name),
    )
    return _atom(body, private=True)
