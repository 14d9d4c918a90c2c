"""Every email in the pseudo-locale: each of templates/email/*, rendered for a member whose
language is `xx`, has its subject translated and every line of its text part and every
text of its HTML part either translated ("[...]"), members' content (names, titles,
messages), a URL or address, or blank. An email goes out in its recipient's language,
whoever caused it: a member writing in English to a member set to `xx` sends an `xx` email.

The digest has its own tests (tests/digests/test_digest_pseudo.py).
"""

from __future__ import annotations

from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.mail import render_email
from forum.core.web import TEMPLATES_DIR
from tests.conftest import Client, Outbox, Threads, sign_in
from tests.i18n.pseudo import pseudo
from tests.i18n.untranslated import Content, untranslated, untranslated_lines

SITE = "Cluster Forum"
BASE = "http://testserver"


def _user(name: str = "Zoë Recipient", email: str = "zoe@example.eu") -> SimpleNamespace:
    return SimpleNamespace(name=name, email=email)


# Each email's contexts as the code that queues it builds them (forum/accounts/service.py,
# invites.py, contact.py, password_changes.py, forum/moderation/flags.py and
# forum/digests/emails.py): (label, context).
CONTEXTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "account_exists": [("", {"user": _user()})],
    "verify_email": [("", {"user": _user(), "link": f"{BASE}/verify/abc123"})],
    "password_reset": [("", {"user": _user(), "link": f"{BASE}/password/reset/abc123"})],
    "email_change_confirm": [("", {"user": _user(), "link": f"{BASE}/email/confirm/abc123"})],
    "email_change_notice": [("", {"user": _user(), "new_email": "zoe.new@example.eu"})],
    "invitation": [
        (
            "alone",
            {
                "user": _user(),
                "inviter": _user("Ada Admin"),
                "partnership": None,
                "link": f"{BASE}/invite/abc123",
            },
        ),
        (
            "in a partnership",
            {
                "user": _user(),
                "inviter": _user("Ada Admin"),
                "partnership": SimpleNamespace(name="LASER-GO GLOBAL"),
                "link": f"{BASE}/invite/abc123",
            },
        ),
    ],
    "contact": [
        (
            "with a subject, from a partnership, to its coordinator",
            {
                "recipient_name": "Zoë Recipient",
                "sender_name": "Maria Member",
                "sender_handle": "maria.member",
                "sender_partnership": "Food Clusters Asia",
                "partnership": "LASER-GO GLOBAL",
                "subject": "Osaka mission",
                "message": "Shall we meet in Osaka?\nBest, Maria",
            },
        ),
        (
            "no subject, no partnership, no handle",
            {
                "recipient_name": "Zoë Recipient",
                "sender_name": "Maria Member",
                "sender_handle": "",
                "sender_partnership": "",
                "partnership": "",
                "subject": "",
                "message": "Shall we meet in Osaka?",
            },
        ),
    ],
    "flag": [
        (
            "",
            {
                "moderator_name": "Mona Moderator",
                "reporter_name": "Rita Reporter",
                "target_label": "Rita's target",
                "target_url": "/posts/7",
                "reason": "Advertising, not a discussion.",
            },
        ),
    ],
    "inbound_refused": [
        (
            reason,
            {
                "name": "Zoë Recipient",
                "reason": reason,
                "subject": "Re: Buyers in Osaka",
                "detail": "brochure.pdf" if reason == "files" else "",
                "files": [],
            },
        )
        for reason in (
            "expired-token",
            "revoked-token",
            "wrong-sender",
            "dmarc-fail",
            "too-large",
            "empty",
            "gone",
            "files",
        )
    ],
    "inbound_confirm": [
        (
            "",
            {
                "name": "Zoë Recipient",
                "title": "Buyers in Osaka",
                "category": "Markets",
                "link": f"{BASE}/inbound/confirm/abc123",
            },
        )
    ],
    "notification": [
        (
            kind,
            {
                "name": "Zoë Recipient",
                "kind": kind,
                "text": "(stored, English)",
                "url": "/posts/7",
                "actor_name": actor,
                "thread_title": "Buyers in Osaka",
                "excerpt": "We met two distributors at FOODEX.",
                "cap": 20,
                "can_answer": kind == "reply",
            },
        )
        for kind, actor in (
            ("reply", "Otto Other"),
            ("mention", "Otto Other"),
            ("thread_post", "Otto Other"),
            ("reply", ""),
        )
    ],
    "password_changed": [
        (
            f"reset={reset}, tokens={tokens}",
            {
                "user": _user(),
                "reset": reset,
                "sessions_ended": 2,
                "tokens_revoked": 1,
                "personal_tokens": tokens,
            },
        )
        for reset in (True, False)
        for tokens in (0, 1, 3)
    ],
}
# The digest is rendered by forum/digests/render.py: tests/digests/test_digest_pseudo.py.
RENDERED_ELSEWHERE = {"digest"}


