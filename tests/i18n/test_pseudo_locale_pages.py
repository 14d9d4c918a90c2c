"""Every page in the pseudo-locale: any text a person reads that did not pass through
gettext or the formatting helpers fails the test, with the page and the text.

The walker lists every GET route of the app (as the CSRF test does); each is visited
through the URL below, on the report's demo data, by an anonymous visitor and by an
admin whose language is `xx`. A new route must be added here, or to NOT_PAGES with
why: the test fails on a route it does not know.

A failure lists each text with the pages it is on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.security import SAFE_METHODS
from forum.digests import tokens
from forum.discussions.models import Category, Post, Thread
from forum.events.models import Event
from forum.intelligence.models import Feed, IntelItem
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import load_region_groups
from tests.conftest import Backend, Client, sign_in
from tests.i18n.untranslated import Content, untranslated
from tests.test_csrf_routes import _all_routes

# GET routes that answer no page for people to read, and why.
NOT_PAGES = {
    "/healthz": "a probe's JSON",
    "/openapi.json": "the API's description (English, like the API)",
    "/docs/oauth2-redirect": "FastAPI's page for the API docs",
    "/favicon.ico": "an icon",
    "/feeds/intel.atom": "a feed: its titles are checked by the feeds' test",
    "/feeds/threads.atom": "a feed: its titles are checked by the feeds' test",
    "/feeds/search.atom": "a feed: its titles are checked by the feeds' test",
    "/feeds/saved/{token}.atom": "a feed: its titles are checked by the feeds' test",
    "/events.ics": "a calendar file",
    "/admin/analytics/{section}.csv": "a CSV download (its header row is column names)",
    "/events/{event_id:int}.ics": "a calendar file",
    "/calendar/{token}.ics": "a calendar file",
    "/attachments/{attachment_id}/{filename}": "a file download",
    "/intel/attachments/{attachment_id}/{filename}": "a file download",
    "/profile/export": "the member's data as a ZIP file",
    "/d/{token}": "a digest link's counting redirect: no page",
    "/members/suggest": "JSON for the @ suggestions: members' names and handles, no sentence",
}


# What the walker types into the search box: shown back to the visitor as typed.
TYPED = ("cluster", "zzzzqqq")


@dataclass
class Demo:
    member: User
    admin: User
    thread: Thread
    post: Post
    reply: Post
    category: Category
    partnership: Partnership
    sector: Sector
    event: Event
    item: IntelItem
    feed: Feed | None


def _first(db: Session, stmt: object) -> object:
    found = db.scalars(stmt).first()  # type: ignore[call-overload]
    assert found is not None, f"the demo data has none: {stmt}"
    return found


@pytest.fixture
def demo(demo_db: Session, member: User, admin: User) -> Demo:
    db = demo_db
    reply = _first(db, select(Post).where(Post.parent_id.is_not(None)).order_by(Post.id))
    assert isinstance(reply, Post)
    return Demo(
        member=member,
        admin=admin,
        thread=reply.thread,
        post=_first(db, select(Post).where(Post.thread_id == reply.thread_id).order_by(Post.id)),  # type: ignore[arg-type]
        reply=reply,
        category=_first(db, select(Category).order_by(Category.id)),  # type: ignore[arg-type]
        partnership=_first(db, select(Partnership).order_by(Partnership.id)),  # type: ignore[arg-type]
        sector=_first(db, select(Sector).order_by(Sector.id)),  # type: ignore[arg-type]
        event=_first(db, select(Event).order_by(Event.id)),  # type: ignore[arg-type]
        item=_first(db, select(IntelItem).order_by(IntelItem.id)),  # type: ignore[arg-type]
        feed=db.scalars(select(Feed).order_by(Feed.id)).first(),
    )


def page_urls(demo: Demo, settings: Settings) -> dict[str, list[str]]:
    """The URLs that show each GET route's page (a wrong token shows its error page)."""
    secret = settings.secret_key or ""
    week = dt.date(2026, 12, 7)
    interest = tokens.interest_token(secret, demo.member.id, "mute", "country", "FR")
    p = demo.partnership.slug
    return {
        "/": ["/"],
        "/admin": ["/admin"],
        "/admin/audit": ["/admin/audit"],
        "/admin/analytics": ["/admin/analytics", "/admin/analytics?from=2026-01-05&to=2026-01-18"],
        "/admin/analytics/unanswered": [
            "/admin/analytics/unanswered?period=12m",
            "/admin/analytics/unanswered?from=2020-01-06&to=2020-01-19",
        ],
        "/admin/inbound": ["/admin/inbound"],
        "/admin/categories": ["/admin/categories"],
        "/admin/categories/{category_id}": [f"/admin/categories/{demo.category.id}"],
        "/admin/feeds": ["/admin/feeds"],
        "/admin/feeds/{feed_id}": [f"/admin/feeds/{demo.feed.id}"] if demo.feed else [],
        "/admin/invite": ["/admin/invite"],
        "/admin/partnerships": ["/admin/partnerships"],
        "/admin/partnerships/{partnership_id}": [f"/admin/partnerships/{demo.partnership.id}"],
        "/admin/region-groups": ["/admin/region-groups"],
        "/admin/sectors": ["/admin/sectors"],
        "/admin/users": ["/admin/users"],
        "/admin/users/{user_id}": [f"/admin/users/{demo.member.id}"],
        "/countries": ["/countries"],
        "/countries/{code}": ["/countries/FR", "/countries/ZZ"],
        "/digests/interest/{token}": [f"/digests/interest/{interest}", "/digests/interest/x"],
        "/digests/interests/{token}": [
            "/digests/interests/"
            + tokens.interests_token(
                secret, demo.member.id, [("mute", "country", "FR"), ("follow", "country", "JP")]
            ),
            "/digests/interests/x",
        ],
        "/emails/off/{token}": [
            f"/emails/off/{tokens.emails_off_token(secret, demo.member.id, 'reply')}",
            "/emails/off/x",
        ],
        "/digests/{token}": [
            f"/digests/{tokens.browser_token(secret, demo.member.id, week)}",
            "/digests/not-a-token",
        ],
        "/discussions": ["/discussions", "/discussions?view=unread", "/discussions?view=new"],
        "/discussions/c/{slug}": [f"/discussions/c/{demo.category.slug}"],
        "/discussions/new": ["/discussions/new"],
        "/email/confirm/{token}": ["/email/confirm/not-a-token"],
        "/events": ["/events"],
        "/events/archive": ["/events/archive"],
        "/events/month": ["/events/month"],
        "/events/new": ["/events/new"],
        "/events/{event_id:int}": [f"/events/{demo.event.id}"],
        "/events/{event_id:int}/edit": [f"/events/{demo.event.id}/edit"],
        "/insights": ["/insights"],
        "/insights/joint-missions": ["/insights/joint-missions"],
        "/intel": ["/intel", "/intel?country=FR"],
        "/intel/new": ["/intel/new"],
        "/intel/review": ["/intel/review"],
        "/intel/{item_id}": [f"/intel/{demo.item.id}"],
        "/intel/{item_id}/edit": [f"/intel/{demo.item.id}/edit"],
        "/invite/{token}": ["/invite/not-a-token"],
        "/login": ["/login"],
        "/matches": ["/matches"],
        "/members/{handle}": [f"/members/{demo.member.handle}"],
        "/members/{handle}/contact": [f"/members/{demo.member.handle}/contact"],
        "/moderation": ["/moderation"],
        "/moderation/threads/{thread_id}/move": [f"/moderation/threads/{demo.thread.id}/move"],
        "/notifications": ["/notifications"],
        "/partnerships": ["/partnerships"],
        "/partnerships/{slug}": [f"/partnerships/{p}"],
        "/partnerships/{slug}/agreements": [f"/partnerships/{p}/agreements"],
        "/partnerships/{slug}/contact": [f"/partnerships/{p}/contact"],
        "/partnerships/{slug}/discussions": [f"/partnerships/{p}/discussions"],
        "/partnerships/{slug}/matches": [f"/partnerships/{p}/matches"],
        "/partnerships/{slug}/members": [f"/partnerships/{p}/members"],
        "/password/forgot": ["/password/forgot"],
        "/password/reset/{token}": ["/password/reset/not-a-token"],
        "/posts/{post_id}": [f"/posts/{demo.reply.id}"],
        "/posts/{post_id}/edit": [f"/posts/{demo.post.id}/edit"],
        "/posts/{post_id}/history": [f"/posts/{demo.post.id}/history"],
        "/privacy": ["/privacy"],
        "/profile": ["/profile"],
        "/profile/delete": ["/profile/delete"],
        "/register": ["/register"],
        "/search": ["/search", *(f"/search?q={words}" for words in TYPED)],
        "/sectors/{slug}": [f"/sectors/{demo.sector.slug}"],
        "/settings/calendar": ["/settings/calendar"],
        "/settings/digest": ["/settings/digest"],
        "/settings/digest/preview": ["/settings/digest/preview"],
        "/settings/searches": ["/settings/searches"],
        "/threads/{thread_id}": [f"/threads/{demo.thread.id}"],
        "/threads/{thread_id}/replies/{root_id}": [
            f"/threads/{demo.thread.id}/replies/{demo.post.id}"
        ],
        "/threads/{thread_id}/reply": [
            f"/threads/{demo.thread.id}/reply?parent_id={demo.reply.id}"
        ],
        "/unsubscribe/{token}": [
            f"/unsubscribe/{tokens.unsubscribe_token(secret, demo.member.id)}",
            "/unsubscribe/not-a-token",
        ],
        "/verify/{token}": ["/verify/not-a-token"],
        "/inbound/confirm/{token}": ["/inbound/confirm/not-a-token"],
        "/welcome": ["/welcome"],
        # Error pages: one for a page that is not there.
        "(not found)": ["/no-such-page"],
    }


