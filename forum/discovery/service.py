"""Searching the forum: what a viewer may find, filters and operators, results to show.

The search page and the API both call `search()`: it validates the filters (unknown
countries, sectors or kinds are errors that name the value), merges the operators
typed in the box (`country:JP sector:food foodnet`), and asks the engine with the
visibilities this viewer may see, so hidden, members-only, draft and withdrawn content
is filtered in the engine's query, never after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.errors import Invalid
from forum.core.i18n import Labels, _, _l, lazy_pgettext
from forum.discovery.sync import search_engine
from forum.discussions.service import DigestReader
from forum.taxonomy.models import Sector
from forum.taxonomy.names import find_place
from forum.taxonomy.regions import UnknownCountryError, expand_codes
from search.engine import (
    FACETS,
    KINDS,
    SEARCH_FIELDS,
    SORTS,
    SearchError,
    SearchQuery,
    SearchResults,
)
from search.query import ParsedQuery, parse_query

PER_PAGE = 10
# Deep pages cost the engine more for nobody: Meilisearch caps them too.
MAX_PAGE = 100
MAX_QUERY_CHARS = 500

KIND_LABELS = Labels(
    thread=_l("Discussion"),
    post=lazy_pgettext("search result kind", "Reply"),
    intel=_l("Intelligence"),
    event=_l("Event"),
    partnership=_l("Partnership"),
)


class SearchInputError(Invalid):
    """A filter the forum does not know (the message names it): a 422, not a 500. The
    filters are read from the query string, and the API's answer says so."""

    def __init__(self, message: str) -> None:
        super().__init__(message, where="query")


class SearchUnavailable(Exception):
    """The engine could not answer: the page says so, the API answers 503."""


@dataclass(frozen=True)
class SearchParams:
    """What a searcher asked for, as the page's form and the API's query string carry it."""

    q: str = ""
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    subkinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive: the whole day
    sort: str = "relevance"
    page: int = 1

    def query_items(self, *, page: int | None = None) -> list[tuple[str, str]]:
        """The query string of these parameters (for links, saved searches, paging)."""
        items: list[tuple[str, str]] = []
        if self.q:
            items.append(("q", self.q))
        items += [("country", c) for c in self.countries]
        items += [("sector", s) for s in self.sectors]
        items += [("kind", k) for k in self.kinds]
        items += [("subkind", k) for k in self.subkinds]
        items += [("category", c) for c in self.categories]
        if self.date_from:
            items.append(("from", self.date_from.isoformat()))
        if self.date_to:
            items.append(("to", self.date_to.isoformat()))
        if self.sort != "relevance":
            items.append(("sort", self.sort))
        number = self.page if page is None else page
        if number > 1:
            items.append(("page", str(number)))
        return items

    @property
    def is_empty(self) -> bool:
        return not (
            self.q.strip()
            or self.countries
            or self.sectors
            or self.kinds
            or self.subkinds
            or self.categories
            or self.date_from
            or self.date_to
        )

    @property
    def has_filters(self) -> bool:
        return bool(
            self.countries
            or self.sectors
            or self.kinds
            or self.subkinds
            or self.categories
            or self.date_from
            or self.date_to
        )


