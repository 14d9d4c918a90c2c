"""HTML pages of the partnership directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from forum.accounts import memberships
from forum.accounts import service as accounts
from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core.errors import NotFound
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import DbSession, render
from forum.discussions import listing as thread_lists
from forum.discussions.models import KIND_LABELS, THREAD_KINDS
from forum.events import attendance as event_attendance
from forum.events import listing as event_lists
from forum.events import missions
from forum.notifications.service import follow_state, list_follows
from forum.partnerships import matching, service
from forum.partnerships.models import Partnership
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.service import countries_for, country_options, list_sectors

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
# The directory is read whole: the report's 21 partnerships fit on one page; pages only
# past that.
DIRECTORY_PER_PAGE = 50
PREVIEW = 5  # rows of each list on the profile; the full lists have pages of their own


@router.get("/partnerships", response_class=HTMLResponse)
def directory(
    request: Request,
    db: DbSession,
    country: Annotated[str, Query(max_length=40)] = "",
    sector: Annotated[str, Query(max_length=60)] = "",
    strand: Annotated[str, Query(max_length=2)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    countries, sectors = parse_filters(db, [country], [sector])
    strand_value = int(strand) if strand in ("1", "2") else None
    flt = service.PartnershipFilter(countries=countries, sectors=sectors, strand=strand_value)
    params = {"country": country, "sector": sector, "strand": strand}
    listing = service.page_partnerships(
        db, flt, page=page_number(page), per_page=DIRECTORY_PER_PAGE, params=params
    )
    return render(
        request,
        "partnerships/list.html",
        {
            "nav": "partnerships",
            "listing": listing,
            "countries_of": {p.id: countries_for(p.country_codes) for p in listing.items},
            "filters": params,
            "filtered": any(params.values()),
            "country_options": country_options(),
            "sector_options": [(s.slug, s.label) for s in list_sectors(db)],
        },
    )


def _partnership_or_404(db: DbSession, slug: str) -> Partnership:
    partnership = service.get_partnership_by_slug(db, slug)
    if partnership is None:
        raise NotFound("partnership")
    return partnership


@router.get("/partnerships/{slug}", response_class=HTMLResponse)
def profile(request: Request, slug: str, db: DbSession, viewer: OptionalUser) -> HTMLResponse:
    partnership = _partnership_or_404(db, slug)
    membership = viewer.membership if viewer else None
    # Member profiles are for members: visitors see that people exist, not who.
    # A suspended member is as good as absent here, as on their own page.
    people = (
        [
            p
            for p in memberships.partnership_members(db, partnership.id)
            if accounts.can_see_member(p)
        ]
        if viewer
        else []
    )
    coordinator = db.get(User, partnership.coordinator_id) if partnership.coordinator_id else None
    if coordinator is not None and not accounts.can_see_member(coordinator):
        coordinator = None  # as good as absent: no page, no messages
    base = f"/partnerships/{partnership.slug}"
    # Its good practices have a section of their own: the other threads are listed apart,
    # so that no good practice is listed twice.
    other_threads = thread_lists.ThreadFilter(
        partnership_id=partnership.id, not_kind="good_practice"
    )
    good_practices = thread_lists.ThreadFilter(partnership_id=partnership.id, kind="good_practice")
    upcoming = event_lists.EventFilter(partnership_ids=[partnership.id], when="upcoming")
    past = event_lists.EventFilter(partnership_ids=[partnership.id], when="past")
    matches = matching.page_matches(
        db,
        matching.interests_of_partnership(partnership),
        page=1,
        per_page=PREVIEW,
        base_path=f"{base}/matches",
    )
    upcoming_events = event_lists.page_events(db, upcoming, page=1, per_page=PREVIEW)
    past_events = event_lists.page_events(db, past, page=1, per_page=PREVIEW)
    event_hints = missions.event_hints(db, partnership_id=partnership.id)
    quarter_hints = missions.quarter_hints(db, partnership_id=partnership.id)
    return render(
        request,
        "partnerships/detail.html",
        {
            "nav": "partnerships",
            "partnership": partnership,
            "countries": countries_for(partnership.country_codes),
            "viewer": viewer,
            "membership": membership
            if membership and membership.partnership_id == partnership.id
            else None,
            "can_manage": bool(viewer and memberships.can_decide_membership(viewer, partnership)),
            "members": people,
            "coordinator": coordinator,
            "following": bool(
                viewer and follow_state(db, viewer.id, "partnership", str(partnership.id))
            ),
            "good_practices": thread_lists.page_threads(
                db,
                viewer,
                good_practices,
                page=1,
                per_page=PREVIEW,
                base_path=f"{base}/discussions",
                params={"kind": "good_practice"},
            ),
            "threads": thread_lists.page_threads(
                db,
                viewer,
                other_threads,
                page=1,
                per_page=PREVIEW,
                base_path=f"{base}/discussions",
            ),
            "upcoming_events": upcoming_events,
            "past_events": past_events,
            "going": {
                e.id: event_attendance.who_is_going(e)
                for e in upcoming_events.items + past_events.items
            },
            "agreements": service.page_agreements(
                db, partnership_id=partnership.id, per_page=PREVIEW, base_path=f"{base}/agreements"
            ),
            "matches": matches,
            "event_hints": event_hints[:PREVIEW],
            "event_hint_total": len(event_hints),
            "quarter_hints": quarter_hints[:PREVIEW],
            "quarter_hint_total": len(quarter_hints),
        },
    )


@router.get("/partnerships/{slug}/matches", response_class=HTMLResponse)
def partnership_matches(
    request: Request,
    slug: str,
    db: DbSession,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    partnership = _partnership_or_404(db, slug)
    listing = matching.page_matches(
        db,
        matching.interests_of_partnership(partnership),
        page=page_number(page),
        per_page=PER_PAGE,
        base_path=f"/partnerships/{partnership.slug}/matches",
    )
    return render(
        request,
        "partnerships/matches.html",
        {"nav": "partnerships", "partnership": partnership, "listing": listing},
    )


@router.get("/matches", response_class=HTMLResponse)
def my_matches(
    request: Request,
    db: DbSession,
    viewer: SignedInUser,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    interests = matching.interests_of_member(db, list_follows(db, viewer.id), viewer.partnership)
    listing = matching.page_matches(
        db,
        interests,
        page=page_number(page),
        per_page=PER_PAGE,
        base_path="/matches",
        subject="you both",
    )
    return render(
        request,
        "partnerships/matches.html",
        {
            "nav": None,
            "partnership": None,
            "own": viewer.partnership,
            "has_interests": not interests.empty,
            "listing": listing,
        },
    )


@router.get("/partnerships/{slug}/discussions", response_class=HTMLResponse)
def partnership_discussions(
    request: Request,
    slug: str,
    db: DbSession,
    viewer: OptionalUser,
    kind: Annotated[str, Query(max_length=30)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    partnership = _partnership_or_404(db, slug)
    if kind and kind not in THREAD_KINDS:
        raise HTTPException(
            422,
            _(
                "Unknown kind %(kind)s: use one of %(kinds)s.",
                kind=repr(kind),
                kinds=", ".join(THREAD_KINDS),
            ),
        )
    flt = thread_lists.ThreadFilter(partnership_id=partnership.id, kind=kind or None)
    listing = thread_lists.page_threads(
        db,
        viewer,
        flt,
        page=page_number(page),
        per_page=PER_PAGE,
        base_path=f"/partnerships/{partnership.slug}/discussions",
        params={"kind": kind},
    )
    return render(
        request,
        "partnerships/discussions.html",
        {
            "nav": "partnerships",
            "partnership": partnership,
            "listing": listing,
            "kind": kind,
            "kind_options": [("", _("Any kind"))] + [(k, KIND_LABELS[k]) for k in THREAD_KINDS],
            "countries_of": {t.id: countries_for(t.country_codes) for t in listing.items},
        },
    )


@router.get("/partnerships/{slug}/agreements", response_class=HTMLResponse)
def partnership_agreements(
    request: Request,
    slug: str,
    db: DbSession,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    partnership = _partnership_or_404(db, slug)
    listing = service.page_agreements(
        db,
        partnership_id=partnership.id,
        page=page_number(page),
        per_page=PER_PAGE,
        base_path=f"/partnerships/{partnership.slug}/agreements",
    )
    return render(
        request,
        "partnerships/agreements.html",
        {"nav": "partnerships", "partnership": partnership, "listing": listing},
    )