def get_routes(app: FastAPI) -> set[str]:
    return {
        path
        for path, methods in _all_routes(app.routes)
        if methods & {"GET"} and not path.startswith(("/api/", "/static"))
    } - set(SAFE_METHODS)


def test_the_walker_knows_every_page(client: Client, demo: Demo, settings: Settings) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    known = set(page_urls(demo, settings)) | set(NOT_PAGES)
    assert sorted(get_routes(app) - known) == []


def _visit(client: Client, url: str) -> tuple[int, str] | None:
    response = client.get(url, follow_redirects=True)
    if not response.headers.get("content-type", "").startswith("text/html"):
        return None
    return response.status_code, response.text


def test_every_page_in_the_pseudo_locale_shows_only_translated_text(
    client: Client,
    demo_db: Session,
    demo: Demo,
    settings: Settings,
    backend: Backend,
    pseudo_locale: str,
) -> None:
    if backend.name != "sqlite":
        pytest.skip("the language of a page does not depend on the database")
    db = demo_db
    # Stored content, the site's name, the notice, and what the walker types in the search box.
    content = Content.of_database(db, "Cluster Forum", settings.demo_notice or "", *TYPED)
    # Region groups are data, as sectors are: names and sources as their publishers wrote them.
    content.add(
        text
        for group in load_region_groups().values()
        for text in (group.name, group.source, group.definition, group.note)
        if text
    )
    urls = page_urls(demo, settings)
    problems: dict[str, list[str]] = {}
    seen = 0

    def problem(text: str, where: str) -> None:
        problems.setdefault(text, []).append(where)

    def walk(who: str) -> None:
        nonlocal seen
        for _route, targets in sorted(urls.items()):
            for url in targets:
                visited = _visit(client, url)
                if visited is None:
                    continue
                status, html = visited
                seen += 1
                if f'<html lang="{pseudo_locale}"' not in html:
                    problem(f"<html lang> is not {pseudo_locale}", f"{who} {url} ({status})")
                for piece in untranslated(html, content):
                    problem(piece, f"{who} {url} ({status})")

    client.cookies.set("forum_lang", pseudo_locale)
    walk("anonymous")
    demo.admin.language = pseudo_locale
    db.flush()
    sign_in(client, db, demo.admin)
    client.cookies.delete("forum_lang")  # the profile alone says xx
    walk("admin")
    print(f"{seen} pages walked")
    assert seen > 100
    report = [
        f"{text}  [{len(pages)} page(s): {', '.join(pages[:3])}]"
        for text, pages in sorted(problems.items())
    ]
    assert report == [], f"{len(report)} pieces of untranslated text:\n" + "\n".join(report)


