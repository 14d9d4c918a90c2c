"""The mail transport: SMTP when FORUM_SMTP_URL is set, else .eml files in the outbox folder.

Messages are rendered from `templates/email/<name>/{subject.txt, body.txt, body.html}`
and queued as a `send-email` job inside the caller's transaction, so a rolled-back
request sends nothing and an SMTP outage delays mail but never fails a request. The job
records its Message-ID as `sending` before SMTP and `sent` after, so a crash repeats at
most the message in flight, with the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import smtplib
import ssl
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from forum.core import i18n, jinja_i18n
from forum.core.config import Settings
from forum.core.jobs import Job, JobContext, enqueue, registry
from forum.core.text import clean_line
from forum.core.web import TEMPLATES_DIR

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20


@dataclass(frozen=True)
class PreparedMessage:
    """A message already encoded for the wire, with its envelope: what a bulk sender
    builds once and hands over without the email package flattening it again."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    message_id: str
    subject: str = ""


Sendable = EmailMessage | PreparedMessage


class MailConnection(Protocol):
    def send(self, message: Sendable) -> None:
        """Hand one message over; raises what the server answered when it refused it."""
        ...


class MailTransport(Protocol):
    def send(self, messages: Sequence[EmailMessage]) -> None: ...

    def connect(self) -> AbstractContextManager[MailConnection]:
        """One connection for a batch, sending message by message (the digest sender)."""
        ...


class _OutboxConnection:
    def __init__(self, transport: OutboxTransport) -> None:
        self.transport = transport

    def send(self, message: Sendable) -> None:
        self.transport.write(message)


class OutboxTransport:
    """Writes each message as an .eml file a person can open: the zero-setup default."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, message: Sendable) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        final = self.folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        partial = final.with_suffix(".tmp")
        # Write then rename: a reader never sees half a message.
        partial.write_bytes(
            message.data if isinstance(message, PreparedMessage) else bytes(message)
        )
        os.replace(partial, final)
        return final

    def send(self, messages: Sequence[EmailMessage]) -> None:
        for message in messages:
            self.write(message)

    @contextmanager
    def connect(self) -> Iterator[MailConnection]:
        yield _OutboxConnection(self)


class SMTPConnection:
    """A connection reused message after message; it reconnects by itself, on the next
    message, after the server dropped it (a 421, a timeout, a reset)."""

    def __init__(self, transport: SMTPTransport) -> None:
        self.transport = transport
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: Sendable) -> None:
        if self._smtp is None:
            self._smtp = self.transport.open()
        try:
            if isinstance(message, PreparedMessage):
                refused = self._smtp.sendmail(
                    message.sender, list(message.recipients), message.data
                )
                if refused:  # only some recipients refused: the same as all, for one recipient
                    raise smtplib.SMTPRecipientsRefused(refused)
            else:
                self._smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing the connection
                self._drop()
            raise
        except (smtplib.SMTPServerDisconnected, OSError):
            self._drop()
            raise

    def _drop(self) -> None:
        if self._smtp is not None:
            with suppress(OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._drop()
        self._smtp = None


class SMTPTransport:
    """SMTP with STARTTLS required (except to a loopback host), or implicit TLS (smtps://).

    One connection per batch of messages.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"FORUM_SMTP_URL must start with smtp:// or smtps://, not {url!r}")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        elif not self.loopback:
            smtp.close()
            raise smtplib.SMTPException(
                f"{self.host} does not offer STARTTLS: refusing to send mail in clear text"
            )
        return smtp

    def open(self) -> smtplib.SMTP:
        """A connected (and, with credentials, logged-in) SMTP session."""
        smtp = self._connect()
        if self.username:
            try:
                smtp.login(self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
        return smtp

    @contextmanager
    def connect(self) -> Iterator[SMTPConnection]:
        connection = SMTPConnection(self)
        try:
            yield connection
        finally:
            connection.close()

    def send(self, messages: Sequence[EmailMessage]) -> None:
        if not messages:
            return
        with self.connect() as connection:
            for message in messages:
                connection.send(message)


def make_transport(settings: Settings) -> MailTransport:
    if settings.smtp_url:
        return SMTPTransport(settings.smtp_url)
    return OutboxTransport(settings.outbox_dir)


_env: Environment | None = None


def _email_env() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=FileSystemLoader(str(TEMPLATES_DIR / "email")),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # read once per process, not checked for every message
        )
        jinja_i18n.install_jinja(_env)
    return _env


