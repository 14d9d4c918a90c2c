"""Reviewing intelligence: the status actions on an item, the moderators' review queue.

Every action is a CSRF-protected POST. A wrong person gets 403 with a message, bad input
(a withdrawal without a reason, a move the item cannot make) 422; a moderator's move is
kept in the audit log by the service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import Moderator, SignedInUser
from forum.core.i18n import Labels, _, _l, ngettext
from forum.core.pagination import page_number
from forum.core.web import DbSession, flash, redirect, render, safe_next
from forum.intelligence import queries, tag_review, writes
from forum.intelligence.models import countries_by_name

router = APIRouter(include_in_schema=False)

Reason = Annotated[str, Form(max_length=5_000)]
Next = Annotated[str, Form(max_length=500)]

DONE = Labels(
    published=_l("The item is published."),
    review=_l("The item is back in review: only moderators and its author see it now."),
    withdrawn=_l("The item is withdrawn: only moderators and its author see it, with the reason."),
)
# A move to the status the item has already (set_status accepts only known statuses).
ALREADY = Labels(
    draft=_l("The item was already a draft."),
    published=_l("The item was already published."),
    review=_l("The item was already in review."),
    withdrawn=_l("The item was already withdrawn."),
)


@router.get("/intel/review", response_class=HTMLResponse)
def review_queue(
    request: Request,
    db: DbSession,
    moderator: Moderator,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    listing = queries.page_review_queue(db, moderator, page=page_number(page))
    return render(
        request,
        "intelligence/review.html",
        {
            "nav": "intelligence",
            "listing": listing,
            "countries_of": {i.id: countries_by_name(i.country_codes) for i in listing.items},
        },
    )


@router.post("/intel/review/publish", response_class=HTMLResponse)
def publish_selected(
    request: Request,
    db: DbSession,
    moderator: Moderator,
    ids: Annotated[list[int], Form()] = [],  # noqa: B006
) -> Response:
    """Publish the ticked items of the review queue (those still in review)."""
    count = writes.publish_many(db, moderator, ids)
    db.commit()
    response = redirect("/intel/review")
    if count:
        flash(
            request,
            response,
            ngettext("Published %(num)s item.", "Published %(num)s items.", count),
            "success",
        )
    else:
        flash(request, response, _("Nothing published: those items were handled already."), "info")
    return response


@router.post("/intel/{item_id}/status", response_class=HTMLResponse)
def change_status(
    request: Request,
    item_id: int,
    db: DbSession,
    viewer: SignedInUser,
    status: Annotated[str, Form(max_length=20)] = "",
    reason: Reason = "",
    next: Next = "",
) -> Response:
    """Publish a draft, publish or send back to review, withdraw, restore (see service)."""
    item = queries.get_item(db, viewer, item_id)
    restoring = item.status == "withdrawn"
    changed = writes.set_status(db, viewer, item, status, reason=reason)
    db.commit()
    response = redirect(safe_next(next, item.url_path))
    if not changed:
        flash(request, response, ALREADY[status], "info")
    elif restoring:
        message = _("The item is restored.") if status == "published" else DONE[status]
        flash(request, response, message, "success")
    else:
        flash(request, response, DONE[status], "success")
    return response


TAG_DONE = Labels(
    added=_l("The tag is added; the correction is recorded."),
    removed=_l("The tag is removed; the correction is recorded."),
)


@router.post("/intel/{item_id}/tags", response_class=HTMLResponse)
def correct_tag(
    request: Request,
    item_id: int,
    db: DbSession,
    viewer: SignedInUser,
    field: Annotated[str, Form(max_length=20)] = "",
    code: Annotated[str, Form(max_length=60)] = "",
    action: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Add or remove one country or sector tag (the item's author or a moderator)."""
    item = queries.get_item(db, viewer, item_id)
    changed = tag_review.correct_tag(db, viewer, item, field, code, action)
    db.commit()
    response = redirect(f"{item.url_path}#tag-review-heading")
    if changed:
        flash(request, response, TAG_DONE[action], "success")
    else:
        flash(request, response, _("Nothing changed: the item's tags were already so."), "info")
    return response
