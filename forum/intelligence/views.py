"""HTML pages of the intelligence repository: the faceted list, an item, adding and editing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core import content_language
from forum.core.errors import LoginRequired
from forum.core.filters import ListQuery, normalized_places
from forum.core.formats import language_name
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import DbSession, redirect, render
from forum.discussions.listing import ThreadFilter, recent_threads
from forum.discussions.models import Thread
from forum.intelligence import attachment_views, facets, queries, service, tag_review, writes
from forum.intelligence.models import (
    INTEL_KINDS,
    KIND_LABELS,
    IntelItem,
    countries_by_name,
)
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.forms import TagFieldsError, read_tag_fields
from forum.taxonomy.picker import place_choices, sector_choices
from forum.taxonomy.service import list_sectors, sector_labels

router = APIRouter(include_in_schema=False)

Short = Annotated[str, Form(max_length=1000)]
Long = Annotated[str, Form(max_length=60_000)]
# "Your drafts" (/intel?mine=1): what the member added that is not public.
MY_STATUSES = ("draft", "review", "withdrawn")


def parse_day(value: str, field_name: str) -> dt.datetime | None:
    """A YYYY-MM-DD date as midnight UTC; raises IntelError naming the field."""
    if not value:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time.min, tzinfo=dt.UTC)
    except ValueError as exc:
        raise service.IntelError(_("Give the date as YYYY-MM-DD."), field_name) from exc


def end_of_day(start: dt.datetime | None) -> dt.datetime | None:
    """The last moment of the day starting at `start`: a "to" date includes its whole day."""
    return (
        None if start is None else start.replace(hour=23, minute=59, second=59, microsecond=999999)
    )


def item_form(
    title: Short,
    kind: Annotated[str, Form(max_length=20)] = "news",
    summary: Long = "",
    body: Long = "",
    countries: Annotated[list[str], Form()] = [],  # noqa: B006
    sectors: Annotated[list[str], Form()] = [],  # noqa: B006
    is_global: Annotated[str, Form(max_length=1)] = "",
    url: Short = "",
    source_name: Short = "",
    source_url: Short = "",
    published_at: Annotated[str, Form(max_length=10)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
) -> dict[str, object]:
    """The fields of the add and edit forms, as typed (validated later by `_input`)."""
    return {
        "title": title, "kind": kind, "summary": summary, "body": body, "countries": countries,
        "sectors": sectors, "is_global": is_global, "url": url, "source_name": source_name,
        "source_url": source_url, "published_at": published_at, "deadline": deadline,
        "language": language,
    }  # fmt: skip


ItemForm = Annotated[dict[str, object], Depends(item_form)]


@router.get("/intel", response_class=HTMLResponse)
def intel_list(
    request: Request,
    db: DbSession,
    viewer: OptionalUser,
    country: Annotated[list[str], Query()] = [],  # noqa: B006
    sector: Annotated[list[str], Query()] = [],  # noqa: B006
    kind: Annotated[list[str], Query()] = [],  # noqa: B006
    source: Annotated[list[str], Query()] = [],  # noqa: B006
    published_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    published_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    open_deadlines: Annotated[str, Query(alias="open", max_length=1)] = "",
    sort: Annotated[str, Query(max_length=10)] = "added",
    page: Annotated[str, Query(max_length=6)] = "1",
    mine: Annotated[str, Query(max_length=1)] = "",
    match: Annotated[str, Query(max_length=3)] = "",
) -> Response:
    if mine == "1" and viewer is None:
        raise LoginRequired("/intel?mine=1")
    own = viewer if mine == "1" else None
    country = normalized_places(country)
    countries, sectors = parse_filters(db, country, sector)
    for value in kind:
        if value not in INTEL_KINDS:
            raise HTTPException(422, _("Unknown kind %(value)r.", value=value))
    start, end = parse_day(published_from, "from"), parse_day(published_to, "to")
    if start and end and start > end:
        # As /search and /events answer it.
        raise service.IntelError(
            _("'from' (%(start)s) is after 'to' (%(end)s)", start=start.date(), end=end.date()),
            "to",
        )
    flt = queries.IntelFilter(
        countries=countries, sectors=sectors, kinds=kind, sources=source,
        published_from=start, published_to=end_of_day(end),
        open_deadlines=open_deadlines == "1",
        author_id=own.id if own else None, statuses=MY_STATUSES if own else (),
        match_any=match == "any",
    )  # fmt: skip
    params: dict[str, object] = {
        "mine": mine, "country": country, "sector": sector, "kind": kind, "source": source,
        "from": published_from, "to": published_to, "open": open_deadlines,
        "sort": "" if sort == "added" else sort, "match": match,
    }  # fmt: skip
    # The list is of published items for everyone (its counts are then shared and
    # cached); your own drafts are under ?mine=1, items in review at /intel/review.
    reader = viewer if own else None
    listing = queries.page_items(db, reader, flt, page=page_number(page), sort=sort, params=params)
    counts = queries.facet_counts(db, reader, flt)
    practices, practice_total = _good_practices(db, viewer, own, countries, sectors)
    sector_names = sector_labels(db)
    query = ListQuery.of("/intel", params)
    chips = facets.chips(
        query, sector_names, start.date() if start else None, end.date() if end else None
    )
    return render(
        request,
        "intelligence/list.html",
        {
            "nav": "intelligence",
            "listing": listing,
            "countries_of": {i.id: countries_by_name(i.country_codes) for i in listing.items},
            "deadline_of": {i.id: queries.deadline_state(i) for i in listing.items},
            "facets": facets.facets(query, counts, sector_names),
            "sorts": facets.sort_links(query, sort),
            "open_link": (
                query.without("open") if open_deadlines == "1" else query.replaced("open", "1")
            ),
            "query": query,
            "chips": chips,
            "clear_url": query.keeping(["mine", "sort"]),
            "feed_query": [(k, v) for k, v in query.items if k in ("country", "sector", "kind")],
            "filters": {
                "from": published_from,
                "to": published_to,
                "open": open_deadlines,
                "sort": sort,
            },
            "filtered": bool(chips),
            "match_any": match == "any",
            "good_practices": practices,
            "good_practice_total": practice_total,
            "good_practices_url": _good_practices_url(country, sector),
            "can_add": viewer is not None,
            "mine": own is not None,
        },
    )


# Good practices served with the intelligence they share a country or sector with.
GOOD_PRACTICES_SHOWN = 5


def _good_practices(
    db: DbSession,
    viewer: User | None,
    own: User | None,
    countries: list[str],
    sectors: list[str],
) -> tuple[list[Thread], int]:
    """The good practices `viewer` may read on the chosen countries and sectors (the
    repository the report asked for holds both), newest activity first; none unfiltered."""
    if own is not None or not (countries or sectors):
        return [], 0
    flt = ThreadFilter(kind="good_practice", countries=countries, sectors=sectors)
    return recent_threads(db, viewer, flt, limit=GOOD_PRACTICES_SHOWN)


def _good_practices_url(country: list[str], sector: list[str]) -> str:
    """The discussions list of those good practices (it takes one country and one sector)."""
    params = {"kind": "good_practice", "country": country[:1], "sector": sector[:1]}
    return "/discussions?" + urlencode(params, doseq=True)


@router.get("/intel/new", response_class=HTMLResponse)
def new_item_form(request: Request, db: DbSession, viewer: SignedInUser) -> Response:
    return render(
        request, "intelligence/form.html", _form_context(db, viewer, None, {"kind": "news"}, {})
    )


@router.post("/intel/new", response_class=HTMLResponse)
def create_item(
    request: Request,
    db: DbSession,
    viewer: SignedInUser,
    form: ItemForm,
    status: Annotated[str, Form(pattern="^(published|draft)$")] = "published",
    action: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    if action == "preview":
        return _preview(request, db, viewer, None, form)
    try:
        data = _input(db, form)
        item = writes.create_item(db, viewer, data, status=status)
    except service.IntelError as exc:
        db.rollback()
        return render(
            request, "intelligence/form.html",
            _form_context(db, viewer, None, form, {exc.field or "_": str(exc)}), status_code=422,
        )  # fmt: skip
    db.commit()
    return redirect(item.url_path)


def _preview(
    request: Request, db: DbSession, viewer: User, item: IntelItem | None,
    form: Mapping[str, object],
) -> Response:  # fmt: skip
    """The form again with its notes rendered below it; nothing is saved."""
    try:
        preview = writes.preview_body(str(form["body"]))
    except service.IntelError as exc:
        return render(
            request, "intelligence/form.html",
            _form_context(db, viewer, item, form, {exc.field or "_": str(exc)}), status_code=422,
        )  # fmt: skip
    context = _form_context(db, viewer, item, form, {})
    context["preview"] = preview
    return render(request, "intelligence/form.html", context)


@router.post("/intel/preview", response_class=HTMLResponse)
def preview_fragment(request: Request, viewer: SignedInUser, body: Long = "") -> Response:
    """The htmx preview: the rendered notes only (without JavaScript the form posts `action=preview`)."""
    preview = writes.preview_body(body)
    return render(request, "discussions/_preview.html", {"preview": preview})


def _input(db: DbSession, form: Mapping[str, object]) -> writes.ItemInput:
    try:
        tags = read_tag_fields(
            db,
            countries=[str(c) for c in form["countries"]],  # type: ignore[attr-defined]
            sectors=[str(s) for s in form["sectors"]],  # type: ignore[attr-defined]
        )
    except TagFieldsError as exc:
        field, message = exc.first
        raise service.IntelError(message, field) from exc
    return writes.ItemInput(
        title=str(form["title"]), kind=str(form["kind"]), summary=str(form["summary"]),
        body=str(form["body"]), countries=tags.countries, sectors=tags.sectors,
        is_global=form["is_global"] == "1", url=str(form["url"]) or None,
        source_name=str(form["source_name"]) or None, source_url=str(form["source_url"]) or None,
        published_at=parse_day(str(form["published_at"]), "published_at"),
        deadline=parse_day(str(form["deadline"]), "deadline"),
        language=str(form.get("language") or "") or None,
    )  # fmt: skip


def _form_context(
    db: DbSession, viewer: User, item: IntelItem | None, form: Mapping[str, object],
    errors: dict[str, str],
) -> dict[str, object]:  # fmt: skip
    return {
        "nav": "intelligence",
        "item": item,
        "form": form,
        "errors": errors,
        "kind_options": [(k, KIND_LABELS[k]) for k in INTEL_KINDS],
        "place_groups": place_choices(suggested=viewer.target_countries),
        "sector_groups": sector_choices(list_sectors(db), suggested=viewer.target_sectors),
        "language_options": _language_options(str(form.get("language") or "")),
    }


def _language_options(current: str) -> list[tuple[str, str]]:
    """The form's languages, with the item's own (a feed's "en-US") when not among them."""
    options = content_language.options()
    if current and current not in {code for code, _label in options}:
        options.insert(1, (current, language_name(current)))
    return options


@router.get("/intel/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: int, db: DbSession, viewer: OptionalUser) -> Response:
    item = queries.get_item(db, viewer, item_id)
    return render(
        request,
        "intelligence/item.html",
        {
            "nav": "intelligence",
            "item": item,
            "countries": countries_by_name(item.country_codes),
            "deadline": queries.deadline_state(item),
            "can_edit": service.can_edit(viewer, item),
            **attachment_views.item_context(request, viewer, item),
            "transitions": service.status_transitions(viewer, item),
            "can_report": service.can_report(viewer, item),
            "tag_review": (
                tag_review.tag_rows(item) if service.can_correct_tags(viewer, item) else None
            ),
            "sector_options": [(s.slug, s.name) for s in list_sectors(db)],
        },
    )


def _viewer_item(db: DbSession, viewer: User, item_id: int) -> IntelItem:
    item = queries.get_item(db, viewer, item_id)
    service.require_can_edit(viewer, item)
    return item


@router.get("/intel/{item_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, item_id: int, db: DbSession, viewer: SignedInUser) -> Response:
    item = _viewer_item(db, viewer, item_id)
    form: dict[str, object] = {
        "title": item.title, "kind": item.kind, "summary": item.summary, "body": item.body,
        "countries": item.country_codes, "sectors": [s.slug for s in item.sectors],
        "is_global": "1" if item.is_global else "", "url": item.url or "",
        "source_name": item.source_name or "", "source_url": item.source_url or "",
        "published_at": item.published_at.date().isoformat() if item.published_at else "",
        "deadline": item.deadline.date().isoformat() if item.deadline else "",
        "language": item.language or "",
    }  # fmt: skip
    return render(request, "intelligence/form.html", _form_context(db, viewer, item, form, {}))


@router.post("/intel/{item_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request,
    item_id: int,
    db: DbSession,
    viewer: SignedInUser,
    form: ItemForm,
    action: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    item = _viewer_item(db, viewer, item_id)
    if action == "preview":
        return _preview(request, db, viewer, item, form)
    try:
        writes.update_item(db, viewer, item, _input(db, form))
    except service.IntelError as exc:
        db.rollback()
        return render(
            request, "intelligence/form.html",
            _form_context(db, viewer, item, form, {exc.field or "_": str(exc)}), status_code=422,
        )  # fmt: skip
    db.commit()
    return redirect(item.url_path)
