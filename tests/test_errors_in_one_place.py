"""Errors become answers in one place: services raise the core's NotFound, NotAllowed,
Invalid and Conflict, and the app's handlers answer them (a styled page for people,
`{"detail": ...}` for the API); views never translate them by hand."""

from __future__ import annotations

import html

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from forum.core.errors import Conflict, Invalid, NotAllowed, NotFound


def _raising(app: FastAPI, error: Exception) -> tuple[object, object]:
    """The page's and the API's answers to a route that raises `error`."""

    @app.get("/boom-page")
    def boom_page() -> None:
        raise error

    @app.get("/api/v1/boom")
    def boom_api() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as c:
        return c.get("/boom-page"), c.get("/api/v1/boom")


def test_not_found_answers_a_styled_page_and_the_api_a_sentence_from_its_noun(
    own_app: FastAPI,
) -> None:
    page, api = _raising(own_app, NotFound("thread"))
    assert page.status_code == api.status_code == 404  # type: ignore[attr-defined]
    assert '<main id="main"' in page.text  # type: ignore[attr-defined]
    assert "There is no thread at this address." in html.unescape(page.text)  # type: ignore[attr-defined]
    assert api.json() == {"detail": "No thread with this id."}  # type: ignore[attr-defined]


def test_not_found_with_its_own_sentence_says_it_on_both(own_app: FastAPI) -> None:
    page, api = _raising(own_app, NotFound("flag target", detail="Nothing to flag with this id."))
    assert "Nothing to flag with this id." in page.text  # type: ignore[attr-defined]
    assert api.json() == {"detail": "Nothing to flag with this id."}  # type: ignore[attr-defined]


def test_not_allowed_answers_403_with_its_reason(own_app: FastAPI) -> None:
    page, api = _raising(own_app, NotAllowed("Only moderators can do this."))
    assert page.status_code == api.status_code == 403  # type: ignore[attr-defined]
    assert '<main id="main"' in page.text  # type: ignore[attr-defined]
    assert "Only moderators can do this." in page.text  # type: ignore[attr-defined]
    assert api.json() == {"detail": "Only moderators can do this."}  # type: ignore[attr-defined]


def test_invalid_answers_the_api_in_fastapis_shape_naming_its_field(own_app: FastAPI) -> None:
    page, api = _raising(own_app, Invalid("A title is needed.", "title"))
    assert page.status_code == api.status_code == 422  # type: ignore[attr-defined]
    assert "A title is needed." in page.text  # type: ignore[attr-defined]
    assert api.json() == {  # type: ignore[attr-defined]
        "detail": [{"loc": ["body", "title"], "msg": "A title is needed.", "type": "value_error"}]
    }


@pytest.mark.parametrize(
    ("error", "loc"),
    [
        (Invalid("unknown category: 'x'", "category", where="query"), ["query", "category"]),
        (Invalid("Say what to look for."), ["body"]),
        (Invalid("Say what to look for.", where="query"), ["query"]),
    ],
)
def test_invalid_says_where_its_field_was_read(
    own_app: FastAPI, error: Invalid, loc: list[str]
) -> None:
    _, api = _raising(own_app, error)
    assert api.json()["detail"][0]["loc"] == loc  # type: ignore[attr-defined]


def test_a_conflict_answers_409_even_when_it_is_also_its_domains_invalid(
    own_app: FastAPI,
) -> None:
    class AlreadyDone(Conflict, Invalid):
        """As a domain's conflict is: its Invalid too, for the forms."""

    error = AlreadyDone("You already flagged this: the moderators will look at it.")
    page, api = _raising(own_app, error)
    assert page.status_code == api.status_code == 409  # type: ignore[attr-defined]
    assert "You already flagged this" in page.text  # type: ignore[attr-defined]
    assert api.json() == {  # type: ignore[attr-defined]
        "detail": "You already flagged this: the moderators will look at it."
    }
