"""The reader's language: gettext catalogs, which language a request is answered in, and
the callables that pages, emails and services translate with.

Catalogs are gettext `.po` files under `forum/locales/<code>/LC_MESSAGES/messages.po`,
compiled to `.mo` by `make install` (`make translations` extracts, updates and
compiles). English is the source language and needs no catalog; another language is
offered once its compiled catalog is there.

Which language: the signed-in member's profile, else the footer switcher's cookie,
else the browser's `Accept-Language`, else English. The choice is made per request by
`LocaleMiddleware` (cookie and header) and `choose()` (the profile, once the member is
known), and kept in a context variable holding a mutable box: FastAPI runs each sync
dependency and view in its own copy of the context, and all the copies share the box.
Outside a request (jobs, emails) the language is English unless `using()` says
otherwise: an email is rendered inside `using(recipient's language)`.

The JSON API is language-neutral: a request under `/api/` is answered in English.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import LazyProxy, NullTranslations, Translations
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
DEFAULT_TIMEZONE = "Europe/Brussels"
LANGUAGE_COOKIE = "forum_lang"
# The languages a member may choose in the profile, in this order, once their catalog is
# compiled (English always). A code stays valid in the database when its catalog goes.
KNOWN_LANGUAGES = ("en", "fr", "de", "es", "it", "pl", "pt", "nl")
_CODE = re.compile(r"^[a-z]{2,3}$")


@dataclass
class Choice:
    """The language and time zone this request (or this email) is written in."""

    language: str = DEFAULT_LANGUAGE
    timezone: str = DEFAULT_TIMEZONE


_choice: contextvars.ContextVar[Choice | None] = contextvars.ContextVar(
    "forum_locale", default=None
)


@dataclass(frozen=True)
class Installed:
    """A catalog installed at run time (the test suite's pseudo-locale): its dates and
    numbers are formatted as in `formats_as`, then passed through `decorate`."""

    catalog: NullTranslations
    formats_as: str = DEFAULT_LANGUAGE
    decorate: Callable[[str], str] | None = None


_installed: dict[str, Installed] = {}


_OUTSIDE = Choice()  # outside a request and outside `using`: English, the site's zone


def current() -> Choice:
    return _choice.get() or _OUTSIDE


def language() -> str:
    """The code of the language being written now: "en", "fr", ... ("xx" in tests)."""
    choice = _choice.get()
    return choice.language if choice is not None else DEFAULT_LANGUAGE


@contextmanager
def using(language: str | None, timezone: str | None = None) -> Iterator[Choice]:
    """Write in `language` (and `timezone`) inside the block: an email to a member, a
    job's message. An unknown or uncompiled language falls back to English."""
    choice = Choice(supported(language) or DEFAULT_LANGUAGE, timezone or current().timezone)
    token = _choice.set(choice)
    try:
        yield choice
    finally:
        _choice.reset(token)


def choose(language: str | None, timezone: str | None = None) -> None:
    """This request is for a member who chose `language` and `timezone` (the profile)."""
    choice = _choice.get()
    if choice is None:
        return
    if (chosen := supported(language)) is not None:
        choice.language = chosen
    if timezone:
        choice.timezone = timezone


# --- catalogs ------------------------------------------------------------------------------


@cache
def _compiled(code: str) -> NullTranslations | None:
    if not (LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
        return None
    return Translations.load(str(LOCALES_DIR), [code], DOMAIN)


# English, the source language, translates nothing: one catalog that answers every message
# as it is written.
_SOURCE = NullTranslations()


def translations(code: str) -> NullTranslations:
    if (extra := _installed.get(code)) is not None:
        return extra.catalog
    return _compiled(code) or _SOURCE


# English as written in Europe: 7 Dec 2026, 14:05 (CLDR's plain "en" is American).
_FORMATS_AS = {"en": "en_GB"}


def babel_locale(code: str) -> str:
    """The CLDR locale that formats dates, numbers and country names for `code`."""
    extra = _installed.get(code)
    base = extra.formats_as if extra is not None else code
    return _FORMATS_AS.get(base, base)


def decorate(text: str) -> str:
    """What Babel formatted, as the current language shows it (unchanged but for an
    installed language that decorates, such as the pseudo-locale)."""
    if not _installed:
        return text
    extra = _installed.get(language())
    return extra.decorate(text) if extra is not None and extra.decorate else text


def install(
    code: str,
    catalog: NullTranslations,
    *,
    formats_as: str = DEFAULT_LANGUAGE,
    decorate: Callable[[str], str] | None = None,
) -> None:
    """Offer `code` with `catalog` in this process (the tests' pseudo-locale)."""
    _installed[code] = Installed(catalog, formats_as, decorate)


def has_installed() -> bool:
    """Whether any catalog was installed at run time (only the tests install one)."""
    return bool(_installed)


def uninstall(code: str) -> None:
    _installed.pop(code, None)


def available() -> list[str]:
    """The languages pages and emails can be written in: English, and every language
    whose catalog is compiled or installed."""
    codes = [c for c in KNOWN_LANGUAGES if c == DEFAULT_LANGUAGE or _compiled(c) is not None]
    return codes + [c for c in _installed if c not in codes]


def supported(code: str | None) -> str | None:
    """`code` (lower-cased, region dropped) when pages can be written in it, else None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if _CODE.match(base) and base in available() else None


def negotiate(accept_language: str | None) -> str | None:
    """The first language of an `Accept-Language` header (by its q-values) that we have."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    for _quality, _position, tag in sorted(ranked):
        if (code := supported(tag)) is not None:
            return code
    return None


# --- translating ---------------------------------------------------------------------------


def gettext(message: str, **variables: Any) -> str:
    """`message` in the current language; `%(name)s` placeholders filled from `variables`."""
    code = language()
    # English is the source: no catalog to ask (unless one is installed, as in tests).
    if code == DEFAULT_LANGUAGE and not _installed:
        text = message
    else:
        text = translations(code).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The form of `singular`/`plural` for `n` in the current language's plural rules;
    `%(num)s` is `n`, and other placeholders come from `variables`."""
    text = translations(language()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


def pgettext(context: str, message: str, **variables: Any) -> str:
    """`message` as meant in `context` (a word that translates two ways)."""
    text = translations(language()).upgettext(context, message)
    return text % variables if variables else text


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """A string translated when it is used, not when it is defined: labels and messages
    written at import time, read later in whichever language is current then."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def lazy_pgettext(context: str, message: str, **variables: Any) -> LazyProxy:
    """`pgettext` read when used, as `lazy_gettext` is: a label written at import time for
    a word that translates two ways ("Report": a kind of intelligence, a flag)."""
    return LazyProxy(pgettext, context, message, enable_cache=False, **variables)


_ = gettext
_l = lazy_gettext


class Labels(dict[str, Any]):
    """Labels written at import time (`_l`), read as plain strings in the current
    language: `labels[key]` and `labels.get(key)` are `str`, so they join, sort and go
    into JSON like any other string; `items()` and `values()` give them unread (lazy)."""

    def __getitem__(self, key: str) -> str:
        return str(super().__getitem__(key))

    def get(self, key: str, default: Any = None) -> Any:
        value = super().get(key)
        return default if value is None else str(value)

    def __iter__(self) -> Iterator[str]:
        # Defined, so that `{**labels}` reads each label through __getitem__.
        return super().__iter__()


# --- the request's language ----------------------------------------------------------------


class LocaleMiddleware:
    """Choose the language of a request from the switcher's cookie and `Accept-Language`
    (the profile overrides both once the member is known: see `choose`). The API is
    answered in English whatever the headers say."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        choice = Choice()
        if not scope["path"].startswith("/api/"):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            cookie = _cookie(headers.get("cookie", ""), LANGUAGE_COOKIE)
            choice.language = (
                supported(cookie) or negotiate(headers.get("accept-language")) or DEFAULT_LANGUAGE
            )
        api = scope["path"].startswith("/api/")

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start" and not api:
                headers = MutableHeaders(scope=message)
                headers["Content-Language"] = choice.language
                # The same URL answers in another language for another cookie or browser.
                headers.add_vary_header("Accept-Language")
                headers.add_vary_header("Cookie")
            await send(message)

        token = _choice.set(choice)
        try:
            await self.app(scope, receive, send_with_language)
        finally:
            _choice.reset(token)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"')
    return None
