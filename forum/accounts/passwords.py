"""Passwords: argon2id hashing and the policy new passwords must meet (OWASP ASVS 5.0 6.2)."""

from __future__ import annotations

import contextlib
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from forum.core.i18n import _

MIN_LENGTH = 8
MAX_LENGTH = 128

# OWASP's argon2id configuration: 19 MiB, 2 iterations, 1 lane (~20 ms here).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; False for a mismatch or a missing or foreign hash."""
    if not password_hash:
        dummy_verify(password)
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return HASHER.hash("not a real password: spends the time a real check would")


def dummy_verify(password: str) -> None:
    """Spend as long as a real check, so unknown accounts answer as fast as known ones."""
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        HASHER.verify(_dummy_hash(), password)


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("forum.accounts").joinpath("data/common-passwords.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """What is wrong with `password` as a new password, or None when it is acceptable.

    Length 8 to 128, checked exactly as typed (no trimming, no truncation), not one of
    the most common passwords, not the member's own email address or name.
    """
    if len(password) < MIN_LENGTH:
        return _("Use at least %(min)s characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(max)s characters.", max=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords():
        return _("This password is among the most commonly used ones: choose another.")
    if lowered in {email.lower(), email.lower().split("@")[0], name.lower()} - {""}:
        return _("Do not use your email address or name as your password.")
    return None
