"""A route class for hot JSON endpoints: FastAPI's per-request dependency solving done by a
shorter path when the dependency tree is simple, the same functions called in the same
order with the same values.

FastAPI's `solve_dependencies` walks the whole tree for each request (the app-wide
dependencies, the session, the caller), with its caches, scopes and exit stacks: at the
search API's rate that is about a tenth of a request's CPU. `LightRoute` checks once,
when its handler is built, that every dependency of the route (the app-wide ones
included) takes nothing but the request and other such dependencies, and is async (a
coroutine, an async generator, or an object with an async `__call__`, as the OAuth2
bearer scheme). Then, per request, it validates the endpoint's query parameters with
FastAPI's own function, calls each dependency once (cached by function, as FastAPI's
`use_cache` does), enters generator dependencies in an exit stack closed when the
endpoint returns, and calls the endpoint. Anything else takes FastAPI's own path,
unchanged: a route whose tree does not qualify, any dependency override (tests), a
request whose query parameters do not validate (FastAPI writes the 422), or an
endpoint taking a body, path, header or cookie parameters. Every check stays in its one
dependency function: only the machinery that calls them is shorter.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

import fastapi.routing
from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _is_async(call: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    dunder = getattr(type(call), "__call__", None)  # noqa: B004 - the class's method
    return not inspect.isfunction(call) and inspect.iscoroutinefunction(dunder)


def _simple(dependant: Dependant, *, endpoint: bool) -> bool:
    """Whether the light path can call `dependant` (and everything it depends on)."""
    if dependant.call is None or (not endpoint and not _is_async(dependant.call)):
        return False
    if not endpoint and dependant.query_params:
        return False
    if (
        dependant.path_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or not dependant.use_cache
        or getattr(dependant, "concurrency", None) is not None
    ):
        return False
    if endpoint and not inspect.iscoroutinefunction(dependant.call):
        return False
    return all(_simple(sub, endpoint=False) for sub in dependant.dependencies)


class LightRoute(APIRoute):
    """An APIRoute that solves a simple dependency tree itself (see the module docstring)."""

    # How many requests took each path (read by tests: the light path must stay in use).
    light_calls = 0

    def get_route_handler(self) -> Handler:
        full = super().get_route_handler()
        dependant = self.dependant
        # FastAPI 0.165 builds an included route's handler with its effective context
        # (the app's and routers' dependencies added) in a context variable.
        # Without that hook (another FastAPI), the light path is not taken at all: the
        # route's own dependant could lack the app's and routers' dependencies. The tests
        # that count `light_calls` then fail, loudly, rather than a check being skipped.
        context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
        if context_var is None:
            return full
        context = context_var.get()
        if context is not None and getattr(context, "original_route", None) is self:
            dependant = context.dependant
        if dependant is None or not _simple(dependant, endpoint=True):
            return full

        async def handler(request: Request) -> Response:
            if request.app.dependency_overrides:
                return await full(request)
            values, errors = request_params_to_args(dependant.query_params, request.query_params)
            if errors:
                return await full(request)  # FastAPI writes the 422
            async with contextlib.AsyncExitStack() as stack:
                cache: dict[Callable[..., Any], Any] = {}
                for sub in dependant.dependencies:
                    value = await _solve(sub, request, stack, cache)
                    if sub.name is not None:
                        values[sub.name] = value
                _give_request(dependant, values, request)
                type(self).light_calls += 1
                assert dependant.call is not None
                response = await dependant.call(**values)
                if not isinstance(response, Response):
                    raise TypeError("a LightRoute endpoint returns a Response")
                return response

        return handler


async def _solve(
    dependant: Dependant,
    request: Request,
    stack: contextlib.AsyncExitStack,
    cache: dict[Callable[..., Any], Any],
) -> Any:
    call = dependant.call
    assert call is not None
    if call in cache:
        return cache[call]
    kwargs: dict[str, Any] = {}
    for sub in dependant.dependencies:
        value = await _solve(sub, request, stack, cache)
        if sub.name is not None:
            kwargs[sub.name] = value
    _give_request(dependant, kwargs, request)
    if inspect.isasyncgenfunction(call):
        value = await stack.enter_async_context(contextlib.asynccontextmanager(call)(**kwargs))
    else:
        value = await call(**kwargs)
    cache[call] = value
    return value


def _give_request(dependant: Dependant, values: dict[str, Any], request: Request) -> None:
    """The request, to the parameters that ask for it (as a Request or an HTTPConnection)."""
    if dependant.request_param_name:
        values[dependant.request_param_name] = request
    if dependant.http_connection_param_name:
        values[dependant.http_connection_param_name] = request
