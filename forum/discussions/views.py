"""HTML pages of the discussions: lists, the thread page, writing, editing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.accounts.service import can_moderate
from forum.core import content_language
from forum.core.config import Settings
from forum.core.errors import LoginRequired, NotAllowed, NotFound
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import AppSettings, DbSession, redirect, render
from forum.discussions import (
    attachment_views,
    moderation,
    post_html,
    reading,
    reading_views,
    service,
    writes,
)
from forum.discussions.listing import ThreadFilter, page_threads
from forum.discussions.models import KIND_LABELS, THREAD_KINDS, Post, Thread
from forum.discussions.reading_writes import record_after
from forum.discussions.thread_page import ThreadPage, page_of_post, thread_page
from forum.discussions.view_counts import count_view
from forum.notifications.reply_address import category_address
from forum.notifications.service import follow_state
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.forms import TagFieldsError, read_tag_fields
from forum.taxonomy.picker import place_choices, sector_choices
from forum.taxonomy.service import countries_for, country_options, list_sectors

router = APIRouter(include_in_schema=False)

Body = Annotated[str, Form(max_length=60_000)]
Short = Annotated[str, Form(max_length=400)]


def _filter_options(db: DbSession) -> dict[str, object]:
    return {
        "kind_options": [("", _("Any kind"))] + [(k, KIND_LABELS[k]) for k in THREAD_KINDS],
        "country_options": [("", _("Any country")), *country_options()],
        "sector_options": [("", _("Any sector"))] + [(s.slug, s.label) for s in list_sectors(db)],
    }


def _tags(threads: list[Thread]) -> dict[int, list[object]]:
    return {t.id: list(countries_for(t.country_codes)) for t in threads}


# --- lists --------------------------------------------------------------------------------


ViewParam = Annotated[str, Query(max_length=10)]


@router.get("/discussions", response_class=HTMLResponse)
def discussions(
    request: Request,
    db: DbSession,
    viewer: OptionalUser,
    kind: Annotated[str, Query(max_length=30)] = "",
    country: Annotated[str, Query(max_length=40)] = "",
    sector: Annotated[str, Query(max_length=60)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
    view: ViewParam = "",
) -> Response:
    return _thread_list(request, db, viewer, None, kind, country, sector, page, view)


@router.get("/discussions/c/{slug}", response_class=HTMLResponse)
def category_page(
    request: Request,
    slug: str,
    db: DbSession,
    viewer: OptionalUser,
    settings: AppSettings,
    kind: Annotated[str, Query(max_length=30)] = "",
    country: Annotated[str, Query(max_length=40)] = "",
    sector: Annotated[str, Query(max_length=60)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
    view: ViewParam = "",
) -> Response:
    return _thread_list(request, db, viewer, slug, kind, country, sector, page, view, settings)


def _thread_list(
    request: Request, db: DbSession, viewer: User | None, slug: str | None,
    kind: str, country: str, sector: str, page: str, view: str,
    settings: Settings | None = None,
) -> Response:  # fmt: skip
    category = None
    if slug is not None:
        category = service.get_category(db, viewer, slug)
    if kind and kind not in THREAD_KINDS:
        raise HTTPException(422, _("Unknown kind %(kind)r.", kind=kind))
    if view and view not in reading.VIEWS:
        raise HTTPException(422, _("Unknown view %(view)r.", view=view))
    if view in ("unread", "new") and viewer is None:
        raise LoginRequired(request.url.path + "?" + request.url.query)
    countries, sectors = parse_filters(db, [country], [sector])
    flt = ThreadFilter(
        category=category, kind=kind or None, countries=countries, sectors=sectors,
        view=view or "latest",
    )  # fmt: skip
    params = {"kind": kind, "country": country, "sector": sector}
    base = f"/discussions/c/{category.slug}" if category else "/discussions"
    listing = page_threads(
        db, viewer, flt, page=page_number(page), base_path=base, params={**params, "view": view}
    )
    return render(
        request,
        "discussions/list.html",
        {
            "nav": "discussions",
            "category": category,
            "categories": service.list_categories(db, viewer),
            "listing": listing,
            "countries_of": _tags(listing.items),
            "states": reading.thread_states(db, viewer, listing.items) if viewer else {},
            "view": view or "latest",
            "tabs": reading_views.tabs(base, viewer, view or "latest", kind),
            "filters": params,
            "filtered": any(params.values()),
            "following": bool(
                viewer and category and follow_state(db, viewer.id, "category", category.slug)
            ),
            # Members who may post here may also start a thread by email.
            "category_email": (
                category_address(settings.inbound_domain, category.slug)
                if settings and category and service.can_post(viewer)
                else None
            ),
            **_filter_options(db),
        },
    )


# --- the thread page ----------------------------------------------------------------------------


@router.get("/threads/{thread_id}", response_class=HTMLResponse)
def thread_view(
    request: Request,
    background: BackgroundTasks,
    thread_id: int,
    db: DbSession,
    viewer: OptionalUser,
    page: Annotated[str, Query(max_length=6)] = "1",
    view: Annotated[str, Query(pattern="^(tree|flat)$")] = "tree",
) -> Response:
    thread = service.get_thread(db, viewer, thread_id)
    plain = not ({"page", "view"} & set(request.query_params))
    # Where the first unread post is matters only to the plain address, which jumps there.
    mark = reading.thread_mark(db, viewer, thread, first_unread=plain) if viewer else None
    if mark is not None and mark.first_unread_url and plain:
        # The plain address opens a thread where the member stopped reading.
        return redirect(mark.first_unread_url, status_code=303)
    shown = thread_page(db, viewer, thread, page=page_number(page), flat=view == "flat")
    count_view(thread.id)
    if viewer is not None and mark is not None:
        # Decided now, written after the page is sent.
        record_after(request, background, db, viewer, shown, mark)
    unread = reading.unread_on_page(viewer, shown, mark.read_up_to if mark else None)
    return _render_thread(request, db, viewer, thread, shown, view=view, unread=unread)


@router.get("/threads/{thread_id}/replies/{root_id}", response_class=HTMLResponse)
def subtree_view(
    request: Request, background: BackgroundTasks, thread_id: int, root_id: int, db: DbSession,
    viewer: OptionalUser,
) -> Response:  # fmt: skip
    thread = service.get_thread(db, viewer, thread_id)
    root = service.get_post(db, viewer, root_id)
    if root.thread_id != thread.id or root.depth != 0:
        raise NotFound("post")
    shown = thread_page(db, viewer, thread, root=root.id)
    if viewer is not None:
        mark = reading.thread_mark(db, viewer, thread, first_unread=False)
        record_after(request, background, db, viewer, shown, mark)
    return _render_thread(request, db, viewer, thread, shown, view="tree", subtree=root)


def _render_thread(
    request: Request, db: DbSession, viewer: User | None, thread: Thread,
    shown: ThreadPage, *, view: str, subtree: Post | None = None, unread: set[int] | None = None,
    reply_form: dict[str, object] | None = None, errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    refusal = service.reply_refusal(viewer, thread)
    moderates = can_moderate(viewer)
    return render(
        request,
        "discussions/thread.html",
        {
            "nav": "discussions",
            "thread": thread,
            "shown": shown,
            "view": view,
            "subtree": subtree,
            "viewer": viewer,
            "countries": countries_for(thread.country_codes),
            "can_reply": refusal is None,
            # A visitor is offered the login link instead of the sentence.
            "reply_refusal": None if refusal == str(service.LOG_IN_TO_POST) else refusal,
            "can_edit_opening": service.can_edit_post(viewer, shown.opening),
            "can_see_opening_history": service.can_see_history(viewer, shown.opening),
            "can_moderate": moderates,
            "can_flag_thread": moderation.can_flag(viewer, thread.author_id),
            # The replies: what each shows this reader, and their HTML (kept per view).
            "post_views": post_html.article_views(
                shown,
                viewer,
                can_reply=refusal is None,
                can_moderate=moderates,
                unread=unread or set(),
            ),
            "posts_html": post_html.render_articles,
            # attachments, can_attach and what the upload form shows
            **attachment_views.thread_context(request, db, viewer, thread),
            "following": bool(viewer and follow_state(db, viewer.id, "thread", str(thread.id))),
            "reply_form": reply_form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def permalink(post_id: int, db: DbSession, viewer: OptionalUser) -> Response:
    post = service.get_post(db, viewer, post_id)
    page = page_of_post(db, post)
    query = f"?page={page}" if page > 1 else ""
    return redirect(f"/threads/{post.thread_id}{query}#post-{post.id}", status_code=302)


# --- replying ------------------------------------------------------------------------------------


@router.get("/threads/{thread_id}/reply", response_class=HTMLResponse)
def reply_form(
    request: Request,
    thread_id: int,
    db: DbSession,
    viewer: SignedInUser,
    parent: int | None = None,
    quote: int | None = None,
) -> Response:
    thread = service.get_thread(db, viewer, thread_id)
    answered = _reply_parent(db, viewer, thread, parent)
    quoted = _reply_parent(db, viewer, thread, quote)
    body = ""
    if quoted is not None and service.can_quote(viewer, quoted):
        name = quoted.author.name if quoted.author else _("a former member")
        body = (
            _("%(name)s wrote:", name=name)
            + "\n\n"
            + "\n".join(f"> {line}" for line in quoted.body.splitlines())
            + "\n\n"
        )
        answered = answered or quoted
    return render(
        request,
        "discussions/reply.html",
        {
            "nav": "discussions",
            "thread": thread,
            "answered": answered,
            "answered_html": _quoted_html(viewer, answered),
            "form": {"body": body, "parent_id": answered.id if answered else "", "language": ""},
            "errors": {},
            "language_options": content_language.options(),
        },
    )


def _reply_parent(db: Session, viewer: User, thread: Thread, post_id: int | None) -> Post | None:
    """The post a reply form answers, or None when it names none this member may answer."""
    if post_id is None:
        return None
    try:
        return service.get_reply_parent(db, viewer, thread, post_id)
    except service.DiscussionError:
        return None


def _quoted_html(viewer: User, answered: Post | None) -> str | None:
    """The text of the post a reply form answers, when `viewer` may quote it."""
    if answered is None or not service.can_quote(viewer, answered):
        return None
    return answered.body_html


@router.post("/threads/{thread_id}/posts", response_class=HTMLResponse)
def post_reply(
    request: Request,
    thread_id: int,
    db: DbSession,
    viewer: SignedInUser,
    body: Body,
    parent_id: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=10)] = "post",
    language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    thread = service.get_thread(db, viewer, thread_id)
    form = {"body": body, "parent_id": parent_id, "language": language}
    parent = int(parent_id) if parent_id.isdigit() else None
    answered = _reply_parent(db, viewer, thread, parent)

    def again(errors: dict[str, str], preview: str | None = None, status: int = 422) -> Response:
        return render(
            request,
            "discussions/reply.html",
            {"nav": "discussions", "thread": thread, "answered": answered,
             "answered_html": _quoted_html(viewer, answered), "form": form,
             "errors": errors, "preview": preview,
             "language_options": content_language.options()},
            status_code=status,
        )  # fmt: skip

    if action == "preview":
        return again({}, writes.preview(db, body), status=200)
    try:
        post = writes.reply(
            db, viewer, thread, body=body, parent_id=parent, language=language or None
        )
    except service.DiscussionError as exc:
        db.rollback()
        return again({exc.field or "body": str(exc)})
    db.commit()
    return redirect(f"/posts/{post.id}")


@router.post("/discussions/preview", response_class=HTMLResponse)
def preview_fragment(request: Request, db: DbSession, viewer: SignedInUser, body: Body) -> Response:
    """The htmx preview: the rendered Markdown only (the full form posts `action=preview`)."""
    return render(request, "discussions/_preview.html", {"preview": writes.preview(db, body)})


# --- starting a thread ------------------------------------------------------------------------------


def _new_thread_context(db: DbSession, viewer: User, form: dict[str, object]) -> dict[str, object]:
    return {
        "nav": "discussions",
        "form": form,
        "errors": {},
        "category_options": [(c.slug, c.name) for c in service.list_categories(db, viewer)],
        "kind_options": [(k, KIND_LABELS[k]) for k in THREAD_KINDS],
        "place_groups": place_choices(suggested=viewer.target_countries),
        "sector_groups": sector_choices(list_sectors(db), suggested=viewer.target_sectors),
        "language_options": content_language.options(),
    }


@router.get("/discussions/new", response_class=HTMLResponse)
def new_thread_form(
    request: Request,
    db: DbSession,
    viewer: SignedInUser,
    kind: Annotated[str, Query(max_length=30)] = "discussion",
    category: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    if kind == "good_practice" and not category:
        category = "good-practices"
    form: dict[str, object] = {
        "kind": kind, "category": category, "countries": [], "sectors": [], "language": ""
    }  # fmt: skip
    return render(request, "discussions/new.html", _new_thread_context(db, viewer, form))


@router.post("/discussions/new", response_class=HTMLResponse)
def create_thread(
    request: Request,
    db: DbSession,
    viewer: SignedInUser,
    title: Short,
    category: Annotated[str, Form(max_length=60)],
    kind: Annotated[str, Form(max_length=30)] = "discussion",
    body: Body = "",
    countries: Annotated[list[str], Form(max_length=300)] = [],  # noqa: B006
    sectors: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    approach: Body = "",
    results: Body = "",
    challenge: Body = "",
    lessons: Body = "",
    contact: Short = "",
    action: Annotated[str, Form(max_length=10)] = "post",
    language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    form: dict[str, object] = {
        "title": title, "category": category, "kind": kind, "body": body,
        "countries": countries, "sectors": sectors, "approach": approach, "results": results,
        "challenge": challenge, "lessons": lessons, "contact": contact, "language": language,
    }  # fmt: skip

    def again(errors: dict[str, str], status: int = 422, preview: str | None = None) -> Response:
        context = _new_thread_context(db, viewer, form)
        context["errors"] = errors
        context["preview"] = preview
        return render(request, "discussions/new.html", context, status_code=status)

    if action == "preview":
        return again({}, 200, writes.preview(db, body or approach))
    chosen = service.find_category(db, viewer, category)
    if chosen is None:
        return again({"category": _("Choose a category from the list.")})
    try:
        tags = read_tag_fields(db, countries=countries, sectors=sectors)
        thread = writes.create_thread(
            db,
            viewer,
            writes.ThreadInput(
                title=title, body=body, category=chosen, kind=kind, countries=tags.countries,
                sectors=tags.sectors,
                good_practice=writes.GoodPracticeInput(
                    approach=approach, results=results, challenge=challenge, lessons=lessons,
                    contact=contact,
                ),
                language=language or None,
            ),
        )  # fmt: skip
    except TagFieldsError as exc:
        db.rollback()
        return again(dict([exc.first]))
    except service.DiscussionError as exc:
        db.rollback()
        return again({exc.field or "_": str(exc)})
    db.commit()
    return redirect(f"/threads/{thread.id}")


# --- editing and deleting ---------------------------------------------------------------------------


def _own_post(db: DbSession, viewer: User, post_id: int) -> Post:
    post = service.get_post(db, viewer, post_id)
    if not service.can_edit_post(viewer, post):
        raise NotAllowed(_("You can edit only your own posts."))
    return post


@router.get("/posts/{post_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, post_id: int, db: DbSession, viewer: SignedInUser) -> Response:
    post = _own_post(db, viewer, post_id)
    return render(
        request,
        "discussions/edit.html",
        {"nav": "discussions", "post": post, "form": {"body": post.body}, "errors": {}},
    )


@router.post("/posts/{post_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request, post_id: int, db: DbSession, viewer: SignedInUser, body: Body
) -> Response:
    post = _own_post(db, viewer, post_id)
    try:
        writes.edit_post(db, viewer, post, body=body)
    except service.DiscussionError as exc:
        db.rollback()
        return render(
            request,
            "discussions/edit.html",
            {"nav": "discussions", "post": post, "form": {"body": body},
             "errors": {"body": str(exc)}},
            status_code=422,
        )  # fmt: skip
    db.commit()
    return redirect(f"/posts/{post.id}")


@router.post("/posts/{post_id}/delete", response_class=HTMLResponse)
def delete(post_id: int, db: DbSession, viewer: SignedInUser) -> Response:
    post = _own_post(db, viewer, post_id)
    if post.is_opening:
        raise HTTPException(
            422, _("The opening post cannot be deleted; ask a moderator to hide the thread.")
        )
    writes.delete_post(db, viewer, post)
    db.commit()
    return redirect(f"/posts/{post.id}")
