"""Admission: a web process serves as many requests at once as its connection pool can.

A request holds its database connection from its first query to its end, across the
thread hand-offs of its dependencies and handler. With more requests in flight than
connections, a burst of slow requests fills the pool and the next ones time out on it
(FORUM_DB_POOL_TIMEOUT) while holding a thread. Here the excess waits at the door, in
the event loop, holding neither a thread nor a connection; the thread pool is sized to
the same number (`Settings.request_slots`).
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from starlette.types import ASGIApp, Receive, Scope, Send

# One limiter per event loop (uvicorn runs one; each test client starts its own).
_LIMITER: RunVar[anyio.CapacityLimiter] = RunVar("forum_admission")


def loop_limiter(slots: int) -> anyio.CapacityLimiter:
    """This event loop's admission limiter; the first call also sizes its thread pool."""
    try:
        return _LIMITER.get()
    except LookupError:
        anyio.to_thread.current_default_thread_limiter().total_tokens = slots
        limiter = anyio.CapacityLimiter(slots)
        _LIMITER.set(limiter)
        return limiter


class AdmissionMiddleware:
    """Lets at most `slots` HTTP requests in at once; static files go past."""

    def __init__(self, app: ASGIApp, *, slots: int) -> None:
        self.app = app
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        async with loop_limiter(self.slots):
            await self.app(scope, receive, send)
