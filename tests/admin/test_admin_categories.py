"""The admin area's category pages: add, edit, reorder and delete, validated and audited."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.audit import AuditLog
from forum.core.outbox import SearchOutbox
from forum.discussions.models import Category, Thread
from forum.notifications.models import Follow
from tests.conftest import Client, Threads

SEEDED_ORDER = [
    "good-practices",
    "market-intelligence",
    "events-and-missions",
    "cooperation-opportunities",
    "partnership-news",
    "platform-feedback",
]


def entries(db: Session, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


def category(db: Session, slug: str) -> Category | None:
    db.expire_all()
    return db.scalar(select(Category).where(Category.slug == slug))


def order(db: Session) -> list[str]:
    db.expire_all()
    return list(
        db.scalars(select(Category.slug).order_by(Category.position, Category.name, Category.id))
    )


def queued(db: Session) -> set[str]:
    return set(db.scalars(select(SearchOutbox.doc_id).where(SearchOutbox.op == "upsert")))


def visitor(app: FastAPI) -> Client:
    return Client(app, base_url="http://testserver", follow_redirects=False)


def add(client: Client, **fields: str) -> object:
    data = {
        "slug": "trade-missions",
        "name": "Trade missions",
        "description": "",
        "visibility": "public",
    }
    return client.post_form("/admin/categories", {**data, **fields})


# --- who may ------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_login_page(
    client: Client, categories: dict[str, Category]
) -> None:
    response = client.get("/admin/categories")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert client.get(f"/admin/categories/{categories['good-practices'].id}").status_code == 303


@pytest.mark.parametrize("role", ["as_member", "as_moderator"])
def test_members_and_moderators_may_not_manage_categories(
    request: pytest.FixtureRequest, role: str, db: Session, categories: dict[str, Category]
) -> None:
    client: Client = request.getfixturevalue(role)
    target = categories["platform-feedback"]
    assert client.get("/admin/categories").status_code == 403
    assert client.get(f"/admin/categories/{target.id}").status_code == 403
    assert add(client).status_code == 403
    edited = client.post_form(
        f"/admin/categories/{target.id}", {"name": "X", "visibility": "members"}
    )
    assert edited.status_code == 403
    moved = client.post_form(f"/admin/categories/{target.id}/move", {"direction": "up"})
    assert moved.status_code == 403
    assert client.post_form(f"/admin/categories/{target.id}/delete", {}).status_code == 403
    assert category(db, "trade-missions") is None
    kept = category(db, "platform-feedback")
    assert kept is not None and kept.name == "Platform feedback" and kept.visibility == "public"
    assert order(db) == SEEDED_ORDER
    assert list(db.scalars(select(AuditLog).where(AuditLog.object_type == "category"))) == []


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_the_categories_in_order_with_their_thread_counts(
    as_admin: Client, threads: Threads, member: User, categories: dict[str, Category]
) -> None:
    threads.start(member, category="events-and-missions", title="Going to Osaka")
    threads.start(member, category="events-and-missions", title="Going to Dubai")
    threads.start(member, category="good-practices", title="A good practice")
    page = as_admin.get("/admin/categories")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    positions = [page.text.index(f'href="/discussions/c/{slug}"') for slug in SEEDED_ORDER]
    assert positions == sorted(positions)
    events = page.text[page.text.index("/discussions/c/events-and-missions") :]
    assert '<td class="numeric">2</td>' in events[: events.index("</tr>")]
    # Only empty categories offer a delete button.
    assert f'action="/admin/categories/{categories["platform-feedback"].id}/delete"' in page.text
    assert (
        f'action="/admin/categories/{categories["events-and-missions"].id}/delete"' not in page.text
    )
    assert 'class="empty-state"' not in page.text


def test_the_list_has_an_empty_state_when_every_category_is_deleted(
    as_admin: Client, db: Session, categories: dict[str, Category]
) -> None:
    for item in categories.values():
        response = as_admin.post_form(f"/admin/categories/{item.id}/delete", {})
        assert response.status_code == 303
    assert order(db) == []
    page = as_admin.get("/admin/categories")
    assert page.status_code == 200
    assert 'class="empty-state"' in page.text and "No categories yet" in page.text
    assert len(entries(db, "category.delete")) == len(SEEDED_ORDER)


def test_the_admin_navigation_and_dashboard_link_to_the_categories(as_admin: Client) -> None:
    page = as_admin.get("/admin/categories")
    assert '<a href="/admin/categories" aria-current="page">Categories</a>' in page.text
    assert 'href="/admin/categories"' in as_admin.get("/admin").text


# --- adding -------------------------------------------------------------------------------


def test_adding_a_category_puts_it_last_and_is_audited(
    as_admin: Client, db: Session, admin: User, categories: dict[str, Category]
) -> None:
    response = add(
        as_admin,
        slug="trade-missions",
        name="Trade   missions",
        description="  Who is going where.\r\nAnd when.  ",
        visibility="members",
    )
    assert response.status_code == 303
    created = category(db, "trade-missions")
    assert created is not None
    assert created.name == "Trade missions"
    assert created.description == "Who is going where.\nAnd when."
    assert created.visibility == "members"
    assert order(db)[-1] == "trade-missions"
    [entry] = entries(db, "category.create")
    assert entry.actor_id == admin.id and entry.object_type == "category"
    assert entry.object_id == str(created.id) and entry.object_label == "Trade missions"
    assert entry.details == {
        "slug": "trade-missions",
        "name": "Trade missions",
        "description": "Who is going where.\nAnd when.",
        "visibility": "members",
        "position": created.position,
    }
    assert "Trade missions" in as_admin.get("/admin/categories").text
    assert as_admin.get("/discussions/c/trade-missions").status_code == 200


def test_the_first_category_can_be_added_to_an_empty_list(as_admin: Client, db: Session) -> None:
    assert add(as_admin).status_code == 303
    assert order(db) == ["trade-missions"]


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "Trade",
        "trade missions",
        "trade--missions",
        "-trade",
        "trade-",
        "trade_missions",
        "é",
        "x" * 61,
    ],
)
def test_a_category_slug_must_be_lower_case_words_joined_by_hyphens(
    as_admin: Client, db: Session, categories: dict[str, Category], slug: str
) -> None:
    response = add(as_admin, slug=slug)
    assert response.status_code == 422
    assert 'href="#slug"' in response.text
    assert order(db) == SEEDED_ORDER
    assert entries(db, "category.create") == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"slug": "good-practices"}, "slug", "is taken"),
        ({"name": "GOOD PRACTICES"}, "name", "already called"),
        ({"name": "   "}, "name", "Enter the category&#39;s name"),
        ({"name": "x" * 121}, "name", "at most 120 characters"),
        ({"description": "x" * 501}, "description", "at most 500 characters"),
        ({"visibility": "secret"}, "visibility", "Choose who can read"),
    ],
)
def test_bad_input_for_a_new_category_is_refused_with_a_message(
    as_admin: Client,
    db: Session,
    categories: dict[str, Category],
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = add(as_admin, **fields)
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text and message in response.text
    assert order(db) == SEEDED_ORDER
    assert entries(db, "category.create") == []


def test_a_description_of_exactly_500_characters_is_accepted(as_admin: Client, db: Session) -> None:
    assert add(as_admin, description="x" * 500, name="x" * 120).status_code == 303
    created = category(db, "trade-missions")
    assert created is not None and len(created.description) == 500


# --- editing ------------------------------------------------------------------------------


def test_editing_keeps_the_slug_and_audits_the_changed_fields(
    as_admin: Client, db: Session, admin: User, categories: dict[str, Category]
) -> None:
    target = categories["platform-feedback"]
    form = as_admin.get(f"/admin/categories/{target.id}")
    assert form.status_code == 200 and "Platform feedback" in form.text
    response = as_admin.post_form(
        f"/admin/categories/{target.id}",
        {
            "name": "Feedback on the forum",
            "description": "How this forum could serve you better.",
            "visibility": "public",
            "slug": "ignored",
        },
    )
    assert response.status_code == 303
    edited = category(db, "platform-feedback")
    assert edited is not None and edited.name == "Feedback on the forum"
    assert category(db, "ignored") is None
    [entry] = entries(db, "category.update")
    assert entry.actor_id == admin.id and entry.object_id == str(target.id)
    assert entry.details == {"name": {"from": "Platform feedback", "to": "Feedback on the forum"}}


def test_an_edit_that_changes_nothing_records_nothing(
    as_admin: Client, db: Session, categories: dict[str, Category]
) -> None:
    target = categories["platform-feedback"]
    response = as_admin.post_form(
        f"/admin/categories/{target.id}",
        {
            "name": "Platform feedback",
            "description": target.description,
            "visibility": "public",
        },
    )
    assert response.status_code == 303
    assert entries(db, "category.update") == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "Good practices"}, "name", "already called"),
        ({"name": ""}, "name", "Enter the category&#39;s name"),
        ({"description": "x" * 501}, "description", "at most 500 characters"),
        ({"visibility": ""}, "visibility", "Choose who can read"),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(
    as_admin: Client,
    db: Session,
    categories: dict[str, Category],
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    target = categories["platform-feedback"]
    data = {"name": "Renamed", "description": "New.", "visibility": "members", **fields}
    response = as_admin.post_form(f"/admin/categories/{target.id}", data)
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text and message in response.text
    unchanged = category(db, "platform-feedback")
    assert unchanged is not None
    assert (unchanged.name, unchanged.visibility) == ("Platform feedback", "public")
    assert entries(db, "category.update") == []


def test_an_unknown_category_is_a_404(as_admin: Client) -> None:
    assert as_admin.get("/admin/categories/999999").status_code == 404
    assert as_admin.post_form("/admin/categories/999999", {"name": "X"}).status_code == 404
    assert (
        as_admin.post_form("/admin/categories/999999/move", {"direction": "up"}).status_code == 404
    )
    assert as_admin.post_form("/admin/categories/999999/delete", {}).status_code == 404


# --- visibility -----------------------------------------------------------------------------


def test_making_a_category_members_only_hides_its_threads_and_requeues_their_documents(
    app: FastAPI,
    as_admin: Client,
    db: Session,
    admin: User,
    member: User,
    threads: Threads,
    categories: dict[str, Category],
) -> None:
    inside = threads.start(member, category="events-and-missions", title="Going to Osaka")
    reply = threads.reply(member, inside)
    hidden = threads.start(member, category="events-and-missions", title="Hidden one")
    hidden.hidden_at = inside.created_at
    outside = threads.start(member, category="good-practices", title="Stays public")
    db.flush()
    with visitor(app) as anonymous:
        assert "Going to Osaka" in anonymous.get("/discussions").text
    db.execute(delete(SearchOutbox))
    target = categories["events-and-missions"]

    response = as_admin.post_form(
        f"/admin/categories/{target.id}",
        {"name": target.name, "description": target.description, "visibility": "members"},
    )
    assert response.status_code == 303

    assert queued(db) == {f"thread:{inside.id}", f"post:{reply.id}"}
    assert f"thread:{outside.id}" not in queued(db)
    [entry] = entries(db, "category.update")
    assert entry.actor_id == admin.id
    assert entry.details == {
        "visibility": {"from": "public", "to": "members"},
        "documents_requeued": 2,
    }
    with visitor(app) as anonymous:
        listing = anonymous.get("/discussions").text
        assert "Going to Osaka" not in listing and "Stays public" in listing
        assert anonymous.get("/discussions/c/events-and-missions").status_code == 404
    assert "Going to Osaka" in as_admin.get("/discussions").text

    db.execute(delete(SearchOutbox))
    back = as_admin.post_form(
        f"/admin/categories/{target.id}",
        {"name": target.name, "description": target.description, "visibility": "public"},
    )
    assert back.status_code == 303
    assert queued(db) == {f"thread:{inside.id}", f"post:{reply.id}"}
    with visitor(app) as anonymous:
        assert "Going to Osaka" in anonymous.get("/discussions").text


def test_an_edit_that_keeps_the_visibility_queues_no_documents(
    as_admin: Client, db: Session, member: User, threads: Threads, categories: dict[str, Category]
) -> None:
    threads.start(member, category="events-and-missions")
    db.execute(delete(SearchOutbox))
    target = categories["events-and-missions"]
    response = as_admin.post_form(
        f"/admin/categories/{target.id}",
        {"name": "Events", "description": target.description, "visibility": "public"},
    )
    assert response.status_code == 303
    assert queued(db) == set()


# --- reordering ---------------------------------------------------------------------------


def test_moving_a_category_up_and_down_reorders_the_list_and_is_audited(
    as_admin: Client, db: Session, admin: User, categories: dict[str, Category]
) -> None:
    target = categories["events-and-missions"]
    up = as_admin.post_form(f"/admin/categories/{target.id}/move", {"direction": "up"})
    assert up.status_code == 303
    assert order(db)[:3] == ["good-practices", "events-and-missions", "market-intelligence"]
    [entry] = entries(db, "category.move")
    assert entry.actor_id == admin.id and entry.object_id == str(target.id)
    assert entry.details == {
        "position": {"from": 2, "to": 1},
        "direction": "up",
        "swapped_with": "market-intelligence",
    }
    down = as_admin.post_form(f"/admin/categories/{target.id}/move", {"direction": "down"})
    assert down.status_code == 303
    assert order(db) == SEEDED_ORDER
    assert len(entries(db, "category.move")) == 2


def test_moving_past_either_end_changes_nothing(
    as_admin: Client, db: Session, categories: dict[str, Category]
) -> None:
    first, last = categories["good-practices"], categories["platform-feedback"]
    assert (
        as_admin.post_form(f"/admin/categories/{first.id}/move", {"direction": "up"}).status_code
        == 303
    )
    assert (
        as_admin.post_form(f"/admin/categories/{last.id}/move", {"direction": "down"}).status_code
        == 303
    )
    assert order(db) == SEEDED_ORDER
    assert entries(db, "category.move") == []


def test_moving_renumbers_tied_positions(
    as_admin: Client, db: Session, categories: dict[str, Category]
) -> None:
    for item in categories.values():
        item.position = 0
    db.flush()
    ties = order(db)  # by name when positions tie
    target = db.scalar(select(Category).where(Category.slug == ties[-1]))
    assert target is not None
    response = as_admin.post_form(f"/admin/categories/{target.id}/move", {"direction": "up"})
    assert response.status_code == 303
    assert order(db) == [*ties[:-2], ties[-1], ties[-2]]
    positions = list(db.scalars(select(Category.position).order_by(Category.position)))
    assert positions == list(range(len(ties)))


def test_an_unknown_direction_is_refused(
    as_admin: Client, db: Session, categories: dict[str, Category]
) -> None:
    target = categories["events-and-missions"]
    response = as_admin.post_form(f"/admin/categories/{target.id}/move", {"direction": "sideways"})
    assert response.status_code == 422
    assert "Move a category up or down" in response.text
    assert order(db) == SEEDED_ORDER


# --- deleting -----------------------------------------------------------------------------


def test_deleting_an_empty_category_is_audited_and_drops_its_follows(
    as_admin: Client, db: Session, admin: User, member: User, categories: dict[str, Category]
) -> None:
    target_id = categories["platform-feedback"].id
    db.add(Follow(user_id=member.id, target_type="category", target="platform-feedback"))
    db.add(Follow(user_id=member.id, target_type="category", target="good-practices"))
    db.flush()
    response = as_admin.post_form(f"/admin/categories/{target_id}/delete", {})
    assert response.status_code == 303
    assert category(db, "platform-feedback") is None
    [entry] = entries(db, "category.delete")
    assert entry.actor_id == admin.id and entry.object_id == str(target_id)
    assert entry.object_label == "Platform feedback"
    assert entry.details == {
        "slug": "platform-feedback",
        "name": "Platform feedback",
        "visibility": "public",
        "follows_removed": 1,
    }
    follows = list(db.scalars(select(Follow.target).where(Follow.target_type == "category")))
    assert follows == ["good-practices"]
    assert as_admin.get("/discussions/c/platform-feedback").status_code == 404


def test_a_category_with_threads_cannot_be_deleted(
    as_admin: Client, db: Session, member: User, threads: Threads, categories: dict[str, Category]
) -> None:
    thread = threads.start(member, category="events-and-missions")
    target = categories["events-and-missions"]
    response = as_admin.post_form(f"/admin/categories/{target.id}/delete", {})
    assert response.status_code == 422
    assert "has 1 thread: move its threads to another category first" in response.text
    assert f'href="#delete-{target.id}"' in response.text
    assert category(db, "events-and-missions") is not None
    assert db.get(Thread, thread.id) is not None
    assert entries(db, "category.delete") == []
