"""The route walker: every state-changing HTML route must refuse a request without a CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from forum.core.security import SAFE_METHODS, csrf_exempt
from tests.conftest import Client

# State-changing HTML routes that authenticate by other means (documented in docs/permissions.md).
ALLOWED_EXEMPT: set[str] = {
    "POST /unsubscribe/{token}",  # RFC 8058 one-click unsubscribe: the signed token is the proof
    "POST /digests/interest/{token}",  # a digest's follow/mute link: the signed token is the proof
    "POST /emails/off/{token}",  # a notification email's one-click unsubscribe (RFC 8058)
}


def _all_routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, the included routers' too: FastAPI keeps an
    `include_router` as one entry that holds the router, not as its routes."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _all_routes(included.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, APIRoute | Route):
            yield prefix + route.path, set(route.methods or ())


def _state_changing_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for path, methods in _all_routes(app.routes):
        if path.startswith("/api/"):
            continue  # bearer tokens, never cookies
        for method in sorted(methods - SAFE_METHODS):
            found.append((method, path))
    return found


def test_the_walker_sees_the_routes_of_included_routers(client: Client) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    routes = dict.fromkeys(f"{m} {p}" for m, p in _state_changing_routes(app))
    assert "POST /login" in routes
    assert "POST /unsubscribe/{token}" in routes
    assert len(routes) > 30


def unprotected_routes(app: FastAPI) -> list[str]:
    """Routes that accept an unsafe request carrying the CSRF cookie but no token."""
    bad = []
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/privacy")  # obtain the CSRF cookie, as a browser would have it
        for method, path in _state_changing_routes(app):
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = client.request(method, url, data={"title": "forged"})
            refused = response.status_code == 403 and "could not be verified" in response.text
            if not refused:
                bad.append(f"{method} {path}")
    return bad


def test_every_state_changing_html_route_requires_a_csrf_token(client: Client) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    assert set(unprotected_routes(app)) == ALLOWED_EXEMPT


def test_the_walker_catches_a_deliberately_unprotected_route(own_app: FastAPI) -> None:
    app = own_app

    async def raw_endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse("changed")

    @csrf_exempt
    def exempt_endpoint() -> str:
        return "changed"

    # A bare Starlette route skips FastAPI's dependencies; an exempt one skips the check.
    app.router.routes.append(Route("/unprotected", raw_endpoint, methods=["POST"]))
    app.add_api_route("/exempt", exempt_endpoint, methods=["POST"])
    assert set(unprotected_routes(app)) == ALLOWED_EXEMPT | {"POST /unprotected", "POST /exempt"}


def test_a_protected_route_accepts_the_right_token_and_keeps_what_was_typed(
    own_app: FastAPI,
) -> None:
    app = own_app

    @app.post("/echo")
    def echo() -> dict[str, bool]:
        return {"ok": True}

    with Client(app, base_url="http://testserver", follow_redirects=False) as client:
        _check_echo(client)


def _check_echo(client: Client) -> None:
    refused = client.post("/echo", data={"body": "my long post", "password": "hunter22"})
    assert refused.status_code == 403
    assert "my long post" in refused.text, "the refusal page keeps what the member typed"
    assert "hunter22" not in refused.text, "but never a password"
    accepted = client.post_form("/echo", {"body": "my long post"})
    assert accepted.status_code == 200  # type: ignore[attr-defined]
    header = client.post("/echo", headers={"X-CSRF-Token": client.csrf_token()})
    assert header.status_code == 200
    wrong = client.post("/echo", data={"csrf_token": "0" * 64})
    assert wrong.status_code == 403
