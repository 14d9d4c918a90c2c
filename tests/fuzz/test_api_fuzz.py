"""Property-based fuzzing of the JSON API from its own OpenAPI document (schemathesis).

Every operation of /openapi.json is called in-process on the demo data, as a visitor,
with a verified member's bearer token, and (fewer examples) with a bad token (revoked,
unknown, malformed or empty), with valid and invalid inputs: no answer may be a server
error, break its documented schema or status codes, and invalid input must be refused
with a 4xx. One test item per operation and
identity, so pytest-xdist shares them between workers; the demo database is rolled
back after each. `FORUM_FUZZ_EXAMPLES` sets the examples per item (`make fuzz` raises
it); the run is derandomized, so a failure reproduces with the same command.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token, revoke_api_token
from forum.accounts.models import User
from forum.app import create_app
from forum.core.config import Settings
from forum.discussions.models import Post, Thread
from forum.events.models import Event
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector
from tests.conftest import TEST_SECRET, Backend, People

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FORUM_FUZZ_EXAMPLES", "100"))
# CI-sized runs (make test) fuzz on SQLite only, which keeps them near 2.5 minutes on two
# cores; longer runs (make fuzz) repeat everything on PostgreSQL when it is configured.
ON_POSTGRESQL = EXAMPLES > 100
BASE_URL = "http://testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@cache
def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, built without a database (routes are all it needs)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            Settings(data_dir=Path(tmp), secret_key=TEST_SECRET, embedded_worker=False),
            engine=create_engine("sqlite://"),
            check_migrations=False,
        )
        return app.openapi()


SCHEMA = schemathesis.openapi.from_dict(openapi_document())
OPERATIONS = [
    (path, method.upper())
    for path, methods in openapi_document()["paths"].items()
    for method in methods
]


def real_ids(db: Session) -> dict[str, list[Any]]:
    """Path parameter name -> values that exist in the demo data, so the fuzzer reaches
    past the 404s; a few of each kind are enough."""

    def first(column: Any) -> list[Any]:
        return list(db.scalars(select(column).order_by(column).limit(20)))

    return {
        "thread_id": first(Thread.id),
        "post_id": first(Post.id),
        "event_id": first(Event.id),
        "item_id": first(IntelItem.id),
        "attachment_id": first(IntelAttachment.id),
        "partnership_id": first(Partnership.id),
        "slug": first(Sector.slug),
        "code": ["JP", "CN", "US", "BR", "IN", "ZA", "jp", "XX"],
    }


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="fuzz")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


def bad_bearers(db: Session, user: User) -> list[dict[str, str]]:
    """Authorization headers no operation may accept as the member's: a revoked token,
    an expired sign-in token, an unknown one of the right shape, garbage and an empty
    bearer."""
    raw, token = create_api_token(db, user, name="fuzz, revoked")
    revoke_api_token(db, user, token.id)
    expired, login = create_api_token(db, user, name="fuzz, expired", kind="login")
    login.expires_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    db.flush()
    unknown = raw[:-6] + ("aaaaaa" if not raw.endswith("aaaaaa") else "bbbbbb")
    return [
        {"Authorization": f"Bearer {raw}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {unknown}"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer "},
    ]


@pytest.mark.parametrize("identity", ["visitor", "member", "bad-token"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_api_operation_survives_fuzzing(
    path: str,
    method: str,
    identity: str,
    app: FastAPI,
    demo_db: Session,
    people: People,
    backend: Backend,
) -> None:
    if backend.name == "postgresql" and not ON_POSTGRESQL:
        pytest.skip("fuzzed on SQLite in make test; make fuzz covers PostgreSQL")
    session = ASGIClient(app, base_url=BASE_URL)  # no lifespan: no background threads
    served = session.get("/openapi.json")
    assert served.json() == openapi_document(), "the served document is the one fuzzed"

    headers: dict[str, str] = {}
    bad: list[dict[str, str]] = []
    if identity == "member":
        headers = bearer(demo_db, people.make(name="Fuzz Member"))
    elif identity == "bad-token":
        bad = bad_bearers(demo_db, people.make(name="Fuzz Revoked"))
    ids = real_ids(demo_db)
    operation = SCHEMA[path][method]
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=cases, data=st.data())
    @settings(
        # A bad token is refused before the input matters: a tenth of the examples.
        max_examples=EXAMPLES if not bad else max(10, EXAMPLES // 10),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case: schemathesis.Case, data: st.DataObject) -> None:
        positive = case.meta is None or case.meta.generation.mode.is_positive
        if positive and case.path_parameters:
            # Half the valid cases name things that exist.
            for name in list(case.path_parameters):
                if ids.get(name) and data.draw(st.booleans(), label=f"real {name}"):
                    case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
        sent = data.draw(st.sampled_from(bad), label="bad token") if bad else headers
        response = case.call_and_validate(
            base_url=BASE_URL, session=session, headers=sent, checks=CHECKS
        )
        if bad and operation.definition.raw.get("security"):
            assert response.status_code in (400, 401, 422), (
                f"{method} {path} accepted {sent}: {response.status_code}"
            )

    call()