def render_email(
    settings: Settings,
    name: str,
    *,
    to: str,
    context: dict[str, Any],
    reply_to: str | None = None,
    language: str | None = None,
    timezone: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Render `templates/email/<name>/` for one recipient (text, plus HTML when present),
    in the recipient's `language` and `timezone` (a member's profile; English and the
    site's zone for an address that is no member's), whoever caused the email.

    `reply_to`, when given, is where replies go instead of the From address: a
    message relayed from one member to another, written by a person, so it is not
    marked `Auto-Submitted` (out-of-office answers may reach its writer).
    `headers` are set last and win (`Auto-Submitted`, `In-Reply-To`, `References`, ...).
    """
    with i18n.using(language or i18n.DEFAULT_LANGUAGE, timezone or i18n.DEFAULT_TIMEZONE):
        message = _render_email(settings, name, to=to, context=context, reply_to=reply_to)
    for header, value in (headers or {}).items():
        del message[header]
        message[header] = clean_line(value)
    return message


def _render_email(
    settings: Settings, name: str, *, to: str, context: dict[str, Any], reply_to: str | None
) -> EmailMessage:
    env = _email_env()
    full = {"base_url": settings.base_url, "site_name": "Cluster Forum", **context}
    subject = env.get_template(f"{name}/subject.txt").render(full).strip()
    message = EmailMessage()
    message["Subject"] = clean_line(subject)
    message["From"] = settings.mail_from
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    domain = urlsplit(settings.base_url).hostname or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    if not reply_to:
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(env.get_template(f"{name}/body.txt").render(full))
    if (TEMPLATES_DIR / "email" / name / "body.html").exists():
        message.add_alternative(env.get_template(f"{name}/body.html").render(full), subtype="html")
    return message


def queue_email(
    session: Session,
    settings: Settings,
    name: str,
    *,
    to: str,
    context: dict[str, Any],
    reply_to: str | None = None,
    language: str | None = None,
    timezone: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Render now, in the recipient's language, and send after the caller's transaction
    commits (via the worker)."""
    message = render_email(
        settings, name, to=to, context=context, reply_to=reply_to,
        language=language, timezone=timezone, headers=headers,
    )  # fmt: skip
    # A header of one long word (List-Unsubscribe's signed URL) stays on one line: folded
    # at 78 characters Python would encode it (RFC 2047), which no client reads as a URL.
    written = LONG_LINES if headers else policy.SMTP
    enqueue(
        session,
        "send-email",
        # The Message-ID is the job's idempotency key (see send_email_job).
        {"message": message.as_string(policy=written), "message_id": str(message["Message-ID"])},
    )


# Lines up to RFC 5322's limit of 998 characters are kept as they are, not refolded.
LONG_LINES = policy.SMTP.clone(max_line_length=998)
_READ = policy.default.clone(max_line_length=998)


def parse_message(text: str) -> EmailMessage:
    parsed = Parser(policy=_READ).parsestr(text)
    assert isinstance(parsed, EmailMessage)
    return parsed


@registry.job("send-email")
def send_email_job(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    """Send one queued message; after a crash, at most the message in flight goes again.

    The message's Message-ID (set when it was queued) is its idempotency key. Before the
    SMTP transaction the job's own row records `sending` with it and commits; right after
    the server's 250 it records `sent` and commits. Run again (its runner died, or a later
    step failed), a `sent` job sends nothing; a `sending` one was in flight when its runner
    died: it goes again with the same Message-ID, counted in the row's `resends`.
    """
    message = parse_message(payload["message"])
    message_id = str(message["Message-ID"] or "")
    job = session.get(Job, ctx.job_id) if ctx.job_id is not None else None
    if job is not None:
        state = job.payload.get("state")
        if state == "sent":
            ctx.log.info("job %s: %s was already sent", job.id, message_id)
            return
        if state == "sending":
            ctx.log.warning(
                "job %s: resending %s to %s after a crash (same Message-ID)",
                job.id,
                message_id,
                message["To"],
            )
        resends = int(job.payload.get("resends", 0)) + (state == "sending")
        _record(session, job, state="sending", message_id=message_id, resends=resends)
    try:
        make_transport(ctx.settings).send([message])
    except Exception:
        if job is not None:
            # Refused or unreachable: nothing is in flight; the retry is no resend.
            session.rollback()
            _record(session, job, state="queued")
        raise
    if job is not None:
        _record(session, job, state="sent")
    ctx.log.info("sent %r to %s", message["Subject"], message["To"])


def _record(session: Session, job: Job, **values: Any) -> None:
    """Write `values` into the job's payload and commit at once (a separate fact from the
    job's own outcome, which the runner commits after the handler)."""
    job.payload = {**job.payload, **values}
    session.commit()
