"""The new text of each reply shape in the corpus, and the same text posted end to end."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.discussions.models import Post
from forum.inbound.parse import html_to_markdown, message_text, new_text
from forum.inbound.service import receive
from tests.conftest import Threads
from tests.inbound.conftest import CORPUS, address_for

SHAPES = sorted(p.stem for p in CORPUS.glob("*.eml"))


def _expected(name: str) -> str:
    return (CORPUS / f"{name}.txt").read_text(encoding="utf-8").strip()


def test_the_corpus_holds_at_least_30_shapes_in_six_languages() -> None:
    assert len(SHAPES) >= 30
    for marker in ("-en", "-fr", "-de", "-es", "-it", "-pl"):
        assert any(marker in name for name in SHAPES), marker


@pytest.mark.parametrize("name", SHAPES)
def test_each_reply_shape_keeps_exactly_the_new_text(name: str) -> None:
    message = BytesParser(policy=policy.default).parsebytes((CORPUS / f"{name}.eml").read_bytes())
    text, _ = message_text(message)
    assert new_text(text) == _expected(name)


@pytest.mark.parametrize("name", SHAPES)
def test_each_reply_shape_is_posted_as_exactly_the_new_text(
    name: str, db: Session, settings: Settings, member: User, other_member: User,
    threads: Threads,
) -> None:  # fmt: skip
    thread = threads.start(member)
    opening = db.query(Post).filter_by(thread_id=thread.id, is_opening=True).one()
    raw = (CORPUS / f"{name}.eml").read_bytes()
    raw = raw.replace(b"Piotr Zielinski <piotr@example.org>", other_member.email.encode())
    raw = raw.replace(
        b"reply+TOKEN@forum.example", address_for(other_member.id, opening.id).encode()
    )
    outcome = receive(db, settings, raw, via="inbox")
    assert outcome.status == "posted", outcome
    post = db.get(Post, outcome.post_id)
    assert post is not None and post.body == _expected(name)


def test_scripts_and_styles_do_not_survive_the_html_conversion() -> None:
    html = "<p>Hello <script>alert(1)</script><b>there</b></p><style>p{}</style>"
    assert html_to_markdown(html).strip() == "Hello **there**"


def test_text_that_only_mentions_writing_is_not_taken_for_a_quote_header() -> None:
    text = "On reflection, Anna wrote: we should go.\nAnd we will."
    assert new_text(text) == text
