"""What a received message is before anything is posted: an automatic answer, a
delivery report, our own mail come back, and what our MTA says of its sender."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import authres
from flufl.bounce import all_failures

OUT_OF_OFFICE_SUBJECTS = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|"
    r"abwesenheit|absence|abwesend|r[ée]ponse automatique|risposta automatica|"
    r"respuesta autom[áa]tica|fuera de la oficina|fuori sede|fuori ufficio|"
    r"odpowied[źz] automatyczna|automatyczna odpowied[źz]|nieobecno[śs][ćc]|"
    r"I am out|I'm out|vacation)",
    re.I,
)
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


def is_automatic(message: EmailMessage) -> bool:
    """An auto-reply (RFC 3834 and the older habits): nothing posts it, nothing answers it."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and not auto.startswith("no"):
        return True
    if any(message.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")):
        return True
    if str(message.get("Precedence", "")).strip().lower() in BULK_PRECEDENCE:
        return True
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return True
    return bool(OUT_OF_OFFICE_SUBJECTS.match(str(message.get("Subject", ""))))


def is_bounce(message: EmailMessage) -> bool:
    if message.get_content_type() == "multipart/report":
        return True
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    local = sender.split("@", 1)[0]
    return local in {"mailer-daemon", "postmaster"} or message.get("Return-Path") == "<>"


def bounced_addresses(message: EmailMessage) -> set[str]:
    """The addresses a delivery report says failed for good (flufl.bounce's detectors)."""
    _temporary, permanent = all_failures(message)  # flufl.bounce answers (temporary, permanent)
    return {a.decode("utf-8", "replace").lower() for a in permanent}


def sender_address(message: EmailMessage) -> str:
    return parseaddr(str(message.get("From", "")))[1].strip().lower()


def recipients(message: EmailMessage) -> list[str]:
    """Addresses the message was sent to, from the headers MTAs write and the visible ones."""
    values = [
        str(v)
        for h in ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
        for v in message.get_all(h, [])
    ]
    return [addr.strip().lower() for _, addr in getaddresses(values) if addr]


def authentication(message: EmailMessage, authserv_id: str | None) -> str:
    """What our own MTA says of the sender: "pass" (DMARC passed, or DKIM passed for the
    From domain), "fail" (DMARC failed) or "none". Only the topmost
    Authentication-Results header counts, and only when its authserv-id is ours: a
    sender can write any such header below it."""
    headers = message.get_all("Authentication-Results", [])
    if not authserv_id or not headers:
        return "none"
    try:
        top = authres.AuthenticationResultsHeader.parse(
            "Authentication-Results: " + " ".join(str(headers[0]).split())
        )
    except Exception:
        return "none"
    if str(top.authserv_id).lower() != authserv_id.lower():
        return "none"
    from_domain = sender_address(message).rpartition("@")[2]
    verdict = "none"
    for result in top.results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        if method == "dmarc" and outcome == "fail":
            return "fail"
        if method == "dmarc" and outcome == "pass":
            verdict = "pass"
        domain = str(getattr(result, "header_d", "") or "").lower()
        if method == "dkim" and outcome == "pass" and domain and domain == from_domain:
            verdict = "pass"
    return verdict
