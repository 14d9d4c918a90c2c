"""Who may see or do what is decided in the domains' services; templates get flags.

A template that tests a role, an author, a lock or a hidden/deleted/suspended state to
decide what to show restates a rule, and copies drift. The scan below fails on any such
condition in `templates/`, except the few listed in ALLOWED, which show a state (a
badge, a button's label) and decide nothing. The other tests pin where a copy in a
template disagreed with its service and the service's rule won.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions import moderation
from tests.conftest import Client, People, Threads, sign_in

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# What a permission or visibility rule reads.
CONDITION = re.compile(
    r"is_moderator|is_admin|\.role\b|author_id\s*[!=]=|[!=]=\s*\w+\.author_id|\.locked"
    r"|hidden_at|deleted_at|is_suspended|status\s*[!=]="
)

# (template, the exact text that holds the condition) -> why it decides nothing.
ALLOWED: dict[tuple[str, str], str] = {
    # Badges saying what state something is in; who sees it is the view's and service's.
    ("discussions/list.html", "{% if t.locked %}<span class"): "badge",
    ("discussions/list.html", "{% if t.hidden_at %}<span class"): "badge (moderators' list)",
    ("discussions/thread.html", "{% if thread.locked %}<span class"): "badge",
    ("discussions/thread.html", "{% if thread.hidden_at %}<span class"): "badge",
    ("discussions/post_history.html", "{%- if post.hidden_at %} <span class"): "badge",
    ("discussions/post_history.html", "{%- if post.deleted_at %} <span class"): "badge",
    ("discussions/moderation.html", "{%- if item.user and item.user.is_suspended %} <span"): (
        "badge on the moderators' queue"
    ),
    ("accounts/member.html", "{%- if partnership or coordinates or member.is_moderator %}"): (
        "the profile's 'platform team' badge, a fact about the member shown to all"
    ),
    ("accounts/member.html", "{%- if member.is_moderator %}"): "the 'platform team' badge",
    ("intelligence/list.html", '{% if item.status != "published" %}<span class'): "badge",
    ("intelligence/item.html", '{% if item.status != "published" %}<span class'): "badge",
    ("intelligence/item.html", '{% if item.status == "withdrawn" %}<p class="flash'): (
        "the banner saying why the item is not public (the page is for who may see it)"
    ),
    ("intelligence/item.html", '{% elif item.status == "review" %}<p class="flash'): "banner",
    ("intelligence/item.html", '{% elif item.status == "draft" %}<p class="flash'): "banner",
    # Labels of toggles offered by a flag from the view (can_moderate, transitions).
    ("discussions/_thread_tools.html", "{{ 'unlock' if thread.locked else 'lock' }}"): "label",
    (
        "discussions/_thread_tools.html",
        '{{ _("Unlock") if thread.locked else _("Lock") }}',
    ): "label",
    ("discussions/_thread_tools.html", "{{ 'unhide' if thread.hidden_at else 'hide' }}"): "label",
    (
        "discussions/_thread_tools.html",
        '{{ _("Unhide") if thread.hidden_at else _("Hide") }}',
    ): "label",
    ("discussions/moderation.html", "{{ 'unhide' if item.thread.hidden_at else 'hide' }}"): (
        "label"
    ),
    ("discussions/moderation.html", '{{ _("Unhide the thread") if item.thread.hidden_at else'): (
        "label"
    ),
    ("intelligence/_moderation.html", '"Restore and publish" if item.status == "withdrawn"'): (
        "label of a move the view offers (transitions)"
    ),
    ("intelligence/_moderation.html", '"Back to review" if item.status != "withdrawn"'): "label",
    ("intelligence/_moderation.html", '_transitions or item.status == "withdrawn" else'): (
        "heading"
    ),
    ("intelligence/_moderation.html", '{%- if "withdrawn" in _transitions or item.status =='): (
        "whether the offered moves ask for an optional note"
    ),
    ("intelligence/_moderation.html", "{{ 'button-primary' if status == 'published' else"): (
        "style"
    ),
    # The account pages show an account's own state; the routes decide what it may do.
    ("admin/user.html", "{% if user.is_suspended %}<span class"): "the admin page's state",
    ("admin/user.html", '{% if user.is_suspended %}{{ _("Lift the suspension") }}{% else %}'): (
        "which of the two forms the admin page shows; the admin routes check the role"
    ),
    ("admin/user.html", "    {% if user.is_suspended %}\n"): "the same choice of form",
    ("admin/users.html", "{% if u.is_suspended %}<span class"): "the list's state column",
    ("admin/users.html", '{% if u.membership.status != "approved" %} <span'): "the same",
    ("accounts/profile.html", '{% elif membership.status == "approved" %}'): (
        "the member's own membership request, as its state"
    ),
    ("accounts/profile.html", '{% elif membership.status == "pending" %}'): "the same",
    ("partnerships/detail.html", '{% if membership and membership.status == "approved" %}'): (
        "the reader's own membership, as its state"
    ),
    ("partnerships/detail.html", '{% elif membership and membership.status == "pending" %}'): (
        "the same"
    ),
    ("macros/files.html", '{% if a.status == "error" %}'): (
        "a file's extraction state, present only when the view's rule shows it (FileRow)"
    ),
    ("macros/files.html", '{% elif a.status == "pending" %}'): "the same",
}


# Where a template decides: its statements ({% if %}, {% elif %} ...) and inline ifs
# ({{ a if b else c }}); `{{ user.role }}` only prints a value.
DECISION = re.compile(r"{%.*?%}|{{(?:(?!}}).)*?\bif\b.*?}}", re.S)


def _conditions(name: str, text: str) -> list[str]:
    """The decisions in `text` that still test a rule once the allowed snippets are removed."""
    for (template, snippet), _reason in ALLOWED.items():
        if template == name:
            text = text.replace(snippet, "")
    return [" ".join(d.split()) for d in DECISION.findall(text) if CONDITION.search(d)]


def test_no_template_restates_a_permission_or_visibility_rule() -> None:
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt")):
        name = path.relative_to(TEMPLATES).as_posix()
        lines = _conditions(name, path.read_text(encoding="utf-8"))
        if lines:
            found[name] = lines
    assert not found, (
        "templates decide who sees or does what: give them a flag computed by the domain's "
        f"service (can_*), or list a mere state in ALLOWED with the reason: {found}"
    )


def test_every_allowed_snippet_is_still_in_its_template() -> None:
    """An allowance whose text is gone, or that holds no condition, is removed, so the
    list stays short and true."""
    stale = [
        (template, snippet)
        for template, snippet in ALLOWED
        if snippet not in (TEMPLATES / template).read_text(encoding="utf-8")
        or not CONDITION.search(snippet)
    ]
    assert not stale


def test_the_scan_finds_a_rule_written_in_a_template() -> None:
    assert _conditions("x.html", "{% if viewer.is_moderator or viewer.id == p.author_id %}")
    assert _conditions("x.html", "{% if thread.locked %}<p>No replies</p>{% endif %}")


# --- where a template's copy and the service disagreed, the service's rule won ---------


@pytest.fixture
def unconfirmed(people: People) -> User:
    return people.make(name="Una Unconfirmed", verified=False)


def test_an_unconfirmed_member_is_told_why_instead_of_offered_a_reply_form_that_refuses(
    client: Client, db: Session, member: User, unconfirmed: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Buyers in Osaka")
    threads.reply(member, thread, "Anyone?")
    sign_in(client, db, unconfirmed)
    page = client.get(f"/threads/{thread.id}").text
    assert f'action="/threads/{thread.id}/posts"' not in page
    assert "Confirm your email address before posting" in page
    refused = client.post_form(f"/threads/{thread.id}/posts", {"body": "Hello."})
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_an_unconfirmed_member_is_offered_no_flag_form_the_flag_service_would_refuse(
    client: Client, db: Session, member: User, unconfirmed: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Buyers in Osaka")
    post = threads.reply(member, thread, "Anyone?")
    sign_in(client, db, unconfirmed)
    page = client.get(f"/threads/{thread.id}").text
    assert f'action="/threads/{thread.id}/flag"' not in page
    assert f'action="/posts/{post.id}/flag"' not in page
    refused = client.post_form(f"/posts/{post.id}/flag", {"reason": "Spam."})
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_a_confirmed_member_still_gets_the_reply_and_flag_forms(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Buyers in Osaka")
    post = threads.reply(member, thread, "Anyone?")
    sign_in(client, db, other_member)
    page = client.get(f"/threads/{thread.id}").text
    assert f'action="/threads/{thread.id}/posts"' in page
    assert f'action="/threads/{thread.id}/flag"' in page
    assert f'action="/posts/{post.id}/flag"' in page
    assert f'href="/posts/{thread.id}/edit"' not in page


def test_a_moderator_answering_a_hidden_post_sees_the_text_they_quote(
    client: Client, db: Session, member: User, moderator: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Buyers in Osaka")
    post = threads.reply(member, thread, "Call my cousin.")
    moderation.hide_post(db, moderator, post, reason="Spam.")
    sign_in(client, db, moderator)
    page = client.get(f"/threads/{thread.id}/reply?quote={post.id}").text
    # The form quoted the text before; the quote above it now shows it as well.
    assert page.count("Call my cousin.") == 2
