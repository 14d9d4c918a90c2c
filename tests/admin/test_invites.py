"""Bulk invitations from a CSV file: all or nothing, row numbers in errors, then the link."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.invites import MAX_BYTES, parse_invite_csv
from forum.accounts.models import User
from forum.accounts.service import get_user_by_email
from forum.core.audit import AuditLog
from forum.notifications.service import list_follows
from tests.conftest import Client, Outbox, People

GOOD = (
    "email,name,partnership\n"
    "ana@cluster.example,Ana Martins,LASER-GO GLOBAL\n"
    "jan@cluster.example,Jan de Vries,\n"
    "li@cluster.example,Li Wei,c4w\n"
)


def upload(client: Client, data: bytes, filename: str = "people.csv") -> object:
    return client.post(
        "/admin/invite",
        files={"file": (filename, data, "text/csv")},
        data={"csrf_token": client.csrf_token()},
    )


def user_count(db: Session) -> int:
    return len(list(db.scalars(select(User.id))))


# --- parsing, without the web -------------------------------------------------------------


def test_a_valid_file_plans_every_row_with_its_partnership(demo_db: Session) -> None:
    plan = parse_invite_csv(demo_db, GOOD.encode())
    assert plan.ok and plan.errors == []
    assert [(r.row, r.email, r.name) for r in plan.rows] == [
        (2, "ana@cluster.example", "Ana Martins"),
        (3, "jan@cluster.example", "Jan de Vries"),
        (4, "li@cluster.example", "Li Wei"),
    ]
    partnerships = [r.partnership.slug if r.partnership else None for r in plan.rows]
    assert partnerships == ["laser-go-global", None, "cosmetics4wellbeing"]


def test_partnerships_are_found_by_name_alias_or_slug_in_any_case(demo_db: Session) -> None:
    data = (
        "email,name,partnership\n"
        "a@x.example,A,laser-go-global\n"
        "b@x.example,B,Laser-Go Global\n"
        "c@x.example,C,COSMENREG-4i\n"
    )
    plan = parse_invite_csv(demo_db, data.encode())
    assert plan.ok
    slugs = [r.partnership.slug for r in plan.rows if r.partnership]
    assert slugs == ["laser-go-global", "laser-go-global", "cosmenerg-4i"]


def test_a_byte_order_mark_windows_line_ends_and_semicolons_are_accepted(
    demo_db: Session,
) -> None:
    data = "\ufeffEmail;Name;Partnership\r\nana@cluster.example;Ana Martins;FoodNet\r\n"
    plan = parse_invite_csv(demo_db, data.encode("utf-8"))
    assert plan.ok
    [row] = plan.rows
    assert row.email == "ana@cluster.example" and row.partnership is not None


def test_the_partnership_column_may_be_left_out(demo_db: Session) -> None:
    plan = parse_invite_csv(demo_db, b"email,name\nana@cluster.example,Ana\n\n")
    assert plan.ok and [r.partnership for r in plan.rows] == [None]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not-an-email,Bad Email,", "is not an email address"),
        ("bo@cluster.example,Bo,No Such Partnership", "no partnership called"),
        ("cy@cluster.example,,", "name is missing"),
        (",Dee,", "email address is missing"),
        ("ed@cluster.example,Ed,FoodNet,extra", "it has 4 values"),
    ],
)
def test_a_bad_row_is_reported_with_its_row_number(
    demo_db: Session, line: str, message: str
) -> None:
    data = f"email,name,partnership\nok@cluster.example,Okay,\n{line}\n"
    plan = parse_invite_csv(demo_db, data.encode())
    assert not plan.ok
    assert plan.error_rows == [3]
    assert message in str(plan.errors[0]) and str(plan.errors[0]).startswith("Row 3:")


def test_an_address_listed_twice_is_an_error_naming_both_rows(demo_db: Session) -> None:
    data = "email,name,partnership\nana@x.example,Ana,\nbo@x.example,Bo,\nANA@x.example,Ana 2,\n"
    plan = parse_invite_csv(demo_db, data.encode())
    assert plan.error_rows == [4]
    assert "listed twice (also on row 2)" in str(plan.errors[0])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"mail,full name\nana@x.example,Ana\n", "header"),
        (b"email,name,partnership\n\n", "lists nobody"),
        ("email,name\nana@x.example,Zoë\n".encode("latin-1"), "not UTF-8"),
        (b"email,name\n\x00\x01\x02", "not a CSV"),
    ],
)
def test_a_file_that_is_not_an_invitation_list_is_refused(
    db: Session, data: bytes, message: str
) -> None:
    plan = parse_invite_csv(db, data)
    assert not plan.ok and message in str(plan.errors[0])


def test_addresses_that_already_have_an_account_are_skipped_not_errors(
    db: Session, member: User
) -> None:
    data = "email,name,partnership\nMaria@Example.eu,Maria,\nnew@x.example,New,\n"
    plan = parse_invite_csv(db, data.encode())
    assert plan.ok
    assert [r.email for r in plan.skipped] == ["maria@example.eu"]
    assert [r.email for r in plan.rows] == ["new@x.example"]


# --- the page --------------------------------------------------------------------------------


def test_the_invitation_page_has_a_csrf_protected_upload_form(as_admin: Client) -> None:
    page = as_admin.get("/admin/invite")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'name="csrf_token"' in page.text and 'type="file"' in page.text


def test_a_valid_file_invites_every_row_with_a_link_and_an_audit_entry(
    as_admin: Client, demo_db: Session, admin: User, outbox: Outbox
) -> None:
    response = upload(as_admin, GOOD.encode())
    assert response.status_code == 200
    assert "3 invited, 0 skipped" in response.text
    for email in ("ana@cluster.example", "jan@cluster.example", "li@cluster.example"):
        assert outbox.last_link(email, "/invite/").startswith("/invite/")
        user = get_user_by_email(demo_db, email)
        assert user is not None and user.password_hash is None
    ana = get_user_by_email(demo_db, "ana@cluster.example")
    assert ana is not None and ana.partnership is not None
    assert ana.partnership.slug == "laser-go-global"
    assert "JP" in list_follows(demo_db, ana.id)["country"]
    entries = list(demo_db.scalars(select(AuditLog).where(AuditLog.action == "user.invite")))
    assert len(entries) == 3
    assert {e.actor_id for e in entries} == {admin.id}
    assert {e.details["row"] for e in entries} == {2, 3, 4}


@pytest.mark.parametrize(
    "bad_line",
    [
        "bad-email,Bad Email,",
        "bo@cluster.example,Bo,Unknown Partnership",
        "cy@cluster.example,,FoodNet",
    ],
)
def test_a_file_with_one_bad_row_invites_nobody_and_names_the_row(
    as_admin: Client, demo_db: Session, outbox: Outbox, bad_line: str
) -> None:
    before = user_count(demo_db)
    response = upload(as_admin, (GOOD + bad_line + "\n").encode())
    assert response.status_code == 422
    assert "Nobody was invited" in response.text
    assert "Fix row 5" in response.text
    assert "Row 5:" in response.text
    assert user_count(demo_db) == before
    assert outbox.messages() == []
    assert list(demo_db.scalars(select(AuditLog))) == []


def test_duplicates_in_the_file_invite_nobody(as_admin: Client, demo_db: Session) -> None:
    before = user_count(demo_db)
    response = upload(as_admin, (GOOD + "ana@cluster.example,Ana Again,\n").encode())
    assert response.status_code == 422
    assert "listed twice" in response.text
    assert user_count(demo_db) == before


def test_existing_members_are_skipped_and_the_others_invited(
    as_admin: Client, demo_db: Session, people: People, outbox: Outbox
) -> None:
    people.make(name="Ana Already", email="ana@cluster.example")
    response = upload(as_admin, GOOD.encode())
    assert response.status_code == 200
    assert "2 invited, 1 skipped" in response.text
    assert "Row 2: Ana Martins &lt;ana@cluster.example&gt;" in response.text
    assert outbox.to("ana@cluster.example") == []
    assert outbox.to("jan@cluster.example")


def test_a_file_that_is_not_utf8_is_refused(as_admin: Client, demo_db: Session) -> None:
    response = upload(as_admin, "email,name\nzoe@x.example,Zoë\n".encode("utf-16"))
    assert response.status_code == 422
    assert "not UTF-8" in response.text
    assert get_user_by_email(demo_db, "zoe@x.example") is None


def test_a_file_over_one_megabyte_is_refused(as_admin: Client, demo_db: Session) -> None:
    line = "someone@cluster.example,Some One,\n"
    data = ("email,name,partnership\n" + line * (MAX_BYTES // len(line) + 1)).encode()
    response = upload(as_admin, data)
    assert response.status_code == 413
    assert "larger than 1 MB" in response.text


def test_posting_without_a_file_asks_for_one(as_admin: Client) -> None:
    response = as_admin.post_form("/admin/invite", {})
    assert response.status_code == 422
    assert "Choose a CSV file" in response.text


def test_a_moderator_cannot_invite(as_moderator: Client, demo_db: Session) -> None:
    before = user_count(demo_db)
    assert upload(as_moderator, GOOD.encode()).status_code == 403
    assert user_count(demo_db) == before


def test_the_invitation_link_sets_a_password_and_lands_on_the_interests_step(
    as_admin: Client, client: Client, demo_db: Session, outbox: Outbox
) -> None:
    upload(as_admin, GOOD.encode())
    link = outbox.last_link("ana@cluster.example", "/invite/")
    client.cookies.clear()  # the invitee's own browser
    page = client.get(link)
    assert page.status_code == 200 and "Ana Martins" in page.text
    weak = client.post_form(link, {"password": "short"})
    assert weak.status_code == 422
    accepted = client.post_form(link, {"password": "a long and new passphrase"})
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/welcome"
    welcome = client.get("/welcome")
    assert welcome.status_code == 200
    assert "LASER-GO GLOBAL" in welcome.text
    ana = get_user_by_email(demo_db, "ana@cluster.example")
    assert ana is not None
    demo_db.refresh(ana)
    assert ana.password_hash is not None and ana.is_verified
    assert client.post_form(link, {"password": "another new passphrase"}).status_code == 422
