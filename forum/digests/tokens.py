"""Signed, opaque tokens for links in digests: unsubscribe, view in browser, follow/mute.

Links in mail must work without a session (a phone's mail app, a colleague's forward),
so they carry who and what, signed under the instance's secret key with a salt of their
own. A forged or altered token reads as None and changes nothing. Tokens do not expire:
an unsubscribe link in a year-old digest must still work (RFC 8058 asks for it).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import zlib
from collections.abc import Sequence
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

UNSUBSCRIBE = "forum.digest.unsubscribe"
BROWSER = "forum.digest.browser"
INTEREST = "forum.digest.interest"
EMAILS_OFF = "forum.notification.unsubscribe"
INTERESTS = "forum.digest.interests"


@functools.lru_cache(maxsize=32)
def _serializer(secret_key: str, salt: str) -> URLSafeSerializer:
    # Kept: a digest signs a dozen tokens, and a new serializer derives its key again.
    return URLSafeSerializer(secret_key, salt=salt)


@functools.lru_cache(maxsize=32)
def _signing_key(secret_key: str, salt: str) -> bytes:
    # itsdangerous's defaults: the "django-concat" derivation, SHA-1.
    # The key of a MAC (as itsdangerous derives it), not a password hash.
    derivation = salt.encode() + b"signer" + secret_key.encode()
    return hashlib.sha1(derivation).digest()  # noqa: S324


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _dumps(secret_key: str, salt: str, payload: Any) -> str:
    """`_serializer(secret_key, salt).dumps(payload)`, the same characters, in half the
    time (a digest signs a dozen tokens): compact JSON, compressed when that is shorter,
    URL-safe base64, then its HMAC-SHA1 under the derived key (tests/digests/test_tokens.py
    compares them). Reading stays itsdangerous's."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    # zlib.compress's bytes (the same level, window and memory), through a compressor
    # object: about a third less CPU for a payload of a few dozen bytes, most of a token's
    # cost being zlib setting up its 256 KiB of state.
    compressor = zlib.compressobj()
    compressed = compressor.compress(data) + compressor.flush()
    body = b"." + _b64(compressed) if len(compressed) < len(data) - 1 else _b64(data)
    signature = _b64(hmac.digest(_signing_key(secret_key, salt), body, "sha1"))
    return (body + b"." + signature).decode("ascii")


def _read(secret_key: str, salt: str, token: str) -> Any:
    if not token or len(token) > 500:
        return None
    try:
        return _serializer(secret_key, salt).loads(token)
    except BadSignature:
        return None


def unsubscribe_token(secret_key: str, user_id: int) -> str:
    return _dumps(secret_key, UNSUBSCRIBE, {"u": user_id})


def read_unsubscribe_token(secret_key: str, token: str) -> int | None:
    """The member an unsubscribe token names, or None when it is not ours."""
    data = _read(secret_key, UNSUBSCRIBE, token)
    if isinstance(data, dict) and isinstance(data.get("u"), int):
        return int(data["u"])
    return None


def browser_token(secret_key: str, user_id: int, period: dt.date) -> str:
    return _dumps(secret_key, BROWSER, {"u": user_id, "p": period.isoformat()})


def read_browser_token(secret_key: str, token: str) -> tuple[int, dt.date] | None:
    """(member, period) of a "view in browser" token, or None when it is not ours."""
    data = _read(secret_key, BROWSER, token)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    try:
        return int(data["u"]), dt.date.fromisoformat(str(data.get("p")))
    except ValueError:
        return None


def interest_token(
    secret_key: str, user_id: int, action: str, target_type: str, target: str
) -> str:
    """A digest's "follow" or "mute" link for one target (its page's button POSTs)."""
    payload = {"u": user_id, "a": action, "t": target_type, "v": target}
    return _dumps(secret_key, INTEREST, payload)


def interests_token(secret_key: str, user_id: int, choices: Sequence[tuple[str, str, str]]) -> str:
    """One link for a section's follow and mute links ((action, target type, target)
    each): its page lists them, each with its own button (the plain-text part shows this
    one address instead of several long ones)."""
    payload = {"u": user_id, "c": [list(choice) for choice in choices]}
    return _dumps(secret_key, INTERESTS, payload)


def read_interests_token(
    secret_key: str, token: str
) -> tuple[int, list[tuple[str, str, str]]] | None:
    """(member, [(action, target type, target), ...]), or None when it is not ours."""
    data = _read(secret_key, INTERESTS, token)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    choices = data.get("c")
    if not isinstance(choices, list):
        return None
    out = []
    for choice in choices:
        if not (isinstance(choice, list) and len(choice) == 3):
            return None
        if not all(isinstance(part, str) for part in choice):
            return None
        out.append((choice[0], choice[1], choice[2]))
    return int(data["u"]), out


def read_interest_token(secret_key: str, token: str) -> tuple[int, str, str, str] | None:
    """(member, "follow" | "mute", target type, target), or None when it is not ours."""
    data = _read(secret_key, INTEREST, token)
    if not isinstance(data, dict):
        return None
    user_id, action = data.get("u"), data.get("a")
    target_type, target = data.get("t"), data.get("v")
    if (
        not isinstance(user_id, int)
        or action not in ("follow", "mute")
        or not isinstance(target_type, str)
        or not isinstance(target, str)
    ):
        return None
    return user_id, action, target_type, target


def emails_off_token(secret_key: str, user_id: int, kind: str) -> str:
    """A notification email's one-click unsubscribe: turns that kind of email off."""
    return _dumps(secret_key, EMAILS_OFF, {"u": user_id, "k": kind})


def read_emails_off_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """(member, notification kind) of such a link, or None when it is not ours."""
    data = _read(secret_key, EMAILS_OFF, token)
    if not isinstance(data, dict):
        return None
    user_id, kind = data.get("u"), data.get("k")
    if not isinstance(user_id, int) or not isinstance(kind, str):
        return None
    return user_id, kind
