"""The search page (`/search`), with search-as-you-type, and members' saved searches.

Thin: the page reads the same query parameters as `GET /api/v1/search`, asks
`service.search()` and presents the outcome. htmx requests (search-as-you-type) get
only the results region, `discovery/_results.html`, which the full page includes. A
search that answered is logged, a typing burst as one row (`search_log`).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.filters import Facet, build_facet
from forum.core.formats import country_name
from forum.core.i18n import Labels, _, _l
from forum.core.pagination import page_number
from forum.core.web import AppSettings, DbSession, flash, redirect, render
from forum.discovery import saved, search_log, service
from forum.discovery.labels import (
    FILTER_FIELDS,
    Labeller,
    active_filters,
    labeller,
    search_feed_url,
    search_url,
    subkind_label,
    toggled,
)
from forum.taxonomy.service import countries_for
from search.query import without_problems

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

FACET_NAMES = ("kind", "subkind", "country", "sector")
FACET_TITLES = Labels(
    kind=_l("Kind"), subkind=_l("Type"), country=_l("Country"), sector=_l("Sector")
)
# Page numbers shown on each side of the current one.
PAGE_WINDOW = 2
OPERATORS = (
    (
        "country:JP",
        _l(
            "a country by its ISO code or its name, or a region group, e.g. country:Japan, country:g:asean"
        ),
    ),
    ("sector:food", _l("a sector")),
    ("kind:intel", _l("thread, post, intel, event or partnership")),
    ("type:funding_call", _l("good_practice, funding_call, tender, market_study …")),
    ("category:good-practices", _l("a discussion category")),
    ("after:2019-01-01", _l("on or after that day")),
    ("before:2019-06-30", _l("before that day")),
    ("in:title", _l("search titles only")),
    ('"joint mission"', _l("these words, together and in this order")),
)


@dataclass
class RawSearch:
    """The search as typed (query string or form), before `build_params` checks it."""

    q: str = ""
    country: list[str] = field(default_factory=list)
    sector: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    subkind: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    date_from: str = ""
    date_to: str = ""
    sort: str = ""
    page: str = ""

    @classmethod
    def parse(cls, query_string: str) -> RawSearch:
        raw = cls()
        for key, value in parse_qsl(query_string, keep_blank_values=True):
            if key in ("country", "sector", "kind", "subkind", "category"):
                getattr(raw, key).append(value)
            elif key in ("q", "sort", "page"):
                setattr(raw, key, value)
            elif key in ("from", "to"):
                setattr(raw, "date_" + key, value)
        return raw

    def params(self) -> service.SearchParams:
        """Raises SearchInputError saying what is wrong."""
        return service.build_params(
            q=self.q, countries=self.country, sectors=self.sector, kinds=self.kind,
            subkinds=self.subkind, categories=self.category, date_from=self.date_from,
            date_to=self.date_to, sort=self.sort, page=self.page or None,
        )  # fmt: skip


def raw_search(
    q: Annotated[str, Query(max_length=2 * service.MAX_QUERY_CHARS)] = "",
    country: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    sector: Annotated[list[str], Query()] = [],  # noqa: B006
    kind: Annotated[list[str], Query()] = [],  # noqa: B006
    subkind: Annotated[list[str], Query()] = [],  # noqa: B006
    category: Annotated[list[str], Query()] = [],  # noqa: B006
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[str, Query(max_length=6)] = "",
) -> RawSearch:
    """The page's query parameters, the API's names; checked by `build_params` so that a
    mistake is shown on the page in words, not as a validation error."""
    return RawSearch(q, country, sector, kind, subkind, category, date_from, date_to, sort, page)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    viewer: OptionalUser,
    raw: Annotated[RawSearch, Depends(raw_search)],
) -> Response:
    return _search_response(request, db, settings, viewer, raw)


def _is_partial(request: Request) -> bool:
    """An htmx request for the results region. A history restore (the back button after
    the cache forgot the page) is sent with HX-Request too, and needs the whole page."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def _search_response(
    request: Request,
    db: DbSession,
    settings: Settings,
    viewer: User | None,
    raw: RawSearch,
    *,
    save_error: str | None = None,
    save_name: str = "",
) -> Response:
    context: dict[str, Any] = {
        "nav": "search",
        "raw": raw,
        "params": None,
        "outcome": None,
        "error": None,
        "feed_url": "/feeds/search.atom",
        "unavailable": False,
        "operators": OPERATORS,
        "signed_in": viewer is not None,
        "save_error": save_error,
        "save_name": save_name,
    }
    status = 200
    outcome: service.SearchOutcome | None = None
    try:
        params = raw.params()
        context["params"] = params
        context["feed_url"] = search_feed_url(params)
        if not params.is_empty:
            outcome = service.search(db, settings, viewer, params)
            context.update(_results_context(db, params, outcome))
    except service.SearchInputError as exc:
        context["error"] = _sentence(str(exc))
        context["retry_q"] = without_problems(raw.q or "")
        status = 422
    except service.SearchUnavailable as exc:
        log.warning("search unavailable: %s", exc)
        context["unavailable"] = True
        status = 503
    if save_error:
        status = 422  # what was asked (saving) was refused, whatever the search showed
    partial = _is_partial(request)
    template = "discovery/_results.html" if partial else "discovery/search.html"
    response = render(request, template, context, status_code=status)
    if partial and context["params"] is not None:
        # The address bar shows the search as a link to it would read, without the
        # form's empty fields (from=&to=&sort=relevance).
        response.headers["HX-Push-Url"] = search_url(context["params"], page=context["params"].page)
    # The same address answers a page or a fragment: caches must keep them apart.
    response.headers["Vary"] = "HX-Request"
    if status == 503:
        response.headers["Retry-After"] = "30"
    if outcome is not None and save_error is None:
        search_log.log_page_search(
            db, settings, request, response, outcome, signed_in=viewer is not None,
            partial=partial,
        )  # fmt: skip
    return response


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _results_context(
    db: DbSession, params: service.SearchParams, outcome: service.SearchOutcome
) -> dict[str, Any]:
    labels = labeller(db)
    results = outcome.results
    hits = [
        {
            "url": hit.url,
            # Escaped by the engine (html.escape, then <mark>); shown with |safe.
            "title_html": hit.title_html or html.escape(hit.title),
            "snippet": hit.snippet,
            "kind_label": service.KIND_LABELS.get(hit.kind, hit.kind),
            "subkind_label": subkind_label(hit.subkind) if hit.subkind else None,
            "countries": [
                {"code": c.code, "name": country_name(c.code)} for c in countries_for(hit.countries)
            ],
            "sectors": [{"slug": s, "name": labels.sectors.get(s, s)} for s in hit.sectors],
            "date": hit.created_at,
            "language": hit.language,
        }
        for hit in results.hits
    ]
    first = (params.page - 1) * outcome.per_page + 1
    return {
        "outcome": outcome,
        "hits": hits,
        "total": results.total,
        # False: Meilisearch counted up to its maxTotalHits; the total is a floor.
        "total_exact": results.total_exact,
        "first": first,
        "last": first + len(hits) - 1,
        "facets": _facets(params, outcome, labels),
        "active": active_filters(params, labels),
        "without_filters": (
            search_url(service.SearchParams(q=params.q, sort=params.sort))
            if params.q
            else "/search"
        ),
        "pages": _page_links(params, outcome.pages),
        "save_query": urlencode(params.query_items(page=1)),
        "login_url": "/login?" + urlencode({"next": search_url(params, page=params.page)}),
    }