def test_the_checker_finds_text_that_is_not_translated() -> None:
    content = Content(["A member's title", "Maria Moreau"])
    html = (
        "<main><h1>[Ŵéĺçöɱé]</h1><p>Hello there</p><p>A member's title · [àđđéđ [7 Đéç 2026]]</p>"
        '<a title="Open it" href="/x">Maria Moreau</a><input type="submit" value="Send">'
        '<img alt="[Ĺöĝö]" src="/a.png"><script>var words = "not read";</script>'
        "<p>FR · Europe/Brussels · maria@example.eu · report.pdf · 12 345</p>"
        '<p>[Ŕéàđ <a href="/g">ţĥé <em>ĝûîđé</em></a> ñöŵ]</p>'
        "<p>[Ţýþé <code>country:JP</code> ţö ƒîĺţéŕ]</p><p>Type <code>after:2019</code></p>"
        "<ul><li>[Öñé]</li><li>Two words</li></ul>"
        # A language's own name where `lang` names that language (the switcher) stays.
        '<select><option value="de" lang="de">Deutsch</option><option lang="pl">Polski</option>'
        '<option lang="de">Polski</option><option>Deutsch</option></select></main>'
    )
    found = untranslated(html, content)
    assert found == [
        "<p>: Hello there",
        "<a title>: Open it",
        "<input value>: Send",
        "<p>: Type",
        "<li>: Two words",
        "<option>: Polski",
        "<option>: Deutsch",
    ]
