"""Random tokens for cookies, links and the API: only their SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> tuple[str, str]:
    """A fresh token (256 random bits) and the hash to store for it."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
