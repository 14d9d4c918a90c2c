"""Error answers: styled pages for people, `{"detail": ...}` for the API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from babel.support import LazyProxy
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import TemplateError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from forum.core.formats import format_number
from forum.core.i18n import _, _l
from forum.core.pagination import InvalidCursorError
from forum.core.security import CSRFError
from forum.core.web import render

log = logging.getLogger(__name__)


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


# --- the errors services raise -----------------------------------------------------------------
# One set for every domain; `install_error_handlers` answers each in one place: a styled page
# for people, `{"detail": ...}` for programs (`wants_json`).


# The page's sentence for each kind of thing the domains look up, whole, so that a
# translation can agree with the noun (unknown kinds get the sentence with the noun).
NOT_FOUND_PAGES = {
    "category": _l("There is no category at this address."),
    "event": _l("There is no event at this address."),
    "flag": _l("There is no flag at this address."),
    "intelligence item": _l("There is no intelligence item at this address."),
    "member": _l("There is no member at this address."),
    "partnership": _l("There is no partnership at this address."),
    "post": _l("There is no post at this address."),
    "saved search": _l("There is no saved search at this address."),
    "sector": _l("There is no sector at this address."),
    "thread": _l("There is no thread at this address."),
}


class NotFound(Exception):
    """Missing, or hidden from this viewer (404: whether it exists is itself private).

    `what` names the kind of thing ("thread", "intelligence item"): the API answers
    "No thread with this id.", a page "There is no thread at this address.". `detail`,
    when given, is the one sentence both answer instead.
    """

    def __init__(self, what: str, *, detail: str | None = None) -> None:
        super().__init__(detail or f"No {what} with this id.")
        self.what = what
        self.detail = detail

    @property
    def api_message(self) -> str:
        return self.detail or f"No {self.what} with this id."

    @property
    def page_message(self) -> str:
        if self.detail:
            return self.detail
        known = NOT_FOUND_PAGES.get(self.what)
        if known is not None:
            return str(known)
        return _("There is no %(what)s at this address.", what=self.what)


class NotAllowed(Exception):
    """The actor may not do what they asked (403); the message says why."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("You are not allowed to do that."))


class Invalid(ValueError):
    """Input that breaks a rule (422); `field` names the form field or API input it is
    about, when there is one, and `where` says where the API reads that input ("body" or
    "query"), for its answer in FastAPI's shape. Forms catch it to show the message by
    its field; anything else lets it rise."""

    def __init__(self, message: str, field: str | None = None, *, where: str = "body") -> None:
        super().__init__(message)
        self.field = field
        self.where = where


class Conflict(Exception):
    """What was asked is done already, or clashes with what is there (409).

    A domain's conflict is also its Invalid (`class AlreadyFlagged(Conflict,
    DiscussionError)`), so a form handling the domain's errors handles it too; Conflict
    comes first, so that the handlers answer 409.
    """


TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Not allowed"),
    409: _l("Already done"),
    413: _l("Too large"),
    415: _l("Unsupported file type"),
    422: _l("Please check what you entered"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/healthz":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request,
    status_code: int,
    detail: object,
    *,
    headers: Mapping[str, str] | None = None,
    template: str = "errors/error.html",
    extra: dict[str, object] | None = None,
) -> Response:
    if isinstance(detail, LazyProxy):
        detail = str(detail)
    if wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
    context = {
        "status_code": status_code,
        "title": str(TITLES.get(status_code) or _("Error")),
        "detail": detail if isinstance(detail, str) else None,
        **(extra or {}),
    }
    try:
        response = render(request, template, context, status_code=status_code)
    except (TemplateError, OSError):
        # The error page itself failed: answer in plain text rather than not at all.
        log.exception("error page failed to render")
        return Response(str(detail), status_code=status_code, media_type="text/plain")
    if headers:
        response.headers.update(headers)
    return response


def _phrase(status_code: int) -> str | None:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return None


