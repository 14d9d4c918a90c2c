"""A digest as an email (plain text and HTML with inlined CSS) and as a web page fragment.

Everything a member wrote reaches the HTML escaped, by Jinja's autoescaping or by the
inlined template's filters (escaping as css-inline's serializer does): titles and
excerpts are plain text, never markup. The HTML part's stylesheet is inlined by
css-inline, since many mail clients drop <style> blocks: once into the template
(`inlined.py`), not into every message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import random
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from forum.accounts.models import User
from forum.core import formats, i18n, jinja_i18n
from forum.core.config import Settings
from forum.core.i18n import _, ngettext
from forum.core.mail import PreparedMessage
from forum.core.web import TEMPLATES_DIR
from forum.digests import clicks, inlined, tokens
from forum.digests.digest import SITE_NAME, Digest

# Seeded from the system's randomness; a boundary needs no secrecy, and asking the system
# for it per message cost more than the rest of the headers.
_BOUNDARIES = random.Random()  # noqa: S311


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # read once per process, not checked for every digest
    )
    jinja_i18n.install_jinja(env)
    return env


def _html(context: dict[str, Any]) -> str:
    """The HTML part: the template whose stylesheet was inlined once (`inlined.py`), or,
    for the rare digest it cannot write as css-inline would, rendered then inlined."""
    env = _env()
    try:
        return inlined.template(env).render(context)
    except inlined.NotPlain:
        return inlined.inliner().inline(env.get_template(inlined.TEMPLATE).render(context))


def _context(settings: Settings, user: User, digest: Digest) -> dict[str, Any]:
    """What the digest's templates read, written in the current language (the callers
    write inside `i18n.using(member's language)`)."""
    base = settings.base_url.rstrip("/")
    secret = settings.secret_key or ""
    daily = user.digest_frequency == "daily"
    day = formats.format_date(digest.period, "long")
    return {
        "site_name": SITE_NAME,
        "base_url": base,
        "user": user,
        "digest": digest,
        "heading": _("Your %(site)s digest", site=SITE_NAME)
        if not digest.highlights
        else _("This week's highlights"),
        "period_label": day if daily else _("Week to %(day)s", day=day),
        # Said in both parts: translated once per digest, not once per part.
        "more_labels": {
            section.key: ngettext(
                "and %(num)s more",
                "and %(num)s more",
                section.more,
                num=formats.format_number(section.more),
            )
            for section in digest.sections
            if section.more
        },
        "receive_label": _(
            "You receive this daily digest as a member of %(site_name)s.", site_name=SITE_NAME
        )
        if daily
        else _("You receive this weekly digest as a member of %(site_name)s.", site_name=SITE_NAME),
        "view_url": f"{base}/digests/{tokens.browser_token(secret, user.id, digest.period)}",
        "unsubscribe_url": f"{base}/unsubscribe/{tokens.unsubscribe_token(secret, user.id)}",
        "settings_url": f"{base}/settings/digest",
    }


def digest_text(settings: Settings, user: User, digest: Digest) -> str:
    """The plain-text body: the whole digest, readable without HTML."""
    with i18n.using(user.language, user.timezone):
        return _env().get_template("email/digest/body.txt").render(_context(settings, user, digest))


def digest_html(settings: Settings, user: User, digest: Digest) -> str:
    """The HTML body with its stylesheet inlined into style attributes (no <style> left)."""
    with i18n.using(user.language, user.timezone):
        return _html(_context(settings, user, digest))


def render_digest_page(settings: Settings, user: User, digest: Digest) -> str:
    """The "view in browser" fragment, styled by the site's stylesheet (no inline CSS), in
    the member's language like the email."""
    with i18n.using(user.language, user.timezone):
        return _env().get_template("digests/view.html").render(_context(settings, user, digest))


