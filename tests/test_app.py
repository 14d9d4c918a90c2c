"""The app shell: health check, security headers, error pages, migrations guard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from forum.app import create_app
from forum.core.config import Settings
from forum.core.db import make_engine
from forum.core.web import flash
from forum.migrate import NotMigratedError
from tests.conftest import TEST_SECRET, Client


def test_healthz_reports_database_search_mail_and_worker(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["search"] == {
        "engine": "embedded",
        "ok": True,
        "documents": 0,
        "outbox_depth": 0,
        "oldest_pending_seconds": None,
        "rebuilding": False,
    }
    assert body["mail"] == {"transport": "eml-outbox"}
    assert body["worker"]["alive"] is False
    assert body["worker"]["outbox_depth"] == 0


def test_healthz_answers_503_with_the_same_shape_when_the_database_is_down(
    tmp_path: Path,
) -> None:
    # Nothing listens on port 9 of loopback: connecting fails at once.
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    settings = Settings(data_dir=tmp_path, secret_key=TEST_SECRET, embedded_worker=False)
    app = create_app(settings, engine=dead, check_migrations=False)
    with TestClient(app) as c:
        response = c.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is False
    assert set(body) == {"status", "database", "search", "mail", "worker"}
    assert set(body["worker"]) >= {"alive", "outbox_depth"}


def test_pages_answer_503_page_when_the_database_is_down(tmp_path: Path) -> None:
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    settings = Settings(data_dir=tmp_path, secret_key=TEST_SECRET, embedded_worker=False)
    app = create_app(settings, engine=dead, check_migrations=False)
    with TestClient(app) as c:
        page = c.get("/partnerships")
        api = c.get("/api/v1/partnerships")
    assert page.status_code == 503
    assert "text/html" in page.headers["content-type"]
    assert "unavailable" in page.text
    assert api.status_code == 503
    assert "detail" in api.json()


def test_every_html_page_carries_a_nonce_csp_that_matches_its_scripts(client: Client) -> None:
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert scripts, "the layout loads htmx"
    assert all(f'nonce="{nonce.group(1)}"' in tag for tag in scripts)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers


def test_nonce_changes_on_every_request(client: Client) -> None:
    first = client.get("/").headers["content-security-policy"]
    second = client.get("/").headers["content-security-policy"]
    assert first != second


def test_hsts_is_sent_when_the_base_url_is_https(
    settings: Settings, engine: Engine, session_factory: object
) -> None:
    settings.base_url = "https://forum.example.eu"
    app = create_app(settings, engine=engine, session_factory=session_factory)  # type: ignore[arg-type]
    with TestClient(app) as c:
        response = c.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "Secure" in response.headers["set-cookie"]


def test_api_responses_are_nosniff_without_a_page_csp(client: Client) -> None:
    response = client.get("/api/v1/sectors")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


def test_unknown_page_gets_the_styled_404_page(client: Client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert 'class="site-nav"' in response.text
    assert "404" in response.text


def test_unknown_api_route_gets_json_404(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("status", [403, 404, 429, 500, 503])
def test_each_error_status_has_a_styled_page_and_a_json_form(own_app: FastAPI, status: int) -> None:
    @own_app.get("/boom-page")
    def boom_page() -> None:
        raise HTTPException(status, "Explained for people.")

    @own_app.get("/api/v1/boom")
    def boom_api() -> None:
        raise HTTPException(status, "Explained for programs.")

    with TestClient(own_app, raise_server_exceptions=False) as c:
        page = c.get("/boom-page")
        api = c.get("/api/v1/boom")
    assert page.status_code == status
    assert "Explained for people." in page.text
    assert '<main id="main"' in page.text
    assert api.status_code == status
    assert api.json() == {"detail": "Explained for programs."}


def test_an_unexpected_exception_becomes_a_500_page_not_a_traceback(own_app: FastAPI) -> None:
    @own_app.get("/crash")
    def crash() -> None:
        raise RuntimeError("secret internals")

    with TestClient(own_app, raise_server_exceptions=False) as c:
        response = c.get("/crash")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Something went wrong" in response.text


def test_openapi_and_api_docs_are_served(client: Client) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/partnerships" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_every_operation_reading_a_bearer_token_documents_its_401(client: Client) -> None:
    spec = client.get("/openapi.json").json()
    secured = {
        (method.upper(), path): operation["responses"]
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    }
    assert ("GET", "/api/v1/threads") in secured, "optional sign-in reads the token too"
    assert {key for key, responses in secured.items() if "401" not in responses} == set()
    answer = client.get("/api/v1/threads", headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Invalid or expired token."}


def test_the_app_refuses_to_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=TEST_SECRET, embedded_worker=False)
    with pytest.raises(NotMigratedError, match="forum migrate"):
        create_app(settings)


def test_privacy_page_says_what_is_stored(client: Client) -> None:
    response = client.get("/privacy")
    assert response.status_code == 200
    assert "forum_csrf" in response.text


def test_static_files_are_served(client: Client) -> None:
    assert client.get("/static/css/forum.css").status_code == 200
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200
    assert "htmx" in htmx.text[:2000]


def test_a_flash_message_shows_once_on_the_next_page(own_app: FastAPI) -> None:
    @own_app.get("/do-something")
    def do_something(request: Request) -> RedirectResponse:
        response = RedirectResponse("/privacy", status_code=303)
        flash(request, response, "Saved your changes.", "success")
        return response

    with Client(own_app) as c:
        shown = c.get("/do-something")
        assert shown.status_code == 200
        assert "Saved your changes." in shown.text
        assert "flash-success" in shown.text
        again = c.get("/privacy")
        assert "Saved your changes." not in again.text


def test_a_forged_flash_cookie_is_ignored(client: Client) -> None:
    client.cookies.set("forum_flash", "forged.value")
    response = client.get("/privacy")
    assert response.status_code == 200
    assert "forged" not in response.text
