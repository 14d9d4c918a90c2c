"""Per-member reply addresses (`reply+TOKEN@<inbound domain>`) and category addresses.

A token names the member and the post answered, and the minute it was made, signed under
the instance's secret key (HMAC-SHA256, a salt of its own). It is lowercase hex only,
since mail systems may change the case of an address's local part. It expires after
TOKEN_LIFETIME; a member's tokens made before a moment can be revoked (the inbound side
keeps that moment). Outgoing mail asks for an address here; only the inbound side reads one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

SALT = b"forum.inbound.reply-address"
TOKEN_LIFETIME = dt.timedelta(days=180)
MAC_CHARS = 20
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
TOKEN_RE = re.compile(r"^([0-9a-f]{1,8})-([0-9a-f]{1,8})-([0-9a-f]{1,8})-([0-9a-f]{20})$")


@dataclass(frozen=True)
class ReplyToken:
    user_id: int
    post_id: int
    issued_at: dt.datetime


def _mac(secret_key: str, user_id: int, post_id: int, minute: int) -> str:
    message = f"{user_id}|{post_id}|{minute}".encode()
    digest = hmac.new(secret_key.encode() + SALT, message, hashlib.sha256).hexdigest()
    return digest[:MAC_CHARS]


def reply_token(secret_key: str, user_id: int, post_id: int, *, now: dt.datetime) -> str:
    minute = int((now - EPOCH).total_seconds() // 60)
    return f"{user_id:x}-{post_id:x}-{minute:x}-{_mac(secret_key, user_id, post_id, minute)}"


def read_reply_token(secret_key: str, token: str) -> ReplyToken | None:
    """The member and post a token names, or None when it is forged or altered. Whether
    it has expired is `is_expired`'s question: an expired token still names its member,
    who may be told why nothing was posted."""
    match = TOKEN_RE.match(token.lower())
    if match is None:
        return None
    user_id, post_id, minute = (int(match.group(i), 16) for i in (1, 2, 3))
    expected = _mac(secret_key, user_id, post_id, minute)
    if not hmac.compare_digest(expected, match.group(4)):
        return None
    return ReplyToken(user_id, post_id, EPOCH + dt.timedelta(minutes=minute))


def is_expired(token: ReplyToken, *, now: dt.datetime) -> bool:
    return token.issued_at > now + dt.timedelta(minutes=5) or (
        now - token.issued_at > TOKEN_LIFETIME
    )


def reply_address(
    secret_key: str | None, domain: str | None, user_id: int, post_id: int, *, now: dt.datetime
) -> str | None:
    """`reply+TOKEN@domain`, or None when the forum receives no mail (no inbound domain)."""
    if not domain or not secret_key:
        return None
    return f"reply+{reply_token(secret_key, user_id, post_id, now=now)}@{domain}"


def category_address(domain: str | None, slug: str) -> str | None:
    return f"category+{slug}@{domain}" if domain else None


def thread_headers(base_url: str, thread_id: int, *, automatic: bool) -> dict[str, str]:
    """Headers that make mail clients put every email about a thread in one conversation
    (`In-Reply-To` and `References` name the thread), and keep an email with a reply
    address marked `Auto-Submitted` so that out-of-office responders leave it alone."""
    host = urlsplit(base_url).hostname or "localhost"
    thread_ref = f"<thread-{thread_id}@{host}>"
    headers = {"In-Reply-To": thread_ref, "References": thread_ref}
    if automatic:
        headers["Auto-Submitted"] = "auto-generated"
    return headers