def install_error_handlers(
    app: FastAPI, *, identify: Callable[[Request], None] | None = None
) -> None:
    """The one set of error answers. `identify` says who is asking when no route ran
    (a page that is not there): the signed-in member's header and language."""

    @app.exception_handler(CSRFError)
    async def csrf_error(request: Request, exc: CSRFError) -> Response:
        return error_response(
            request, 403, exc.detail, template="errors/csrf.html", extra={"kept": exc.form}
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": _("Log in first.")}, status_code=401)
        return RedirectResponse(f"/login?{urlencode({'next': exc.next_url})}", status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        message = exc.api_message if wants_json(request) else exc.page_message
        return error_response(request, 404, message)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        return error_response(request, 403, str(exc))

    @app.exception_handler(Invalid)
    async def invalid(request: Request, exc: Invalid) -> Response:
        if wants_json(request):
            # FastAPI's own shape for invalid input, naming where the field was read.
            loc = [exc.where, exc.field] if exc.field else [exc.where]
            return JSONResponse(
                {"detail": [{"loc": loc, "msg": str(exc), "type": "value_error"}]},
                status_code=422,
            )
        return error_response(request, 422, str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        return error_response(request, 409, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if identify is not None and not hasattr(request.state, "user") and not wants_json(request):
            await run_in_threadpool(identify, request)
        # Starlette's own detail is the status's English phrase ("Not Found"): the page's
        # own words for the status say it, in the reader's language.
        detail = None if exc.detail == _phrase(exc.status_code) else exc.detail
        if detail is None and wants_json(request):
            detail = exc.detail
        return error_response(request, exc.status_code, detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if wants_json(request):
            return JSONResponse({"detail": _jsonable_errors(errors)}, status_code=422)
        # A form that skipped the browser's checks (a field missing or too long): a page
        # naming each field and what is wrong with it, and the way back to the form.
        fields = [_field_message(e) for e in errors]
        return error_response(
            request,
            422,
            _("Some fields of the form are missing or too long. Go back to the form, "
              "correct them and send it again."),
            extra={"field_errors": fields, "form_url": request.url.path},
        )  # fmt: skip

    @app.exception_handler(InvalidCursorError)
    async def bad_cursor(request: Request, exc: InvalidCursorError) -> Response:
        return error_response(request, 422, str(exc))

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> Response:
        log.error("database unavailable: %s", exc.orig)
        return error_response(
            request,
            503,
            _("The database is unavailable right now. Please try again in a minute."),
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(DataError)
    async def unstorable_value(request: Request, exc: DataError) -> Response:
        # The database refused a value the request carried (a number past its column's
        # range, a NUL character in text, a string past a column's length): the input
        # was wrong, and the transaction is rolled back whole.
        log.warning("database refused a value on %s %s: %s", request.method,
                    request.url.path, exc.orig)  # fmt: skip
        return error_response(
            request,
            422,
            _(
                "A value in the request cannot be stored: a number out of range, a NUL "
                "character in text or a text too long."
            ),
        )

    @app.exception_handler(OverflowError)
    async def number_out_of_range(request: Request, exc: OverflowError) -> Response:
        # SQLite's driver refuses integers past 64 bits before SQLAlchemy sees them.
        log.warning("number out of range on %s %s: %s", request.method, request.url.path, exc)
        return error_response(request, 422, _("A number in the request is out of range."))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        if exc.connection_invalidated:
            log.error("database connection lost: %s", exc.orig)
            return error_response(
                request,
                503,
                _("The database is unavailable right now. Please try again in a minute."),
                headers={"Retry-After": "30"},
            )
        log.exception("database error", exc_info=exc)
        return error_response(request, 500, _("Something went wrong on our side."))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(request, 500, _("Something went wrong on our side. It was logged."))


def _field_message(error: Mapping[str, Any]) -> str:
    """One of FastAPI's field errors in the reader's words, naming the form field."""
    loc = [str(part) for part in error.get("loc", ())[1:]]
    field = ".".join(loc) or _("the form")
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "missing":
        return _("%(field)s: fill in this field.", field=field)
    if kind in ("string_too_long", "too_long") and "max_length" in context:
        return _(
            "%(field)s: use at most %(max)s characters.",
            field=field,
            max=format_number(int(context["max_length"])),
        )
    return _("%(field)s: this value is not accepted.", field=field)


def _jsonable_errors(errors: object) -> object:
    """Validation errors without the raw input objects pydantic may attach."""
    out = []
    for error in errors if isinstance(errors, list | tuple) else []:
        item = {k: v for k, v in dict(error).items() if k in ("type", "loc", "msg")}
        out.append(item)
    return out


# What every JSON error says, as the OpenAPI document describes it: a message, or for
# invalid input FastAPI's list of field errors (`loc`, `msg`, `type`).
API_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ApiError",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
            ],
            "title": "Detail",
        }
    },
}
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ValidationError",
    "type": "object",
    "required": ["loc", "msg", "type"],
    "properties": {
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
    },
}


def document_api_errors(app: FastAPI, prefix: str) -> None:
    """Make the OpenAPI document say what the API answers on bad input.

    FastAPI documents a 422 as a list of field errors only, but our services refuse
    input with a message too (`unknown sector: ...`), and it leaves out the 400 its own
    body parser gives for a body that is not UTF-8 JSON. Every operation under `prefix`
    that takes input gets a 422 whose `detail` is either, and every one with a body a
    400; the descriptions the routes declare are kept. Every operation that reads a
    bearer token (it has a `security` requirement) gets a 401: a bad or expired token is
    refused even where a visitor without one is welcome.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ApiError"] = API_ERROR_SCHEMA
        components.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith(prefix):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if operation.get("security") and "401" not in responses:
                    responses["401"] = {
                        "description": "The bearer token is unknown, revoked or expired",
                        "content": content,
                    }
                if "requestBody" in operation and "400" not in responses:
                    responses["400"] = {
                        "description": "The body could not be read (not UTF-8 JSON, or a "
                        "broken form)",
                        "content": content,
                    }
                if "422" in responses or "requestBody" in operation or operation.get("parameters"):
                    declared = responses.get("422", {}).get("description")
                    responses["422"] = {
                        "description": declared
                        if declared and declared != "Validation Error"
                        else "Invalid input: `detail` lists each field's problem or says what is wrong",
                        "content": content,
                    }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