@dataclass
class SearchOutcome:
    params: SearchParams
    query: SearchQuery
    parsed: ParsedQuery
    results: SearchResults
    per_page: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, -(-self.results.total // self.per_page)))


def visibilities_for(viewer: User | DigestReader | None) -> tuple[str, ...]:
    """What a viewer may find: the public, members' categories, and for moderators hidden
    posts and threads (marked as such in results). A digest's reader (`DIGEST_READER`)
    finds what any member finds, never hidden content."""
    if viewer is None:
        return ("public",)
    if isinstance(viewer, User) and viewer.is_moderator:
        return ("public", "members", "hidden")
    return ("public", "members")


def _clean(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def build_params(
    *,
    q: str | None = None,
    countries: Sequence[str] = (),
    sectors: Sequence[str] = (),
    kinds: Sequence[str] = (),
    subkinds: Sequence[str] = (),
    categories: Sequence[str] = (),
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    sort: str | None = None,
    page: int | str | None = None,
) -> SearchParams:
    """SearchParams from raw input; raises SearchInputError saying what is wrong."""
    text = (q or "").strip()
    if text and (q or "")[-1:].isspace():
        # A word followed by a space was typed in full: it is not a prefix (docs/search.md).
        text += " "
    if len(text) > MAX_QUERY_CHARS:
        raise SearchInputError(
            _("the search text is longer than %(max)s characters", max=MAX_QUERY_CHARS)
        )
    sort = sort or "relevance"
    if sort not in SORTS:
        raise SearchInputError(
            _("unknown sort %(value)r; use one of: %(known)s", value=sort, known=", ".join(SORTS))
        )
    kinds = _clean(kinds)
    for kind in kinds:
        if kind not in KINDS:
            raise SearchInputError(
                _(
                    "unknown kind %(value)r; use one of: %(known)s",
                    value=kind,
                    known=", ".join(KINDS),
                )
            )
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        raise SearchInputError(_("page must be a number, got %(value)r", value=page)) from None
    if not 1 <= number <= MAX_PAGE:
        raise SearchInputError(
            _("page must be between 1 and %(max)s, got %(value)s", max=MAX_PAGE, value=number)
        )
    start, end = _date(date_from, "from"), _date(date_to, "to")
    if start and end and start > end:
        raise SearchInputError(
            _("'from' (%(start)s) is after 'to' (%(end)s)", start=start, end=end)
        )
    return SearchParams(
        q=text,
        # Case first, then repeats: country=ma&country=MA is one filter.
        countries=_clean(
            [
                c.strip().lower() if c.strip().lower().startswith("g:") else c.upper()
                for c in countries
            ]
        ),
        sectors=_clean(sectors),
        kinds=kinds,
        subkinds=_clean(subkinds),
        categories=_clean(categories),
        date_from=start,
        date_to=end,
        sort=sort,
        page=number,
    )


def _date(value: str | dt.date | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise SearchInputError(
            _("'%(name)s' must be a date as YYYY-MM-DD, got %(value)r", name=name, value=value)
        ) from None


def _expand(code: str) -> list[str]:
    """ISO codes for a country code, a region group, or a name in a known language."""
    if not (len(code) == 2 and code.isalpha()) and not code.lower().startswith("g:"):
        place = find_place(code)
        if place is None:
            raise SearchInputError(_problem("country", code))
        code = place
    try:
        return expand_codes([code])
    except UnknownCountryError as exc:
        raise SearchInputError(
            _("unknown country or region group: %(value)r", value=exc.code)
        ) from None


_SLUG_EXAMPLES = {"sector": "food", "type": "news", "category": "good-practices"}


def _problem(operator: str, value: str) -> str:
    """What is wrong with an operator word of the search box (search.query's problems)."""
    if operator in ("after", "before"):
        return _(
            "'%(operator)s:' must be followed by a date as YYYY-MM-DD, got %(value)r",
            operator=operator,
            value=value,
        )
    if operator == "kind":
        return _(
            "unknown kind %(value)r; use one of: %(known)s", value=value, known=", ".join(KINDS)
        )
    if operator == "in":
        return _(
            "unknown field %(value)r after 'in:'; use one of: %(known)s",
            value=value,
            known=", ".join(SEARCH_FIELDS),
        )
    if operator == "country":
        return _(
            "no country or region is called %(value)r; use a name such as Japan "
            "or Japon, an ISO code such as JP, or a region group such as g:asean",
            value=value,
        )
    return _(
        "%(value)r cannot follow '%(operator)s:'; use letters, digits and hyphens, "
        "such as %(operator)s:%(example)s",
        value=value,
        operator=operator,
        example=_SLUG_EXAMPLES.get(operator, "food"),
    )


def _check_sectors(db: Session, slugs: Sequence[str]) -> None:
    if not slugs:
        return
    known = set(db.scalars(select(Sector.slug).where(Sector.slug.in_(slugs))))
    for slug in slugs:
        if slug not in known:
            raise SearchInputError(_("unknown sector: %(value)r", value=slug))


def build_query(
    db: Session,
    viewer: User | DigestReader | None,
    params: SearchParams,
    *,
    per_page: int = PER_PAGE,
) -> tuple[SearchQuery, ParsedQuery]:
    """The engine query for `params` as `viewer` may see it; raises SearchInputError."""
    parsed = parse_query(params.q)
    if parsed.problems:
        raise SearchInputError("; ".join(_problem(op, value) for op, value in parsed.problems))
    countries: list[str] = []
    for code in params.countries:
        countries.extend(_expand(code))
    _check_sectors(db, [*params.sectors, *parsed.sectors])
    base = SearchQuery(
        countries=tuple(dict.fromkeys(countries)),
        sectors=params.sectors,
        kinds=params.kinds,
        subkinds=params.subkinds,
        categories=params.categories,
        visibilities=visibilities_for(viewer),
        date_from=(
            dt.datetime.combine(params.date_from, dt.time(), tzinfo=dt.UTC)
            if params.date_from
            else None
        ),
        date_to=(
            dt.datetime.combine(params.date_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            if params.date_to
            else None
        ),
        sort=params.sort,
        page=params.page,
        per_page=per_page,
    )
    query = parsed.apply(base, expand_country=_expand)
    return query, parsed


def search(
    db: Session,
    settings: Settings,
    viewer: User | DigestReader | None,
    params: SearchParams,
    *,
    per_page: int = PER_PAGE,
) -> SearchOutcome:
    """Run the search; raises SearchInputError for bad filters, SearchUnavailable when
    the engine cannot answer."""
    query, parsed = build_query(db, viewer, params, per_page=per_page)
    try:
        results = search_engine(settings).search(query)
    except SearchError as exc:
        raise SearchUnavailable(str(exc)) from exc
    facets = {name: results.facets.get(name, {}) for name in FACETS}
    return SearchOutcome(
        params=params,
        query=query,
        parsed=parsed,
        results=results,
        per_page=per_page,
        facets=facets,
    )
