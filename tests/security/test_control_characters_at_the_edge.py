"""Control characters never reach a job (issue 16): every form input that ends up in a
queued job (a reset request, a mail, a harvest) is checked where it arrives. A reset
request for such an address answers as an unknown address does and queues nothing;
everywhere else it is a 422 naming the field, with nothing written. NUL fails only on
PostgreSQL; the other control characters on both."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.jobs import Job
from forum.discussions.models import Flag, Post, Thread
from forum.intelligence.models import Feed
from tests.conftest import TEST_PASSWORD, Client, Threads, sign_in
from tests.security.test_enumeration import UNKNOWN, shape

CONTROLS = ["\x00", "\x1b", "\x7f", "\x85"]
IDS = ["NUL", "ESC", "DEL", "NEL"]


def jobs(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Job)) or 0


def users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


@pytest.mark.parametrize("control", CONTROLS, ids=IDS)
def test_a_reset_request_for_an_address_with_a_control_character_answers_as_an_unknown_one_and_queues_nothing(
    client: Client, db: Session, control: str
) -> None:
    before = jobs(db)
    bad = f"a{control}@x.org"
    unknown = client.post_form("/password/forgot", {"email": UNKNOWN})
    assert jobs(db) == before + 1  # a valid address queues its (silent) job
    answer: Any = client.post_form("/password/forgot", {"email": bad})
    assert answer.status_code == 200
    assert shape(answer, bad) == shape(unknown, UNKNOWN)
    assert jobs(db) == before + 1


@pytest.mark.parametrize("control", CONTROLS, ids=IDS)
def test_signing_up_with_a_control_character_in_the_address_is_refused(
    client: Client, db: Session, control: str
) -> None:
    data = {"email": f"new{control}@example.eu", "name": "Ann Lee", "password": TEST_PASSWORD}
    before = (users(db), jobs(db))
    answer: Any = client.post_form("/register", {**data, "partnership": ""})
    assert answer.status_code == 422
    assert "Enter an email address like" in html.unescape(answer.text)
    assert (users(db), jobs(db)) == before


@pytest.mark.parametrize("control", CONTROLS, ids=IDS)
def test_signing_up_with_a_control_character_in_the_name_is_refused(
    client: Client, db: Session, control: str
) -> None:
    data = {"email": "new@example.eu", "name": f"Ann{control} Lee", "password": TEST_PASSWORD}
    before = (users(db), jobs(db))
    answer: Any = client.post_form("/register", {**data, "partnership": ""})
    assert answer.status_code == 422
    assert "control character" in html.unescape(answer.text)
    assert (users(db), jobs(db)) == before


@pytest.mark.parametrize("control", CONTROLS, ids=IDS)
@pytest.mark.parametrize("field", ["subject", "message"])
def test_a_message_with_a_control_character_is_refused_and_nothing_is_queued(
    client: Client, db: Session, member: User, other_member: User, control: str, field: str
) -> None:
    sign_in(client, db, member)
    data = {"subject": "Osaka mission", "message": "Shall we meet\nin Osaka?"}
    data[field] = data[field].replace(" ", f" {control}", 1)
    before = jobs(db)
    answer: Any = client.post_form(f"/members/{other_member.handle}/contact", data)
    assert answer.status_code == 422
    assert "control character" in html.unescape(answer.text)
    assert jobs(db) == before


@pytest.mark.parametrize("control", CONTROLS, ids=IDS)
def test_a_flag_reason_with_a_control_character_is_refused_and_nobody_is_mailed(
    client: Client,
    db: Session,
    member: User,
    moderator: User,
    threads: Threads,
    other_member: User,
    control: str,
) -> None:
    thread: Thread = threads.start(member, title="Buyers in Osaka")
    post: Post = threads.reply(other_member, thread, "Buy my miracle pills")
    sign_in(client, db, member)
    before = jobs(db)
    answer: Any = client.post_form(f"/posts/{post.id}/flag", {"reason": f"Spam{control} here"})
    assert answer.status_code == 303  # back to the post, with the reason in a message
    back = client.get(answer.headers["location"], follow_redirects=True)
    assert "control character" in html.unescape(back.text)
    assert jobs(db) == before
    assert db.scalar(select(func.count()).select_from(Flag)) == 0


@pytest.mark.parametrize("control", CONTROLS, ids=IDS)
def test_an_invitation_file_with_a_control_character_invites_nobody(
    client: Client, db: Session, admin: User, control: str
) -> None:
    sign_in(client, db, admin)
    data = f"email,name\nann@example.eu,Ann{control} Lee\nbo@example.eu,Bo Li\n".encode()
    before = (users(db), jobs(db))
    answer: Any = client.post(
        "/admin/invite",
        files={"file": ("people.csv", data, "text/csv")},
        data={"csrf_token": client.csrf_token()},
    )
    assert answer.status_code == 422
    # A NUL byte was refused before: such a file is not a text file at all.
    expected = "not a CSV" if control == "\x00" else "control character"
    assert expected in html.unescape(answer.text)
    assert (users(db), jobs(db)) == before


@pytest.mark.parametrize("control", CONTROLS, ids=IDS)
def test_a_feed_address_with_a_control_character_is_refused(
    client: Client, db: Session, admin: User, sectors: None, control: str
) -> None:
    sign_in(client, db, admin)
    answer: Any = client.post_form(
        "/admin/feeds",
        {"url": f"https://example.org/fe{control}ed.xml", "name": "Desk", "kind": "news"},
    )
    assert answer.status_code == 422
    assert "control character" in html.unescape(answer.text)
    assert db.scalar(select(func.count()).select_from(Feed)) == 0
