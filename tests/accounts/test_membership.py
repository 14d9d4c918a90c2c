"""Partnership membership: a request the coordinator or an admin approves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import Membership, User
from forum.core.audit import AuditLog
from tests.conftest import Client, People, sign_in


def test_a_member_asks_to_join_and_the_coordinator_approves(
    client: Client, demo_db: Session, coordinator: User, member: User
) -> None:
    sign_in(client, demo_db, member)
    page = client.get("/partnerships/laser-go-global")
    assert "Ask to join LASER-GO GLOBAL" in page.text
    assert client.post_form("/partnerships/laser-go-global/join", {}).status_code == 303
    assert "waiting for the coordinator" in client.get("/partnerships/laser-go-global").text

    sign_in(client, demo_db, coordinator)
    requests = client.get("/partnerships/laser-go-global/members")
    assert "Maria Member" in requests.text
    membership = demo_db.scalar(select(Membership).where(Membership.user_id == member.id))
    assert membership is not None
    decided = client.post_form(
        f"/partnerships/laser-go-global/members/{membership.id}", {"decision": "approve"}
    )
    assert decided.status_code == 303
    demo_db.refresh(membership)
    assert membership.status == "approved"
    assert membership.decided_by_id == coordinator.id
    audit = demo_db.scalar(select(AuditLog).where(AuditLog.action == "membership.approve"))
    assert audit is not None
    assert audit.actor_id == coordinator.id

    sign_in(client, demo_db, member)
    assert "You are a member of LASER-GO GLOBAL" in client.get("/partnerships/laser-go-global").text


def test_only_the_coordinator_or_an_admin_decides(
    client: Client, demo_db: Session, coordinator: User, people: People
) -> None:
    asker = people.make(name="Asker")
    outsider = people.make(name="Outsider")
    sign_in(client, demo_db, asker)
    client.post_form("/partnerships/laser-go-global/join", {})
    membership = demo_db.scalar(select(Membership).where(Membership.user_id == asker.id))
    assert membership is not None

    sign_in(client, demo_db, outsider)
    assert client.get("/partnerships/laser-go-global/members").status_code == 403
    refused = client.post_form(
        f"/partnerships/laser-go-global/members/{membership.id}", {"decision": "approve"}
    )
    assert refused.status_code == 403
    demo_db.refresh(membership)
    assert membership.status == "pending"

    admin = people.make(role="admin", name="Admin")
    sign_in(client, demo_db, admin)
    ok = client.post_form(
        f"/partnerships/laser-go-global/members/{membership.id}", {"decision": "reject"}
    )
    assert ok.status_code == 303
    demo_db.refresh(membership)
    assert membership.status == "rejected"


def test_visitors_see_no_member_names(client: Client, demo_db: Session, coordinator: User) -> None:
    page = client.get("/partnerships/laser-go-global")
    assert "Carla Coordinator" not in page.text
    assert "Log in" in page.text
