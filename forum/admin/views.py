"""The admin area's shell: the dashboard, the audit log and the region groups.

Each domain adds its own admin pages (users, partnerships, sectors) in its package.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.deps import Admin
from forum.accounts.models import Membership, User
from forum.admin.service import page_audit_log
from forum.core.i18n import _, _l
from forum.core.pagination import Page, page_number
from forum.core.web import DbSession, render_admin
from forum.partnerships.models import Partnership
from forum.taxonomy.regions import load_region_groups
from forum.taxonomy.service import countries_for

router = APIRouter(include_in_schema=False)

# The object types admin and moderator actions are recorded against.
AUDIT_TYPES = (
    ("user", _l("Members")),
    ("membership", _l("Memberships")),
    ("partnership", _l("Partnerships")),
    ("sector", _l("Sectors")),
    ("category", _l("Categories")),
    ("thread", _l("Threads")),
    ("post", _l("Posts")),
    ("flag", _l("Flags")),
    ("intel", _l("Intelligence items")),
    ("feed", _l("Feeds")),
    ("event", _l("Events")),
)
REGION_GROUPS_PER_PAGE = 10


def _counts(db: Session) -> dict[str, int]:
    """The dashboard's numbers, one query each."""
    users = select(func.count()).select_from(User)
    return {
        "users": db.scalar(users) or 0,
        "unverified": db.scalar(users.where(User.email_verified_at.is_(None))) or 0,
        "suspended": db.scalar(users.where(User.suspended_at.is_not(None))) or 0,
        "pending": db.scalar(
            select(func.count()).select_from(Membership).where(Membership.status == "pending")
        )
        or 0,
        "partnerships": db.scalar(select(func.count()).select_from(Partnership)) or 0,
    }


@router.get("/admin", response_class=HTMLResponse)
def dashboard(request: Request, db: DbSession, admin: Admin) -> HTMLResponse:
    return render_admin(
        request,
        "admin/dashboard.html",
        "dashboard",
        {
            "counts": _counts(db),
            "recent": page_audit_log(db, page=1, per_page=5).items,
        },
    )


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    db: DbSession,
    admin: Admin,
    type: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    object_type = type.strip() or None
    return render_admin(
        request,
        "admin/audit.html",
        "audit",
        {
            "listing": page_audit_log(db, page=page_number(page), object_type=object_type),
            "type": object_type or "",
            "type_options": [("", _("Everything")), *AUDIT_TYPES],
        },
    )


@router.get("/admin/region-groups", response_class=HTMLResponse)
def region_groups(
    request: Request,
    admin: Admin,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    groups = list(load_region_groups().values())
    number = page_number(page)
    start = (number - 1) * REGION_GROUPS_PER_PAGE
    listing = Page(
        groups[start : start + REGION_GROUPS_PER_PAGE],
        number,
        REGION_GROUPS_PER_PAGE,
        len(groups),
        "/admin/region-groups",
        {},
    )
    return render_admin(
        request,
        "admin/region_groups.html",
        "region-groups",
        {
            "listing": listing,
            "members_of": {g.code: countries_for(g.members) for g in listing.items},
        },
    )