def prepare_digest_email(
    settings: Settings, user: User, digest: Digest, *, message_id: str
) -> PreparedMessage:
    """The digest encoded for the wire: multipart/alternative, text then HTML, each
    quoted-printable UTF-8, CRLF line ends.

    Built directly rather than through the email package, whose header objects and
    generator cost several times more than the rest of a digest (profiled on the digest
    benchmark); `render_digest_email` parses these same bytes, so the tests read exactly
    what is sent. `message_id` is the caller's, derived from (member, period), so a
    message sent again after a crash carries the same Message-ID. It is written in the
    member's language and time zone.
    """
    env = _env()
    digest = clicks.with_counted_links(settings, digest, sent_on=dt.datetime.now(dt.UTC).date())
    with i18n.using(user.language, user.timezone):
        context = _context(settings, user, digest)
        subject = " ".join(env.get_template("email/digest/subject.txt").render(context).split())
        text = env.get_template("email/digest/body.txt").render(context)
        html = _html(context)
    host = urlsplit(context["base_url"]).hostname or "localhost"
    unsubscribe = f"<{context['unsubscribe_url']}>"
    if settings.unsubscribe_mailto:
        unsubscribe += f", <mailto:{settings.unsubscribe_mailto}?subject=unsubscribe>"
    sender_name, sender_address = parseaddr(settings.mail_from)
    # Unique enough, and never in a part: quoted-printable writes "=" as "=3D".
    boundary = f"=_digest_{_BOUNDARIES.getrandbits(96):024x}"
    # Headers up to RFC 5322's 998 characters stay on one line: List-Unsubscribe's long
    # signed URL is not folded (some clients read a folded one wrongly).
    headers = [
        _header("From", formataddr((sender_name, sender_address), charset="utf-8")),
        _header("To", user.email),
        _header("Subject", subject),
        _header("Date", format_datetime(dt.datetime.now(dt.UTC))),
        _header("Message-ID", message_id),
        _header("List-Id", f"{SITE_NAME} digest <digest.{host}>"),
        _header("List-Unsubscribe", unsubscribe),
        _header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        _header("Auto-Submitted", "auto-generated"),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    data = b"".join(
        [
            "\r\n".join(headers).encode("ascii"),
            b"\r\n\r\n",
            _part(boundary, "plain", text),
            _part(boundary, "html", html),
            f"--{boundary}--\r\n".encode("ascii"),
        ]
    )
    return PreparedMessage(
        sender=sender_address,
        recipients=(user.email,),
        data=data,
        message_id=message_id,
        subject=subject,
    )


_PRINTABLE = re.compile(r"[\x20-\x7e]*")


def _header(name: str, value: str) -> str:
    """One header line; values beyond printable ASCII as RFC 2047 encoded words."""
    if _PRINTABLE.fullmatch(value):
        return f"{name}: {value}"
    # Base64 encoded words of at most 75 characters (RFC 2047), cut between characters.
    # email.header.Header does the same in quadratic time: a third of a digest's cost.
    words, chunk = [], ""
    for char in value:
        if len((chunk + char).encode("utf-8")) > 45:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    encoded = "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(word.encode('utf-8')).decode('ascii')}?=" for word in words
    )
    return f"{name}: {encoded}"


def _part(boundary: str, subtype: str, body: str) -> bytes:
    return b"".join(
        [
            f"--{boundary}\r\n".encode("ascii"),
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'.encode("ascii"),
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
            quoted_printable(body),
            b"\r\n",
        ]
    )


# Each line's quoted-printable form, kept: a digest's lines repeat from digest to digest
# (the template's, the entries shared between members), and b2a_qp cost more than a
# tenth of building a digest. Emptied when full (the lines that carry a member's own
# links never come back).
_QP_LINES: dict[str, bytes] = {}
QP_LINES_KEPT = 20_000


def quoted_printable(body: str) -> bytes:
    """`body` with CRLF line ends (one added at the end when missing), quoted-printable
    UTF-8: the bytes of `binascii.b2a_qp(<that>, istext=True)`.

    Encoded line by line: b2a_qp starts each line afresh (its length, its trailing
    space, a leading dot) after a line end, and chooses CRLF for its soft breaks from
    the first line end, which is CRLF in every line as in the whole; so the lines'
    encodings, joined, are the whole's (`tests/digests/test_render.py` checks it).
    """
    lines = body.replace("\r\n", "\n").split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()  # the body ended with a line end: no empty line after it
    known = _QP_LINES
    if len(known) > QP_LINES_KEPT:
        known.clear()
    out = []
    for line in lines:
        encoded = known.get(line)
        if encoded is None:
            encoded = known[line] = binascii.b2a_qp((line + "\r\n").encode("utf-8"), istext=True)
        out.append(encoded)
    return b"".join(out)


def render_digest_email(
    settings: Settings, user: User, digest: Digest, *, message_id: str
) -> EmailMessage:
    """The digest as an EmailMessage: the very bytes `prepare_digest_email` sends, parsed."""
    prepared = prepare_digest_email(settings, user, digest, message_id=message_id)
    # Long headers stay on one line when this message is written out again.
    parsed = BytesParser(policy=policy.SMTP.clone(max_line_length=998)).parsebytes(prepared.data)
    assert isinstance(parsed, EmailMessage)
    return parsed