def _facets(
    params: service.SearchParams, outcome: service.SearchOutcome, labels: Labeller
) -> list[Facet]:
    """Each facet with its most frequent values first and every other one behind "Show
    all" (active filters always shown: a filter must stay removable where it matches
    nothing)."""
    out = []
    for name in FACET_NAMES:
        chosen: tuple[str, ...] = getattr(params, FILTER_FIELDS[name])
        facet = build_facet(
            name, str(FACET_TITLES[name]), dict(outcome.facets.get(name, {})), chosen,
            label=partial(labels.label, name), url=partial(_toggled_url, params, name),
        )  # fmt: skip
        if facet is not None:
            out.append(facet)
    return out


def _toggled_url(params: service.SearchParams, name: str, value: str) -> str:
    return search_url(toggled(params, name, value))


def _page_links(params: service.SearchParams, pages: int) -> dict[str, Any] | None:
    """Previous/next and a window of page numbers, each keeping every other parameter."""
    if pages <= 1 and params.page <= 1:
        return None
    current = params.page
    numbers = sorted(
        {1, pages, *range(max(1, current - PAGE_WINDOW), min(pages, current + PAGE_WINDOW) + 1)}
    )
    links: list[tuple[int, str] | None] = []
    for i, number in enumerate(numbers):
        if i and number - numbers[i - 1] > 1:
            links.append(None)  # a gap: "…"
        links.append((number, search_url(params, page=number)))
    return {
        "current": current,
        "pages": pages,
        "prev": search_url(params, page=current - 1) if current > 1 else None,
        "next": search_url(params, page=current + 1) if current < pages else None,
        "numbers": links,
    }


