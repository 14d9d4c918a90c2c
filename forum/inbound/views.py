"""Pages of inbound mail: confirming a thread sent by email, and the admins' list of
refused messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import Admin
from forum.core.pagination import page_number
from forum.core.web import DbSession, redirect, render, render_admin
from forum.discussions.service import DiscussionError
from forum.inbound import service
from forum.inbound.reasons import REASONS

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=100)]


@router.get("/inbound/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, db: DbSession, token: Token) -> HTMLResponse:
    pending = service.find_pending(db, token)
    return render(
        request,
        "inbound/confirm.html",
        {"pending": pending, "token": token, "error": ""},
        status_code=200 if pending else 404,
    )


@router.post("/inbound/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, db: DbSession, token: Token) -> Response:
    pending = service.find_pending(db, token)
    if pending is None:
        return render(
            request, "inbound/confirm.html", {"pending": None, "token": token, "error": ""},
            status_code=404,
        )  # fmt: skip
    try:
        thread_id = service.confirm_pending(db, pending)
    except DiscussionError as exc:
        db.rollback()
        return render(
            request, "inbound/confirm.html", {"pending": pending, "token": token,
                                              "error": str(exc)}, status_code=422,
        )  # fmt: skip
    db.commit()
    return redirect(f"/threads/{thread_id}")


@router.get("/admin/inbound", response_class=HTMLResponse)
def refusals(
    request: Request, db: DbSession, admin: Admin,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:  # fmt: skip
    return render_admin(
        request,
        "admin/inbound.html",
        "inbound",
        {
            "listing": service.page_refusals(db, page=page_number(page)),
            "counts": service.refusal_counts(db),
            "reasons": {code: str(label) for code, label in REASONS.items()},
        },
    )
