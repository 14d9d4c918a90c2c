"""What inbound mail adds to "download my data" and "delete my account": the messages
received from the member (what became of each), their reply-address revocation, and
threads sent by email that await confirmation. All go with the account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.privacy import Member, register_eraser, register_exporter
from forum.inbound.models import InboundMember, InboundMessage, PendingThread


def export_inbound(db: Session, user: Member) -> dict[str, Any]:
    messages = db.scalars(
        select(InboundMessage)
        .where(InboundMessage.user_id == user.id)
        .order_by(InboundMessage.received_at, InboundMessage.id)
    )
    state = db.get(InboundMember, user.id)
    pending = db.scalars(select(PendingThread).where(PendingThread.user_id == user.id))
    return {
        "messages": [
            {"id": m.id, "received_at": m.received_at, "via": m.via, "from": m.sender, "to": m.recipient,
             "subject": m.subject, "status": m.status, "reason": m.reason}
            for m in messages
        ],
        "reply_addresses": (
            {"user_id": state.user_id, "revoked_before": state.revoked_before} if state else None
        ),
        "threads_awaiting_confirmation": [
            {"id": p.id, "title": p.title, "body": p.body, "created_at": p.created_at,
             "opened_thread_id": p.thread_id}
            for p in pending
        ],
    }  # fmt: skip


def erase_inbound(db: Session, user: Member, *, keep_content: bool) -> bool:
    """Every record of mail from the member goes (also those naming only their address)."""
    account = db.get(User, user.id)
    email = account.email.lower() if account is not None else ""
    db.execute(
        delete(InboundMessage)
        .where(or_(InboundMessage.user_id == user.id, InboundMessage.sender == email))
        .execution_options(synchronize_session="fetch")
    )
    db.execute(delete(PendingThread).where(PendingThread.user_id == user.id))
    db.execute(delete(InboundMember).where(InboundMember.user_id == user.id))
    db.flush()
    return False


def register() -> None:
    """Add inbound mail to the privacy registries (`forum.plugins` calls it once)."""
    register_exporter(
        "inbound_mail", export_inbound,
        covers={"inbound_message.user_id": "messages",
                "inbound_member.user_id": "reply_addresses",
                "inbound_pending_thread.user_id": "threads_awaiting_confirmation"},
    )  # fmt: skip
    register_eraser("inbound_mail", erase_inbound)
