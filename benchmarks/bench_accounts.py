"""Enumeration resistance in time: known and unknown addresses on login, register, reset.

Each pair is measured in the same run; the ratio of medians should stay near 1.
Also the cost of one argon2id hash, the floor of every sign-in.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

from rich.console import Console

from benchmarks.harness import Result, summary
from forum.accounts.passwords import hash_password
from forum.accounts.service import create_user
from forum.app import create_app
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction
from forum.core.security import CSRF_COOKIE, csrf_token_for
from forum.migrate import upgrade

N = 40
PASSWORD = "benchmark passphrase 1"


def run(console: Console) -> list[Result]:
    from fastapi.testclient import TestClient

    results: list[Result] = []
    start = time.perf_counter()
    for _ in range(20):
        hash_password(PASSWORD)
    argon_ms = (time.perf_counter() - start) / 20 * 1000
    results.append(Result("accounts", "argon2id hash (m=19 MiB, t=2, p=1)", argon_ms, "ms"))

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            secret_key="bench",
            embedded_worker=False,
            trusted_proxies=["127.0.0.0/8"],
        )
        settings.ensure_data_dir()
        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        factory = make_session_factory(engine)
        stored = hash_password(PASSWORD)
        with transaction(factory) as session:
            for i in range(3 * N):
                create_user(
                    session,
                    email=f"known{i}@example.eu",
                    name=f"K{i}",
                    password=None,
                    password_hash=stored,
                    verified=True,
                )
        app = create_app(settings, engine=engine)
        ips = (f"198.51.100.{i % 250}" for i in itertools.count())
        with TestClient(app, base_url="http://testserver", client=("127.0.0.1", 50000)) as client:
            client.get("/privacy")
            token = csrf_token_for("bench", client.cookies[CSRF_COOKIE])

            def timed(url: str, data: dict[str, str]) -> float:
                began = time.perf_counter()
                response = client.post(
                    url,
                    data={**data, "csrf_token": token},
                    headers={"X-Forwarded-For": next(ips)},
                    follow_redirects=False,
                )
                assert response.status_code in (200, 303, 400), (
                    url,
                    response.status_code,
                    response.text[-300:],
                )
                return (time.perf_counter() - began) * 1000

            pairs = {
                "login (wrong password vs unknown address)": (
                    lambda i: timed(
                        "/login", {"email": f"known{i}@example.eu", "password": "wrong one!"}
                    ),
                    lambda i: timed(
                        "/login", {"email": f"ghost{i}@example.eu", "password": "wrong one!"}
                    ),
                ),
                "register (taken vs new address)": (
                    lambda i: timed(
                        "/register",
                        {
                            "email": f"known{N + i}@example.eu",
                            "name": "X",
                            "password": PASSWORD,
                            "partnership": "",
                        },
                    ),
                    lambda i: timed(
                        "/register",
                        {
                            "email": f"new{i}@example.eu",
                            "name": "X",
                            "password": PASSWORD,
                            "partnership": "",
                        },
                    ),
                ),
                "reset (known vs unknown address)": (
                    lambda i: timed("/password/forgot", {"email": f"known{2 * N + i}@example.eu"}),
                    lambda i: timed("/password/forgot", {"email": f"ghost{i}@example.eu"}),
                ),
            }
            for label, (known, unknown) in pairs.items():
                known_ms, unknown_ms = [], []
                for i in range(N):
                    known_ms.append(known(i))
                    unknown_ms.append(unknown(i))
                k, u = summary(known_ms), summary(unknown_ms)
                ratio = u["p50"] / k["p50"]
                console.print(
                    f"{label}: known p50 {k['p50']:.1f} ms, unknown p50 {u['p50']:.1f} ms"
                )
                results.append(
                    Result(
                        "accounts",
                        f"{label}: unknown/known p50",
                        ratio,
                        "x",
                        goal="≈ 1 (0.8–1.25)",
                        note=f"known p50 {k['p50']:.1f} ms, unknown p50 {u['p50']:.1f} ms, n={N}",
                    )
                )
        engine.dispose()
    return results
