"""The thread-confirmation page and the admins' list of refused inbound mail."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.discussions.models import Thread
from forum.inbound.service import receive
from tests.conftest import Client, Outbox
from tests.inbound.conftest import DOMAIN, mail


def test_a_confirmed_thread_opens_once_with_the_web_rules(
    db: Session, settings: Settings, member: User, categories: object, client: Client,
    outbox: Outbox,
) -> None:  # fmt: skip
    raw = mail(member.email, f"category+market-intelligence@{DOMAIN}", "Who goes to FOODEX?",
               subject="FOODEX Japan 2027")  # fmt: skip
    assert receive(db, settings, raw, via="inbox").status == "pending"
    db.commit()
    link = outbox.last_link(member.email, "/inbound/confirm/")
    page = client.get(link)
    assert page.status_code == 200 and "FOODEX Japan 2027" in page.text
    assert db.scalar(select(Thread).where(Thread.title == "FOODEX Japan 2027")) is None
    done = client.post_form(link, {})
    assert done.status_code == 303  # type: ignore[attr-defined]
    thread = db.scalar(select(Thread).where(Thread.title == "FOODEX Japan 2027"))
    assert thread is not None and thread.author_id == member.id
    assert done.headers["location"] == f"/threads/{thread.id}"  # type: ignore[attr-defined]
    assert client.get(link).status_code == 404
    assert client.post_form(link, {}).status_code == 404  # type: ignore[attr-defined]


def test_a_suspended_member_cannot_open_a_confirmed_thread(
    db: Session, settings: Settings, member: User, categories: object, client: Client,
    outbox: Outbox,
) -> None:  # fmt: skip
    raw = mail(member.email, f"category+market-intelligence@{DOMAIN}", subject="Later")
    receive(db, settings, raw, via="inbox")
    db.commit()
    link = outbox.last_link(member.email, "/inbound/confirm/")
    member.suspended_at = utcnow()
    db.commit()
    assert client.post_form(link, {}).status_code == 403  # type: ignore[attr-defined]
    assert db.scalar(select(Thread).where(Thread.title == "Later")) is None


def test_the_admin_page_lists_refused_mail_with_its_reason(
    db: Session, settings: Settings, as_admin: Client
) -> None:
    empty = as_admin.get("/admin/inbound")
    assert empty.status_code == 200 and "Nothing refused" in empty.text
    receive(db, settings, mail("stranger@example.net", f"category+x@{DOMAIN}",
                               subject="Buy cheap watches"), via="lmtp")  # fmt: skip
    receive(db, settings, mail("a@example.net", f"reply+1-2-3-{'0' * 20}@{DOMAIN}",
                               headers={"Auto-Submitted": "auto-replied"}), via="lmtp")  # fmt: skip
    db.commit()
    page = as_admin.get("/admin/inbound")
    assert "Buy cheap watches" in page.text and "The sender is not a verified member" in page.text
    assert "Automatic answer" in page.text


def test_the_category_page_shows_its_address_to_members_who_may_post(
    client: Client, as_member: Client, categories: object
) -> None:
    address = f"category+market-intelligence@{DOMAIN}"
    assert address in as_member.get("/discussions/c/market-intelligence").text
    as_member.cookies.clear()
    assert address not in client.get("/discussions/c/market-intelligence").text
