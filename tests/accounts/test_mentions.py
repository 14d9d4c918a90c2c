"""Mention handles on profiles and member pages, and the members suggested while `@` is
typed in a post (the JSON the enhancement script reads)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from tests.conftest import Client, People, sign_in


def test_mention_handles_are_shown_on_profiles_and_member_pages(
    client: Client, db: Session, people: People, member: User
) -> None:
    paula = people.make(name="Paula Partner")
    sign_in(client, db, member)
    page = client.get(f"/members/{paula.handle}")
    assert f"Mention them in a post with <code>@{paula.handle}</code>" in page.text
    own = client.get("/profile")
    assert "Mention handle" in own.text
    assert f"<code>@{member.handle}</code>" in own.text


def test_typing_at_in_a_reply_suggests_members(
    client: Client, db: Session, people: People, member: User
) -> None:
    marta = people.make(name="Marta Kowalska")
    people.make(name="Jan Martens")  # a later word of the name
    people.make(name="Otto Other")
    sign_in(client, db, member)
    found = client.get("/members/suggest", params={"q": "mar"})
    assert found.status_code == 200
    handles = [m["handle"] for m in found.json()]
    # Handles that start so first (by name), then a later word of a name.
    assert handles == [member.handle, marta.handle, "jan.martens"]
    assert found.json()[0].keys() == {"handle", "name", "partnership"}
    typed_with_at = client.get("/members/suggest", params={"q": "@mart"}).json()
    assert [m["handle"] for m in typed_with_at] == [marta.handle, "jan.martens"]
    # The reply forms carry the hook the script needs; without it they are plain textareas.
    thread_form = client.get("/discussions/new")
    assert 'data-mentions="/members/suggest"' in thread_form.text


def test_suggestions_leave_out_suspended_members_and_need_a_signed_in_member(
    client: Client, db: Session, people: People, member: User
) -> None:
    gone = people.make(name="Suzanne Suspended")
    gone.suspended_at = utcnow()
    db.flush()
    assert client.get("/members/suggest", params={"q": "suz"}).status_code == 303
    sign_in(client, db, member)
    assert client.get("/members/suggest", params={"q": "suz"}).json() == []


def test_suggestions_treat_like_wildcards_as_letters(
    client: Client, db: Session, people: People, member: User
) -> None:
    people.make(name="Percy Cent")
    sign_in(client, db, member)
    for typed in ("%", "_", "p%", "\\"):
        assert client.get("/members/suggest", params={"q": typed}).json() == [], typed
    assert client.get("/members/suggest", params={"q": ""}).json() == []
    assert client.get("/members/suggest", params={"q": "x" * 101}).status_code == 422
