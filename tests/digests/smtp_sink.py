"""A real SMTP server on loopback for the digest tests and benchmark (aiosmtpd).

It keeps every message it accepted, can refuse chosen recipients with a given answer,
and counts SMTP sessions (one connection per batch is a promise of the sender).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port nobody listens on now: aiosmtpd cannot be given port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SMTPSink:
    def __init__(self) -> None:
        self.received: list[bytes] = []
        # recipient address -> the answer to its RCPT TO (e.g. "550 5.1.1 No such user")
        self.refuse: dict[str, str] = {}
        # Called with the count so far before a message is accepted (e.g. to kill the client).
        self.before_accept: Callable[[int], None] | None = None
        self.sessions = 0
        self._lock = threading.Lock()
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self._lock:
            self.sessions += 1
        session.host_name = hostname  # the hook's duty, or MAIL answers "send HELO first"
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        answer = self.refuse.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.received.append(bytes(envelope.content))
            count = len(self.received)
        if self.before_accept is not None:
            self.before_accept(count)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.received)
        parser = BytesParser(policy=policy.default)
        parsed = [parser.parsebytes(data) for data in raw]
        return [m for m in parsed if isinstance(m, EmailMessage)]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]

    def wait_for(self, count: int, *, timeout: float = 30.0) -> bool:
        """Whether `count` messages arrived within `timeout` seconds (polled, bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return True
            time.sleep(0.01)
        return False


@contextmanager
def running_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink()
    # A port can be taken between the probe and the bind: try a few.
    for attempt in range(5):
        sink.port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
        try:
            controller.start()
        except (OSError, RuntimeError):
            if attempt == 4:
                raise
            continue
        break
    try:
        yield sink
    finally:
        controller.stop()
