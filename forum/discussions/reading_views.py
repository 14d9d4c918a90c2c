"""The reading state's own routes and pieces of the discussion lists: the Latest, Unread,
New and Good practices tabs, and "Mark all read" (forum.discussions.reading)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import SignedInUser
from forum.accounts.models import User
from forum.core.i18n import _, ngettext
from forum.core.web import DbSession, flash, redirect, safe_next
from forum.discussions import reading

router = APIRouter(include_in_schema=False)


def tabs(base: str, viewer: User | None, view: str, kind: str) -> list[dict[str, object]]:
    """Latest, Unread, New (signed in) and Good practices: (label, address, current)."""
    practices = kind == "good_practice" and view == "latest"
    out: list[tuple[str, str, bool]] = [(_("Latest"), base, view == "latest" and not practices)]
    if viewer is not None:
        out += [
            (_("Unread"), f"{base}?view=unread", view == "unread"),
            (_("New"), f"{base}?view=new", view == "new"),
        ]
    out.append((_("Good practices"), f"{base}?kind=good_practice", practices))
    return [{"label": label, "url": url, "current": current} for label, url, current in out]


@router.post("/discussions/read", response_class=HTMLResponse)
def mark_all_read(
    request: Request,
    db: DbSession,
    viewer: SignedInUser,
    next: Annotated[str, Form(max_length=500)] = "/discussions",
) -> Response:
    count = reading.mark_all_read(db, viewer)
    db.commit()
    response = redirect(safe_next(next, "/discussions"))
    flash(
        request,
        response,
        ngettext("%(num)s thread marked read.", "%(num)s threads marked read.", count)
        if count
        else _("You had read everything already."),
        "success",
    )
    return response
