"""Errors become answers in one place: services raise the core's NotFound, NotAllowed,
Invalid and Conflict, and the app's handlers answer them (a styled page for people,
`{"detail": ...}` for the API); views never translate them by hand."""

from __future__ import annotations

import ast
import html
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from forum.accounts.service import AccountError
from forum.core.errors import Conflict, Invalid, NotAllowed, NotFound
from forum.discussions.service import DiscussionError
from forum.events.service import EventError
from forum.intelligence.attachments import AlreadyAttached
from forum.intelligence.service import IntelError
from forum.moderation.flags import AlreadyFlagged

FORUM = Path(__file__).resolve().parent.parent / "forum"
# The errors the handlers answer: a view or API route never catches them to answer itself.
TRANSLATED_ELSEWHERE = {"NotFound", "NotAllowed", "PermissionDenied", "NoSuchSignIn"}


def _edge_modules() -> list[Path]:
    """The modules that answer requests: every views and API module, and the portal's
    and the moderation's modules."""
    found = {
        path
        for path in FORUM.rglob("*.py")
        if path.name.endswith(("views.py", "api.py"))
        or path.parent.name in ("portal", "moderation")
    }
    return sorted(found)


def _names(node: ast.expr | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(e) for e in node.elts))
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Name):
        return {node.id}
    return set()


def test_no_view_or_api_module_translates_a_domain_error_by_hand() -> None:
    modules = _edge_modules()
    assert len(modules) > 40, "the scan found the view and API modules"
    offences = [
        f"{path.relative_to(FORUM.parent)}:{handler.lineno}: except {ast.unparse(handler.type)}"
        for path in modules
        for handler in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(handler, ast.ExceptHandler)
        and handler.type is not None
        and _names(handler.type) & TRANSLATED_ELSEWHERE
    ]
    assert offences == [], "let these rise to forum.core.errors' handlers:\n" + "\n".join(offences)


def test_only_the_core_defines_not_found_and_not_allowed() -> None:
    defined = [
        f"{path.relative_to(FORUM.parent)}: class {node.name}"
        for path in FORUM.rglob("*.py")
        if path != FORUM / "core" / "errors.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name in TRANSLATED_ELSEWHERE
    ]
    assert defined == []


@pytest.mark.parametrize("error", [DiscussionError, IntelError, EventError, AccountError])
def test_the_domains_input_errors_are_invalid(error: type[Exception]) -> None:
    assert issubclass(error, Invalid)


@pytest.mark.parametrize(("conflict", "domain_error"), [
    (AlreadyFlagged, DiscussionError), (AlreadyAttached, IntelError),
])  # fmt: skip
def test_conflicts_are_409s_that_forms_still_catch_as_their_domains_invalid(
    conflict: type[Exception], domain_error: type[Exception]
) -> None:
    assert issubclass(conflict, Conflict) and issubclass(conflict, domain_error)
    assert conflict.__mro__.index(Conflict) < conflict.__mro__.index(Invalid)


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