def _content(context: dict[str, Any]) -> Content:
    """The context's own strings (what members wrote, names, addresses): kept as they are."""
    strings = [SITE]
    for value in context.values():
        if isinstance(value, str):
            strings.extend([value, *value.splitlines()])
        elif isinstance(value, SimpleNamespace):
            strings.extend(v for v in vars(value).values() if isinstance(v, str))
    return Content(strings)


def _parts(message: EmailMessage) -> tuple[str, str | None]:
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    html = message.get_body(preferencelist=("html",))
    return str(text.get_content()), (str(html.get_content()) if html is not None else None)


def assert_all_translated(message: EmailMessage, content: Content) -> None:
    subject = str(message["Subject"])
    assert subject.startswith("["), f"subject not translated: {subject!r}"
    assert untranslated_lines(subject, content) == [], subject
    text, html = _parts(message)
    assert untranslated_lines(text, content) == [], text
    if html is not None:
        assert untranslated(html, content) == [], html
        assert 'lang="xx"' in html


def test_every_email_template_is_checked_here() -> None:
    names = {p.name for p in (TEMPLATES_DIR / "email").iterdir() if p.is_dir()}
    assert names == set(CONTEXTS) | RENDERED_ELSEWHERE


CASES = [(name, label, context) for name, cases in CONTEXTS.items() for label, context in cases]


@pytest.mark.parametrize(
    ("name", "label", "context"),
    CASES,
    ids=[f"{n}-{label}" if label else n for n, label, _ in CASES],
)
def test_an_email_to_a_member_in_xx_is_all_in_xx(
    pseudo_locale: str, settings: Settings, name: str, label: str, context: dict[str, Any]
) -> None:
    message = render_email(
        settings, name, to="zoe@example.eu", context=context, language=pseudo_locale,
        timezone="Asia/Tokyo",
    )  # fmt: skip
    assert_all_translated(message, _content(context))


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_the_same_email_in_english_has_no_brackets(
    pseudo_locale: str, settings: Settings, name: str
) -> None:
    """English stays the default: nothing is bracketed for a member set to `en`."""
    for _label, context in CONTEXTS[name]:
        message = render_email(settings, name, to="zoe@example.eu", context=context, language="en")
        text, html = _parts(message)
        assert "[" not in str(message["Subject"]) and "[" not in text, text
        assert html is None or "[" not in html


def test_personal_tokens_are_counted_with_plural_forms(
    settings: Settings, pseudo_locale: str
) -> None:
    def body(tokens: int, language: str) -> str:
        context = {"user": _user(), "reset": False, "sessions_ended": 1, "tokens_revoked": 0,
                   "personal_tokens": tokens}  # fmt: skip
        message = render_email(
            settings, "password_changed", to="zoe@example.eu", context=context, language=language
        )
        text, html = _parts(message)
        assert html is not None
        return text + html

    assert "1 personal API token made on your profile still works." in body(1, "en")
    assert "2 personal API tokens made on your profile still work." in body(2, "en")
    one = pseudo("%(num)s personal API token made on your profile still works.")
    many = pseudo("%(num)s personal API tokens made on your profile still work.")
    # The pseudo-locale brackets the whole message: compare the sentence's start.
    assert one[1:20].replace("%(num)s", "1") in body(1, pseudo_locale)
    assert many[1:20].replace("%(num)s", "2") in body(2, pseudo_locale)


# --- whoever causes it, the email is in its recipient's language -----------------------------