# --- saved searches ---------------------------------------------------------------------------

NameField = Annotated[str, Form(max_length=400)]
QueryField = Annotated[str, Form(max_length=saved.QUERY_MAX)]


@router.post("/search/saved", response_class=HTMLResponse)
def create_saved_search(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    viewer: OptionalUser,
    query: QueryField = "",
    name: NameField = "",
) -> Response:
    if viewer is None:
        # Signed out between seeing the form and pressing it: come back to the search.
        return redirect("/login?" + urlencode({"next": f"/search?{query}" if query else "/search"}))
    try:
        created = saved.create_saved_search(db, user=viewer, name=name, query_string=query)
    except saved.SavedSearchError as exc:
        db.rollback()
        return _search_response(
            request, db, settings, viewer, RawSearch.parse(query),
            save_error=str(exc), save_name=name,
        )  # fmt: skip
    db.commit()
    response = redirect(f"/search?{created.query}")
    flash(request, response, _("Search saved as “%(name)s”.", name=created.name), "success")
    return response


@router.post("/search/saved/{saved_id}/delete", response_class=HTMLResponse)
def delete_saved_search(
    request: Request, db: DbSession, viewer: SignedInUser, saved_id: int
) -> Response:
    saved.delete_saved_search(db, user=viewer, saved_id=saved_id)
    db.commit()
    response = redirect("/settings/searches")
    flash(request, response, _("The saved search is deleted."), "success")
    return response


@router.post("/search/saved/{saved_id}/feed", response_class=HTMLResponse)
def reset_saved_search_feed(
    request: Request, db: DbSession, viewer: SignedInUser, saved_id: int
) -> Response:
    """A new private feed address for the saved search; the old one stops working."""
    found = saved.reset_feed_token(db, user=viewer, saved_id=saved_id)
    db.commit()
    response = redirect(f"/settings/searches#saved-{found.id}")
    flash(
        request,
        response,
        _("The feed of “%(name)s” has a new address; the old one no longer works.",
          name=found.name),
        "success",
    )  # fmt: skip
    return response


@router.get("/settings/searches", response_class=HTMLResponse)
def saved_searches(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    viewer: SignedInUser,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    listing = saved.list_saved_searches(db, viewer, page=page_number(page))
    labels = labeller(db)
    rows = []
    for item in listing.items:
        try:
            described = [f.text for f in active_filters(saved.params_of(item.query), labels)]
            words = saved.params_of(item.query).q
        except service.SearchInputError:
            # Saved before a sector was renamed away, say: still listed, still deletable.
            described, words = [], ""
        token = saved.feed_token(settings.secret_key or "", item)
        rows.append({
            "item": item, "url": f"/search?{item.query}", "words": words, "filters": described,
            "feed_url": f"{settings.base_url}/feeds/saved/{token}.atom",
        })  # fmt: skip
    return render(
        request,
        "discovery/saved.html",
        {
            "nav": None,
            "listing": listing,
            "rows": rows,
            "max_saved": saved.MAX_PER_MEMBER,
        },
    )
