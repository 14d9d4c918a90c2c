"""Why inbound mail was refused, in words: the inbound mail page and the analytics say it."""

from __future__ import annotations

from forum.core.i18n import _l

# Why a message was refused, as the admin page says it.
REASONS = {
    "auto-reply": _l("Automatic answer (out of office, auto-submitted, bulk)"),
    "bounce": _l("Delivery report: the address was marked bouncing"),
    "loop": _l("Our own mail came back"),
    "unknown-address": _l("Not a reply or category address"),
    "bad-token": _l("Forged or altered reply address"),
    "expired-token": _l("Expired reply address"),
    "revoked-token": _l("Revoked reply address"),
    "wrong-sender": _l("Not sent from the member's address"),
    "unknown-sender": _l("The sender is not a verified member"),
    "dmarc-fail": _l("DMARC failed at our mail server"),
    "too-large": _l("Too large"),
    "empty": _l("No new text"),
    "gone": _l("Post, thread or category gone, hidden or not open to the member"),
    "not-allowed": _l("Not allowed (locked thread, suspended account, …)"),
    "invalid": _l("Refused by the posting rules (length, links, rate)"),
}
