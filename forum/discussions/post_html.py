"""The thread page's replies as HTML: each rendered from what it shows to this reader (an
ArticleView) by templates/discussions/_post.html, and kept under that view while nothing
it shows changes.

What a reader sees of a post is decided per request, as before, by the view and the
services' rules (`thread_page`: its state and whether its text is shown; `can_edit_post`,
`can_flag`, `reply_refusal` ...): the ArticleView holds the outcome, every value the
article shows and nothing else (a post whose text this reader may not read carries no
text). The kept HTML is found by the whole view, with the language, time zone and
catalog it was written in, so it is never stale: an edit, a moderator's decision, a new
right or a new name is another view, rendered anew. The request's CSRF token is put in
as the page is sent (rendered with a mark no text can hold: a random one per process).
A page of 200 replies then costs a lookup per reply instead of its rendering, which cost
more than the whole bare page of the same rows (benchmarks/bench_thread_page.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import OrderedDict
from typing import Any, NamedTuple

from jinja2 import Template, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from forum.accounts.models import User
from forum.core import i18n
from forum.discussions import moderation
from forum.discussions.thread_page import ThreadPage

TEMPLATE = "discussions/_post.html"
# What the kept articles may hold, in characters of HTML and of the views they are kept
# under (a page of 200 replies as a member sees them: about 0.4 M): 16 MiB of text.
BUDGET = 16 * 1024 * 1024
# Per kept article beside its text: the view's tuple and values, the entry.
_OVERHEAD = 600


class ArticleView(NamedTuple):
    """Everything an article shows (templates/discussions/_post.html reads nothing else).
    A tuple: hashed and compared in C, it is the key of the kept HTML."""

    id: int
    thread_id: int
    depth: int
    state: str  # "visible", "deleted" or "hidden"
    show_text: bool
    body_html: str  # "" when this reader may not read the text
    language: str | None
    author_name: str | None  # None: a former member
    author_handle: str | None
    signed_in: bool  # the author's name links to their page
    in_reply_to: str | None
    created_at: dt.datetime
    edited_at: dt.datetime | None
    unread: bool
    can_reply: bool
    can_edit: bool
    can_see_history: bool
    tools: str  # "", "flag", "hide", "unhide" or "opening"
    more_replies: int


def article_views(
    shown: ThreadPage, viewer: User | None, *, can_reply: bool, can_moderate: bool,
    unread: set[int],
) -> list[ArticleView]:  # fmt: skip
    """The views of the page's replies for `viewer`: `can_reply` (the thread takes their
    reply), `can_moderate` and `unread` (the posts marked New) are the view's, from the
    rules."""
    views = []
    signed_in = viewer is not None
    flaggable = _flaggable(viewer, shown)
    for s in shown.posts:
        post = s.post
        tools = ""
        if signed_in and can_moderate:
            tools = "opening" if post.is_opening else "unhide" if post.hidden_at else "hide"
        elif signed_in and post.id in flaggable:
            tools = "flag"
        views.append(
            ArticleView(
                id=post.id,
                thread_id=post.thread_id,
                depth=s.depth,
                state=s.state,
                show_text=s.show_text,
                body_html=post.body_html if s.show_text else "",
                language=post.language if s.show_text else None,
                author_name=post.author_name,
                author_handle=post.author_handle,
                signed_in=signed_in,
                in_reply_to=s.in_reply_to,
                created_at=post.created_at,
                edited_at=post.edited_at,
                unread=post.id in unread,
                can_reply=can_reply,
                can_edit=s.can_edit,
                can_see_history=s.can_see_history,
                tools=tools,
                more_replies=s.more_replies,
            )
        )
    return views


def _flaggable(viewer: User | None, shown: ThreadPage) -> set[int]:
    """The page's posts `viewer` is offered a flag form under: visible ones, by authors
    they may flag (`moderation.can_flag`, asked once per author)."""
    if viewer is None:
        return set()
    by_author: dict[int | None, bool] = {}
    flaggable = set()
    for s in shown.posts:
        if s.state != "visible":
            continue
        author = s.post.author_id
        if author not in by_author:
            by_author[author] = moderation.can_flag(viewer, author)
        if by_author[author]:
            flaggable.add(s.post.id)
    return flaggable


class KeptArticles:
    """Articles' HTML (split where the CSRF token goes) by what they were written with
    (the template; language, time zone, catalog and CLDR locale) and their view; the least
    recently used dropped past `budget` characters. Safe across the web process's threads."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self.size = 0
        self.hits = self.misses = 0
        self._items: OrderedDict[tuple[Any, ...], tuple[list[str], int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get_many(self, keys: list[tuple[Any, ...]]) -> list[list[str] | None]:
        found: list[list[str] | None] = []
        with self._lock:
            for key in keys:
                entry = self._items.get(key)
                if entry is None:
                    found.append(None)
                    self.misses += 1
                else:
                    self._items.move_to_end(key)
                    found.append(entry[0])
                    self.hits += 1
        return found

    def put(self, key: tuple[Any, ...], parts: list[str], view: ArticleView) -> None:
        size = sum(map(len, parts)) + len(view.body_html) + _OVERHEAD
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._items[key] = (parts, size)
            self.size += size
            while self.size > self.budget and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = self.hits = self.misses = 0


KEPT = KeptArticles()
# Where the CSRF token goes in a kept article: random, so no post's text can hold it.
_CSRF_MARK = "csrf" + secrets.token_hex(16)


@pass_context
def render_articles(context: Context, views: list[ArticleView]) -> Markup:
    """The articles of `views`, in order, as the page shows them: kept ones reused, the
    others rendered (in one module of the template, in the reader's language) and kept.
    Nothing is kept while templates reload (development): an edited macro the template
    imports would not change the template's key."""
    environment = context.environment
    template: Template = environment.get_template(TEMPLATE)
    choice = i18n.current()
    language = choice.language
    written = (template, language, choice.timezone, i18n.translations(language),
               i18n.babel_locale(language))  # fmt: skip
    keys = [(written, v) for v in views]
    keep = not environment.auto_reload
    found = KEPT.get_many(keys) if keep else [None] * len(keys)
    csrf = str(escape(context.get("csrf_token") or ""))
    module: Any = None  # the template's module: its macro `article`
    out = []
    for key, view, parts in zip(keys, views, found, strict=True):
        if parts is None:
            if module is None:
                module = template.make_module({"csrf_token": _CSRF_MARK})
            parts = str(module.article(view)).split(_CSRF_MARK)
            if keep:
                KEPT.put(key, parts, view)
        out.append(csrf.join(parts))
    return Markup("".join(out))  # noqa: S704 (rendered by the template, which escaped)