@pytest.fixture
def english_sender(db: Session, member: User) -> User:
    member.language = "en"
    db.flush()
    return member


@pytest.fixture
def xx_recipient(db: Session, pseudo_locale: str, other_member: User) -> User:
    other_member.language = pseudo_locale
    other_member.timezone = "Asia/Tokyo"
    db.flush()
    return other_member


@pytest.fixture
def as_english_sender(client: Client, db: Session, english_sender: User) -> Client:
    sign_in(client, db, english_sender)
    db.commit()
    client.cookies.set("forum_lang", "en")
    return client


def _only_mail(outbox: Outbox, address: str) -> EmailMessage:
    mails = outbox.to(address)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    return mails[0]


def test_a_message_from_an_english_member_reaches_an_xx_member_in_xx(
    as_english_sender: Client, db: Session, english_sender: User, xx_recipient: User,
    outbox: Outbox,
) -> None:  # fmt: skip
    sent = as_english_sender.post_form(
        f"/members/{xx_recipient.handle}/contact",
        {"subject": "Osaka mission", "message": "Shall we meet in Osaka?"},
    )
    assert sent.status_code == 303
    mail = _only_mail(outbox, xx_recipient.email)
    content = Content([SITE, english_sender.name, xx_recipient.name, "Osaka mission",
                       "Shall we meet in Osaka?", english_sender.handle or ""])  # fmt: skip
    assert_all_translated(mail, content)


def test_a_reply_by_an_english_member_is_emailed_to_an_xx_author_in_xx(
    as_english_sender: Client, db: Session, english_sender: User, xx_recipient: User,
    threads: Threads, outbox: Outbox,
) -> None:  # fmt: skip
    thread = threads.start(xx_recipient, title="Buyers in Osaka")
    db.commit()
    posted = as_english_sender.post_form(
        f"/threads/{thread.id}/posts", {"body": "We met two distributors at FOODEX."}
    )
    assert posted.status_code == 303, posted.text
    mail = _only_mail(outbox, xx_recipient.email)
    assert str(mail["Subject"]) == pseudo("%(actor)s replied in “%(title)s”") % {
        "actor": english_sender.name,
        "title": "Buyers in Osaka",
    }
    content = Content([SITE, english_sender.name, xx_recipient.name, "Buyers in Osaka",
                       "We met two distributors at FOODEX."])  # fmt: skip
    assert_all_translated(mail, content)


def test_a_flag_by_an_english_member_reaches_an_xx_moderator_in_xx(
    as_english_sender: Client, db: Session, english_sender: User, moderator: User,
    other_member: User, threads: Threads, outbox: Outbox, pseudo_locale: str,
) -> None:  # fmt: skip
    moderator.language = pseudo_locale
    thread = threads.start(other_member, title="Buyers in Osaka")
    post = threads.reply(other_member, thread, "Cheap watches, click here.")
    db.commit()
    flagged = as_english_sender.post_form(
        f"/posts/{post.id}/flag", {"reason": "Advertising, not a discussion."}
    )
    assert flagged.status_code == 303, flagged.text
    mail = _only_mail(outbox, moderator.email)
    # The flagged object's label is written by forum/moderation (outside the email): it
    # sits inside the translated sentence, as a placeholder's value.
    content = Content([SITE, english_sender.name, moderator.name, "Buyers in Osaka",
                       "Advertising, not a discussion."])  # fmt: skip
    assert_all_translated(mail, content)


def test_the_language_is_the_recipients_not_the_requests(
    client: Client, db: Session, english_sender: User, xx_recipient: User, outbox: Outbox
) -> None:
    """An `xx` member writing to an English member: the English member reads English."""
    xx_recipient.language, english_sender.language = "en", "xx"
    sign_in(client, db, english_sender)
    db.commit()
    sent = client.post_form(
        f"/members/{xx_recipient.handle}/contact",
        {"subject": "Osaka mission", "message": "Shall we meet in Osaka?"},
    )
    assert sent.status_code == 303
    mail = _only_mail(outbox, xx_recipient.email)
    text, _html = _parts(mail)
    assert "[" not in str(mail["Subject"]) and "[" not in text
    assert "wrote to you through Cluster Forum:" in text
