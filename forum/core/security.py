"""Security plumbing shared by every page: CSP nonces, security headers, CSRF.

CSRF uses a double-submit token bound to the secret key: a random value in an
HttpOnly cookie, and in forms its HMAC. A forged cross-site POST carries the
cookie but cannot know the HMAC. The JSON API under /api/ is exempt because it
authenticates with bearer tokens and never reads cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forum.core.i18n import _

CSRF_COOKIE = "forum_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

F = TypeVar("F", bound=Callable[..., Any])


def csrf_exempt(endpoint: F) -> F:
    """Mark a state-changing HTML endpoint as authenticated by other means.

    Only for endpoints that carry their own unguessable token (the one-click
    unsubscribe). The route walker test lists every use.
    """
    endpoint.csrf_exempt = True  # type: ignore[attr-defined]
    return endpoint


def csrf_token_for(secret_key: str, cookie_value: str) -> str:
    return hmac.new(secret_key.encode(), cookie_value.encode(), hashlib.sha256).hexdigest()


class CSRFError(HTTPException):
    def __init__(self, form: dict[str, str] | None = None) -> None:
        super().__init__(
            status_code=403,
            detail=_(
                "This form could not be verified (it may have expired or come from "
                "another site). Nothing was saved."
            ),
        )
        self.form = form or {}


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuse unsafe HTML requests without a valid CSRF token."""
    if request.method in SAFE_METHODS or _is_api(request.url.path):
        return
    endpoint = request.scope.get("endpoint")
    if getattr(endpoint, "csrf_exempt", False):
        return
    secret_key: str = request.app.state.settings.secret_key
    cookie = request.cookies.get(CSRF_COOKIE, "")
    submitted = request.headers.get(CSRF_HEADER, "")
    kept: dict[str, str] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        submitted = submitted or str(form.get(CSRF_FIELD, ""))
        kept = {
            key: value
            for key, value in form.items()
            if isinstance(value, str) and key != CSRF_FIELD and "password" not in key
        }
    expected = csrf_token_for(secret_key, cookie) if cookie else ""
    if not cookie or not submitted or not hmac.compare_digest(submitted, expected):
        raise CSRFError(kept)


def csp_header(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


class SecurityMiddleware:
    """Per-request CSP nonce and CSRF cookie; security headers on every response."""

    def __init__(self, app: ASGIApp, *, https: bool, secret_key: str) -> None:
        self.app = app
        self.https = https
        self.secret_key = secret_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        cookie = _read_cookie(scope, CSRF_COOKIE)
        new_cookie = None
        if not cookie or len(cookie) != 43:
            cookie = new_cookie = secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["csp_nonce"] = nonce
        state["csrf_token"] = csrf_token_for(self.secret_key, cookie)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if self.https:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = csp_header(nonce)
                    headers["X-Frame-Options"] = "DENY"
                    if new_cookie:
                        secure = "; Secure" if self.https else ""
                        headers.append(
                            "Set-Cookie",
                            f"{CSRF_COOKIE}={new_cookie}; Path=/; HttpOnly; SameSite=Lax{secure}",
                        )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _read_cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return str(v)
    return None
