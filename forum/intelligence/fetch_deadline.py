"""One deadline for a whole fetch, and the errors a fetch ends with.

httpx's timeouts are per operation: a server sending a header line every second never
trips a 10 s read timeout. So every step of a fetch gets only the time left: each socket
operation (connect, TLS handshake, every read and write) goes through a network backend
that caps the operation's timeout at the time left (`DeadlineTransport`), and DNS
resolution is waited for until the deadline (`fetch_guard`). Past the deadline the
fetch raises `FetchTimedOut`.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

DEFAULT_DEADLINE = 10.0  # seconds for a whole fetch: FORUM_FETCH_DEADLINE


class FetchFailed(Exception):
    """The fetch was allowed but did not succeed (network, HTTP status, size, time)."""


class FetchTimedOut(FetchFailed):
    """The fetch's deadline passed (resolving, connecting, waiting or reading)."""


@dataclass(frozen=True)
class Deadline:
    """The moment (time.monotonic) by which a whole fetch must be done."""

    seconds: float
    at: float

    @classmethod
    def start(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    def left(self) -> float:
        return self.at - time.monotonic()

    def expired(self, doing: str) -> FetchTimedOut:
        return FetchTimedOut(f"timed out after {self.seconds:g} s (the fetch deadline) {doing}")

    def cap(self, timeout: float | None, timed_out: type[Exception]) -> float:
        """`timeout` cut to the time left; raises `timed_out` when none is left."""
        left = self.left()
        if left <= 0:
            raise timed_out("the fetch deadline has passed")
        return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A socket whose every operation waits at most until the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, timeout), self._deadline
        )

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, its connections bounded by the fetch's deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport, on sockets bounded by the fetch's deadline."""

    def __init__(self, deadline: Deadline, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx offers no way to give its pool a network backend: replace the pool it
        # built by the same one (httpx's defaults) with ours. The deadline tests fail
        # if a new httpx stops using `_pool`.
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=DeadlineBackend(deadline),
        )
