"""A digest as an email (plain text and HTML with inlined CSS) and as a web page fragment.

Everything a member wrote reaches the HTML through Jinja's autoescaping: titles and
excerpts are plain text, never markup. The HTML part's stylesheet is inlined by
css-inline, since many mail clients drop <style> blocks.
"""

from __future__ import annotations

import datetime as dt
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import css_inline
from jinja2 import Environment, FileSystemLoader, select_autoescape

from forum.accounts.models import User
from forum.config import Settings
from forum.digests import tokens
from forum.digests.content import Digest
from forum.web import TEMPLATES_DIR

SITE_NAME = "Cluster Forum"


@cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _inliner() -> css_inline.CSSInliner:
    # Nothing is fetched: the stylesheet is the template's own <style> block.
    return css_inline.CSSInliner(load_remote_stylesheets=False)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _context(settings: Settings, user: User, digest: Digest) -> dict[str, Any]:
    base = settings.base_url.rstrip("/")
    secret = settings.secret_key or ""
    daily = user.digest_frequency == "daily"
    return {
        "site_name": SITE_NAME,
        "base_url": base,
        "user": user,
        "digest": digest,
        "heading": f"Your {SITE_NAME} digest"
        if not digest.highlights
        else "This week's highlights",
        "period_label": _day(digest.period) if daily else f"Week to {_day(digest.period)}",
        "frequency_label": "daily" if daily else "weekly",
        "view_url": f"{base}/digests/{tokens.browser_token(secret, user.id, digest.period)}",
        "unsubscribe_url": f"{base}/unsubscribe/{tokens.unsubscribe_token(secret, user.id)}",
        "settings_url": f"{base}/settings/digest",
    }


def digest_text(settings: Settings, user: User, digest: Digest) -> str:
    """The plain-text body: the whole digest, readable without HTML."""
    return _env().get_template("email/digest/body.txt").render(_context(settings, user, digest))


def digest_html(settings: Settings, user: User, digest: Digest) -> str:
    """The HTML body with its stylesheet inlined into style attributes (no <style> left)."""
    html = _env().get_template("email/digest/body.html").render(_context(settings, user, digest))
    return _inliner().inline(html)


def render_digest_page(settings: Settings, user: User, digest: Digest) -> str:
    """The "view in browser" fragment, styled by the site's stylesheet (no inline CSS)."""
    return _env().get_template("digests/view.html").render(_context(settings, user, digest))


def render_digest_email(
    settings: Settings, user: User, digest: Digest, *, message_id: str
) -> EmailMessage:
    """The digest as a multipart/alternative message (text first, then HTML).

    `message_id` is the caller's, derived from (member, period), so a message sent
    again after a crash carries the same Message-ID.
    """
    context = _context(settings, user, digest)
    host = urlsplit(context["base_url"]).hostname or "localhost"
    env = _env()
    subject = " ".join(env.get_template("email/digest/subject.txt").render(context).split())
    # Headers up to RFC 5322's 998 characters stay on one line: List-Unsubscribe's long
    # signed URL is not folded (some clients read a folded one wrongly).
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = user.email
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = message_id
    message["List-Id"] = f"{SITE_NAME} digest <digest.{host}>"
    unsubscribe = f"<{context['unsubscribe_url']}>"
    if settings.unsubscribe_mailto:
        unsubscribe += f", <mailto:{settings.unsubscribe_mailto}?subject=unsubscribe>"
    message["List-Unsubscribe"] = unsubscribe
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(env.get_template("email/digest/body.txt").render(context))
    html = env.get_template("email/digest/body.html").render(context)
    message.add_alternative(_inliner().inline(html), subtype="html")
    return message
