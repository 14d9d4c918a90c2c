"""GET /api/v1/search takes the light route (forum.core.light_route): the same answer, byte
for byte and header for header, as FastAPI's own dependency solving gives; FastAPI's
path for what the light one does not do (invalid parameters, dependency overrides)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.light_route import LightRoute
from tests.conftest import Client
from tests.discovery.test_api import bearer, indexed  # noqa: F401 - fixture

QUERIES: list[dict[str, Any]] = [
    {"q": "Marocco"},
    {"q": "foodnet jappan", "page": 2},
    {"q": "country:JP sector:food", "sort": "newest"},
    {"q": "clu", "country": ["JP", "g:asean"], "kind": "intel"},
    {"q": "", "sector": "food", "from": "2019-01-01", "to": "2019-06-30"},
    {"q": "japan", "country": "Narnia"},  # a 422 from the service, on the light path
]


def _answers(client: Client, headers: dict[str, str] | None = None) -> list[tuple[Any, ...]]:
    out = []
    for params in QUERIES:
        response = client.get("/api/v1/search", params=params, headers=headers)
        kept = {k: v for k, v in response.headers.items() if k != "content-length"}
        out.append((response.status_code, response.content, sorted(kept.items())))
    return out


def _full_path(app: FastAPI) -> None:
    """Any dependency override sends a request down FastAPI's own path."""
    app.dependency_overrides[_full_path] = lambda: None


@pytest.mark.usefixtures("indexed")
def test_the_light_route_answers_as_fastapi_does(app: FastAPI, client: Client) -> None:
    before = LightRoute.light_calls
    light = _answers(client)
    assert LightRoute.light_calls == before + len(QUERIES)
    _full_path(app)
    try:
        full = _answers(client)
    finally:
        app.dependency_overrides.clear()
    assert LightRoute.light_calls == before + len(QUERIES)
    assert light == full
    assert [status for status, _, _ in light] == [200] * 5 + [422]


@pytest.mark.usefixtures("indexed")
def test_a_bearer_caller_takes_the_light_route_too(
    app: FastAPI, client: Client, db: Session, member: User
) -> None:
    headers = bearer(db, member)
    before = LightRoute.light_calls
    light = _answers(client, headers)
    assert LightRoute.light_calls == before + len(QUERIES)
    _full_path(app)
    try:
        assert _answers(client, headers) == light
    finally:
        app.dependency_overrides.clear()
    bad = client.get("/api/v1/search", params={"q": "x"}, headers={"Authorization": "Bearer no"})
    assert bad.status_code == 401


@pytest.mark.parametrize(
    "params",
    [{"page": "0"}, {"page": "x"}, {"country": ""}, {"q": "x" * 10_000}, {"from": "soon"}],
)
def test_invalid_parameters_get_fastapis_422(client: Client, params: dict[str, str]) -> None:
    before = LightRoute.light_calls
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"
    assert LightRoute.light_calls == before
