"""Fixtures of the inbound mail tests: settings with an inbound domain, a way to write a
message as a mail client sends it, and the address a notification would carry."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from forum.core.config import Settings
from forum.core.db import utcnow
from forum.notifications.reply_address import reply_address
from tests.conftest import TEST_SECRET

DOMAIN = "in.forum.example"
AUTHSERV = "mx.forum.example"
CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def settings(tmp_path: Path, test_engine: Engine) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=test_engine.url.render_as_string(hide_password=False),
        secret_key=TEST_SECRET,
        base_url="http://testserver",
        embedded_worker=False,
        inbound_domain=DOMAIN,
        inbound_authserv_id=AUTHSERV,
    )


def address_for(user_id: int, post_id: int, *, secret: str = TEST_SECRET) -> str:
    found = reply_address(secret, DOMAIN, user_id, post_id, now=utcnow())
    assert found is not None
    return found


_counter = [0]


def mail(
    sender: str,
    to: str,
    body: str = "FOODEX Japan, in March.",
    *,
    subject: str = "Re: Entering the Japanese food market",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    _counter[0] += 1
    message = EmailMessage()
    for name, value in (headers or {}).items():
        message[name] = value
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<m{_counter[0]}.{id(body)}@client.example>"
    message.set_content(body)
    return bytes(message)
