"""`forum mail serve`: an LMTP (or SMTP) receiver for an MTA to relay the inbound domain's
mail to, on aiosmtpd. LMTP answers once per recipient after DATA (RFC 2033); SMTP takes
one recipient per transaction (452 to the next: the MTA sends it in another)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.inbound.service import MTA_REFUSALS, deliver

log = logging.getLogger("forum.inbound")


class InboundHandler:
    def __init__(self, factory: sessionmaker[Session], settings: Settings, *, lmtp: bool) -> None:
        self.factory, self.settings, self.lmtp = factory, settings, lmtp

    async def handle_RCPT(
        self, server: SMTP, session: SMTPSession, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:  # fmt: skip
        if not self.lmtp and envelope.rcpt_tos:
            return "452 4.5.3 One recipient per message, please"
        domain = (self.settings.inbound_domain or "").lower()
        if not domain or address.rpartition("@")[2].lower() != domain:
            return "550 5.1.1 Not a domain of this forum"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:
        raw = bytes(envelope.original_content or b"")
        answers = []
        for recipient in envelope.rcpt_tos:
            answers.append(await asyncio.to_thread(self._one, raw, recipient))
        return "\r\n".join(answers) if self.lmtp else answers[0]

    def _one(self, raw: bytes, recipient: str) -> str:
        via = "lmtp" if self.lmtp else "smtp"
        try:
            outcome = deliver(self.factory, self.settings, raw, via=via, recipients=[recipient])
        except Exception:
            log.exception("inbound message for %s: temporary failure", recipient)
            return "451 4.3.0 Temporary failure, try again later"
        if outcome.status == "refused" and outcome.reason in MTA_REFUSALS:
            return MTA_REFUSALS[outcome.reason][1]
        return "250 2.0.0 OK"


class InboundController(Controller):
    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, *, host: str, port: int,
        lmtp: bool = True,
    ) -> None:  # fmt: skip
        self.lmtp = lmtp
        handler = InboundHandler(factory, settings, lmtp=lmtp)
        super().__init__(
            handler, hostname=host, port=port, data_size_limit=settings.inbound_max_bytes,
            ready_timeout=10,
        )  # fmt: skip

    def factory(self) -> Any:
        return (LMTP if self.lmtp else SMTP)(self.handler, **self.SMTP_kwargs)
