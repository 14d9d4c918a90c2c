"""Members' saved searches: a search page's query kept under a name, to run again (and,
with the digests, to be alerted about). A member reaches only their own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.errors import Invalid, NotFound
from forum.core.i18n import _
from forum.core.pagination import Page
from forum.core.privacy import register_eraser, register_exporter
from forum.core.text import clean_line
from forum.discovery import service
from forum.discovery.labels import describe, labeller
from forum.discovery.models import SavedSearch

MAX_PER_MEMBER = 50
NAME_MAX = 120
QUERY_MAX = 2000
PER_PAGE = 20
FEED_SALT = "forum.search.saved-feed"


class SavedSearchError(Invalid):
    """A saved search that cannot be made (the message says why, to the member)."""


def params_of(query_string: str) -> service.SearchParams:
    """The SearchParams of a search page's query string; raises SearchInputError.

    The page number is dropped: a saved search starts at its first page.
    """
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(query_string.lstrip("?"), keep_blank_values=False):
        values.setdefault(key, []).append(value)

    def one(key: str) -> str | None:
        found = values.get(key)
        return found[-1] if found else None

    params = service.build_params(
        q=one("q"),
        countries=values.get("country", ()),
        sectors=values.get("sector", ()),
        kinds=values.get("kind", ()),
        subkinds=values.get("subkind", ()),
        categories=values.get("category", ()),
        date_from=one("from"),
        date_to=one("to"),
        sort=one("sort"),
    )
    # build_params removes repeats before upper-casing: "ma" and "MA" are one country.
    return replace(params, countries=tuple(dict.fromkeys(params.countries)))


def list_saved_searches(
    db: Session, user: User, *, page: int = 1, per_page: int = PER_PAGE
) -> Page[SavedSearch]:
    """One page of `user`'s saved searches, newest first."""
    total = (
        db.scalar(
            select(func.count()).select_from(SavedSearch).where(SavedSearch.user_id == user.id)
        )
        or 0
    )
    rows = db.scalars(
        select(SavedSearch)
        .where(SavedSearch.user_id == user.id)
        .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(
        items=list(rows),
        page=page,
        per_page=per_page,
        total=total,
        base_path="/settings/searches",
        params={},
    )


def create_saved_search(db: Session, *, user: User, name: str, query_string: str) -> SavedSearch:
    """Keep the search `query_string` (as the search page's address carries it) for `user`.

    The query is normalised (the order and spelling `build_params` gives, without a page
    number), so the same search saved twice is recognised. `name` defaults to the
    search's words and filters. Raises SavedSearchError for an empty or invalid search,
    a name over NAME_MAX characters, a search already saved, or a member who has
    MAX_PER_MEMBER already.
    """
    if len(query_string) > QUERY_MAX:
        raise SavedSearchError(_("This search is too long to save."))
    try:
        params = params_of(query_string)
        # Unknown countries, region groups and sectors are refused as the page refuses them.
        service.build_query(db, user, params)
    except service.SearchInputError as exc:
        raise SavedSearchError(_("This search cannot be saved: %(why)s.", why=exc)) from exc
    if params.is_empty:
        raise SavedSearchError(
            _("There is nothing to save: type some words or choose a filter first.")
        )
    name = clean_line(name)
    if len(name) > NAME_MAX:
        raise SavedSearchError(_("The name is longer than %(max)s characters.", max=NAME_MAX))
    query = urlencode(params.query_items(page=1))
    same = db.scalar(
        select(SavedSearch).where(SavedSearch.user_id == user.id, SavedSearch.query == query)
    )
    if same is not None:
        raise SavedSearchError(_("You saved this search already, as “%(name)s”.", name=same.name))
    count = (
        db.scalar(
            select(func.count()).select_from(SavedSearch).where(SavedSearch.user_id == user.id)
        )
        or 0
    )
    if count >= MAX_PER_MEMBER:
        raise SavedSearchError(
            _(
                "You have %(max)s saved searches, the most a member may keep: "
                "delete one you no longer need first.",
                max=MAX_PER_MEMBER,
            )
        )
    if not name:
        name = describe(params, labeller(db))
        if len(name) > NAME_MAX:
            name = name[: NAME_MAX - 1].rstrip() + "…"
    saved = SavedSearch(user_id=user.id, name=name, query=query)
    db.add(saved)
    db.flush()
    return saved


def delete_saved_search(db: Session, *, user: User, saved_id: int) -> None:
    """Delete `user`'s saved search `saved_id`; raises NotFound when it is not theirs
    (another member's answers like a missing one)."""
    saved = db.scalar(
        select(SavedSearch).where(SavedSearch.id == saved_id, SavedSearch.user_id == user.id)
    )
    if saved is None:
        raise NotFound("saved search")
    db.delete(saved)
    db.flush()


# --- the private feed -------------------------------------------------------------------------


def feed_token(secret_key: str, saved: SavedSearch) -> str:
    """The private feed's token: the saved search and its `feed_version`, signed with the
    instance's secret key. The address is the secret: it works without a session."""
    payload = {"s": saved.id, "v": saved.feed_version}
    return URLSafeSerializer(secret_key, salt=FEED_SALT).dumps(payload)


def saved_search_for_feed(db: Session, secret_key: str, token: str) -> SavedSearch | None:
    """The saved search a feed token names, or None: a forged or altered token, an
    address replaced by a newer one, a deleted search, or an owner who is suspended or
    has not confirmed their address."""
    if not token or len(token) > 200:
        return None
    try:
        data = URLSafeSerializer(secret_key, salt=FEED_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    saved_id, version = data.get("s"), data.get("v")
    if not isinstance(saved_id, int) or not isinstance(version, int):
        return None
    found = db.get(SavedSearch, saved_id)
    if found is None or found.feed_version != version:
        return None
    owner = db.get(User, found.user_id)
    if owner is None or owner.is_suspended or not owner.is_verified:
        return None
    return found


def reset_feed_token(db: Session, *, user: User, saved_id: int) -> SavedSearch:
    """Give `user`'s saved search a new feed address; the old one stops working at once.
    Raises NotFound when the search is not theirs."""
    found = db.scalar(
        select(SavedSearch).where(SavedSearch.id == saved_id, SavedSearch.user_id == user.id)
    )
    if found is None:
        raise NotFound("saved search")
    found.feed_version += 1
    db.flush()
    return found


# --- download my data, delete my account ------------------------------------------------------


def export_saved_searches(db: Session, user: User) -> list[dict[str, Any]]:
    """What "download my data" holds of a member's saved searches."""
    rows: Sequence[SavedSearch] = db.scalars(
        select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.id)
    ).all()
    return [
        {
            "id": s.id,
            "name": s.name,
            "query": s.query,
            "url": f"/search?{s.query}",
            "created_at": s.created_at.isoformat(),
            "last_run_at": s.last_run_at.isoformat() if s.last_run_at else None,
        }
        for s in rows
    ]


def erase_saved_searches(db: Session, user: User, *, keep_content: bool) -> bool:
    """Saved searches are personal, never content to keep: they go with the account
    (also when the account row itself stays as the "Former member")."""
    db.execute(delete(SavedSearch).where(SavedSearch.user_id == user.id))
    return False


def register() -> None:
    """Add saved searches to the privacy registries (`forum.plugins` calls it once)."""
    register_exporter("saved_searches", export_saved_searches, covers={"saved_search.user_id": ""})
    register_eraser("saved_searches", erase_saved_searches)
