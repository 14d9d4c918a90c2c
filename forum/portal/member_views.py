"""Other members' profiles, for members only, and the contact forms relayed by email.

A profile shows what a member chose to show (name, partnership, bio), never their
email address; writing to them goes through `forum.accounts.contact`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forum.accounts import contact, mentions
from forum.accounts.deps import SignedInUser
from forum.accounts.models import Membership, User
from forum.accounts.service import can_see_member
from forum.core.errors import NotFound
from forum.core.formats import format_month
from forum.core.i18n import _
from forum.core.web import AppSettings, DbSession, flash, redirect, render
from forum.partnerships.models import Partnership
from forum.partnerships.service import get_partnership_by_slug

router = APIRouter(include_in_schema=False)

Subject = Annotated[str, Form(max_length=2_000)]
Message = Annotated[str, Form(max_length=50_000)]


def get_member(db: Session, handle: str) -> User | None:
    """The active member with this handle (or, for an account without one, this id).

    Suspended accounts, and deleted ones kept as "Former member", count as absent.
    """
    handle = handle.strip().lower()
    user = db.scalar(
        select(User)
        .where(User.handle == handle)
        .options(selectinload(User.membership).selectinload(Membership.partnership))
    )
    if user is None and handle.isdigit() and len(handle) < 10:
        user = db.get(User, int(handle))
        if user is not None and user.handle is not None:
            user = None
    if user is None or not can_see_member(user):
        return None
    return user


def _require_member(db: Session, handle: str) -> User:
    member = get_member(db, handle)
    if member is None:
        raise NotFound("member", detail=_("There is no member at this address."))
    return member


def _profile_url(member: User) -> str:
    return f"/members/{member.handle or member.id}"


# --- the profile page ---------------------------------------------------------------------


@router.get("/members/suggest")
def member_suggestions(
    db: DbSession, viewer: SignedInUser, q: Annotated[str, Query(max_length=100)] = ""
) -> JSONResponse:
    """The members a mention may name, for the `@` suggestions of the post forms."""
    found = mentions.suggest(db, q)
    return JSONResponse(
        [
            {
                "handle": user.handle,
                "name": user.name,
                "partnership": user.partnership.name if user.partnership else None,
            }
            for user in found
        ],
        headers={"Cache-Control": "private, max-age=60"},
    )


@router.get("/members/{handle}", response_class=HTMLResponse)
def member_profile(request: Request, handle: str, db: DbSession, viewer: SignedInUser) -> Response:
    member = _require_member(db, handle)
    coordinates = list(
        db.scalars(
            select(Partnership)
            .where(Partnership.coordinator_id == member.id)
            .order_by(Partnership.name)
        )
    )
    return render(
        request,
        "accounts/member.html",
        {
            "member": member,
            "profile_url": _profile_url(member),
            "partnership": member.partnership,
            "coordinates": coordinates,
            "member_since": format_month(member.created_at),
            "is_self": member.id == viewer.id,
            "can_contact": member.id != viewer.id and contact.can_receive(member),
        },
    )


# --- contact forms ------------------------------------------------------------------------------


def _contact_page(
    request: Request,
    *,
    heading: str,
    recipient_name: str,
    action: str | None,
    back_url: str,
    back_label: str,
    blocked: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "heading": heading,
        "recipient_name": recipient_name,
        "action": action,
        "back_url": back_url,
        "back_label": back_label,
        "blocked": blocked,
        "form": form or {"subject": "", "message": ""},
        "errors": errors or {},
        "subject_max": contact.SUBJECT_MAX,
        "message_max": contact.MESSAGE_MAX,
    }
    response = render(request, "accounts/contact.html", context, status_code=status_code)
    response.headers.update(headers or {})
    return response


def _blocked_for(sender: User, recipient: User | None) -> str | None:
    """Why the form is not offered: the sender may not write, or the recipient is them."""
    problem = contact.sender_problem(sender)
    if problem:
        return problem
    if recipient is not None and recipient.id == sender.id:
        return _("This is you: there is no one to write to.")
    return None


def _send(
    request: Request,
    db: Session,
    settings: AppSettings,
    sender: User,
    recipient: User,
    *,
    subject: str,
    message: str,
    partnership: Partnership | None,
    page: dict[str, Any],
    done_url: str,
) -> Response:
    """Relay the message and redirect to `done_url`, or show the form again saying why not."""
    form = {"subject": subject, "message": message}
    try:
        contact.send_contact(
            db, settings, sender, recipient, subject, message, partnership=partnership
        )
    except contact.ContactError as exc:
        db.rollback()
        if exc.field is None:
            return _contact_page(request, **page, blocked=str(exc), status_code=exc.status)
        return _contact_page(
            request, **page, form=form, errors={exc.field: str(exc)}, status_code=exc.status
        )
    except contact.ContactLimitReached as exc:
        db.rollback()
        return _contact_page(
            request,
            **page,
            form=form,
            errors={"_": str(exc)},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    db.commit()
    response = redirect(done_url)
    flash(
        request,
        response,
        _(
            "Your message to %(name)s is on its way. "
            "Their reply will come straight to your email address.",
            name=recipient.name,
        ),
        "success",
    )
    return response


def _member_page(member: User) -> dict[str, Any]:
    url = _profile_url(member)
    return {
        "heading": _("Write to %(name)s", name=member.name),
        "recipient_name": member.name,
        "action": f"{url}/contact",
        "back_url": url,
        "back_label": _("%(name)s's profile", name=member.name),
    }


@router.get("/members/{handle}/contact", response_class=HTMLResponse)
def contact_member_form(
    request: Request, handle: str, db: DbSession, viewer: SignedInUser
) -> Response:
    member = _require_member(db, handle)
    if not contact.can_receive(member):
        raise HTTPException(404, _("Messages cannot reach %(name)s.", name=member.name))
    return _contact_page(request, **_member_page(member), blocked=_blocked_for(viewer, member))


@router.post("/members/{handle}/contact", response_class=HTMLResponse)
def contact_member(
    request: Request,
    handle: str,
    db: DbSession,
    settings: AppSettings,
    viewer: SignedInUser,
    subject: Subject = "",
    message: Message = "",
) -> Response:
    member = _require_member(db, handle)
    page = _member_page(member)
    return _send(
        request,
        db,
        settings,
        viewer,
        member,
        subject=subject,
        message=message,
        partnership=None,
        page=page,
        done_url=page["back_url"],
    )


def _coordinator_of(db: Session, slug: str) -> tuple[Partnership, User | None]:
    partnership = get_partnership_by_slug(db, slug)
    if partnership is None:
        raise NotFound("partnership", detail=_("There is no partnership at this address."))
    coordinator = db.get(User, partnership.coordinator_id) if partnership.coordinator_id else None
    if coordinator is not None and not contact.can_receive(coordinator):
        coordinator = None
    return partnership, coordinator


def _partnership_page(partnership: Partnership, coordinator: User | None) -> dict[str, Any]:
    url = f"/partnerships/{partnership.slug}"
    return {
        "heading": _("Write to the coordinator of %(partnership)s", partnership=partnership.name),
        "recipient_name": coordinator.name if coordinator else "",
        "action": f"{url}/contact" if coordinator else None,
        "back_url": url,
        "back_label": partnership.name,
    }


def _no_coordinator(partnership: Partnership) -> str:
    return _(
        "%(partnership)s has no coordinator on the platform yet, so there is no one "
        "to write to here. Its website, when it has one, is on its profile.",
        partnership=partnership.name,
    )


@router.get("/partnerships/{slug}/contact", response_class=HTMLResponse)
def contact_partnership_form(
    request: Request, slug: str, db: DbSession, viewer: SignedInUser
) -> Response:
    partnership, coordinator = _coordinator_of(db, slug)
    page = _partnership_page(partnership, coordinator)
    if coordinator is None:
        return _contact_page(request, **page, blocked=_no_coordinator(partnership))
    return _contact_page(request, **page, blocked=_blocked_for(viewer, coordinator))


@router.post("/partnerships/{slug}/contact", response_class=HTMLResponse)
def contact_partnership(
    request: Request,
    slug: str,
    db: DbSession,
    settings: AppSettings,
    viewer: SignedInUser,
    subject: Subject = "",
    message: Message = "",
) -> Response:
    partnership, coordinator = _coordinator_of(db, slug)
    page = _partnership_page(partnership, coordinator)
    if coordinator is None:
        return _contact_page(request, **page, blocked=_no_coordinator(partnership), status_code=404)
    return _send(
        request,
        db,
        settings,
        viewer,
        coordinator,
        subject=subject,
        message=message,
        partnership=partnership,
        page=page,
        done_url=page["back_url"],
    )
