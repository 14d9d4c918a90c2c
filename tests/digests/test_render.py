"""A digest as an email (both parts, headers, inlined CSS) and as a web page fragment."""

from __future__ import annotations

import binascii
import datetime as dt
import random
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.digests import tokens
from forum.digests.builder import build_digest
from forum.digests.digest import Digest, Entry, Section
from forum.digests.render import (
    digest_text,
    quoted_printable,
    render_digest_email,
    render_digest_page,
)
from forum.intelligence import writes as intel_writes
from forum.notifications.service import follow
from forum.taxonomy.service import resolve_sectors
from tests.conftest import People
from tests.security.htmlcheck import script_risks

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'
MESSAGE_ID = "<digest-1-2026-12-07@testserver>"


def parsed(message: EmailMessage) -> EmailMessage:
    """The message as a mail client reads it: serialised (as smtplib does), then parsed."""
    raw = message.as_bytes()
    result = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(result, EmailMessage)
    return result


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def make_digest(user: User, *, title: str = "Food market access in Japan") -> Digest:
    entry = Entry(
        title=title,
        url="http://testserver/intel/7",
        meta="News · Japan · Food industry · 3 Dec 2026",
        excerpt="Import rules change in April.",
    )
    return Digest(
        user_id=user.id,
        period=dt.date(2026, 12, 7),
        window_start=dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC),
        window_end=dt.datetime(2026, 12, 7, 6, tzinfo=dt.UTC),
        sections=[
            Section(
                key="intel",
                title="New intelligence for your follows",
                entries=[entry] * 8,
                more=4,
                more_url="http://testserver/intel?country=JP",
                follow_links=(("Mute Japan", "http://testserver/digests/interest/abc"),),
                summary="12 new on Japan",
            )
        ],
    )


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.styled = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        if values.get("style"):
            self.styled += 1


def links_of(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


@pytest.fixture
def reader(people: People) -> User:
    return people.make(name="Rea Reader", email="rea@example.eu")


def test_the_email_is_multipart_alternative_with_text_first_then_html(
    settings: Settings, reader: User
) -> None:
    message = parsed(
        render_digest_email(settings, reader, make_digest(reader), message_id=MESSAGE_ID)
    )

    assert message.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in message.iter_parts()]
    assert types == ["text/plain", "text/html"]
    text, html = parts(message)
    assert "Food market access in Japan" in text
    assert "Food market access in Japan" in html
    assert "and 4 more" in text and "and 4 more" in html


def test_the_headers_name_the_list_and_offer_one_click_unsubscribe(
    settings: Settings, reader: User
) -> None:
    digest = make_digest(reader)
    message = parsed(render_digest_email(settings, reader, digest, message_id=MESSAGE_ID))

    token = tokens.unsubscribe_token(settings.secret_key or "", reader.id)
    assert message["From"] == settings.mail_from
    assert message["To"] == "rea@example.eu"
    assert message["Subject"] == digest.subject == "12 new on Japan"
    assert message["Message-ID"] == MESSAGE_ID
    assert message["Date"]
    assert message["List-Id"] == "Cluster Forum digest <digest.testserver>"
    assert message["List-Unsubscribe"] == f"<http://testserver/unsubscribe/{token}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert tokens.read_unsubscribe_token(settings.secret_key or "", token) == reader.id


def test_the_mailto_unsubscribe_is_offered_only_when_configured(
    settings: Settings, reader: User
) -> None:
    configured = settings.model_copy(update={"unsubscribe_mailto": "unsubscribe@example.eu"})

    message = parsed(
        render_digest_email(configured, reader, make_digest(reader), message_id=MESSAGE_ID)
    )

    header = message["List-Unsubscribe"]
    assert header.startswith("<http://testserver/unsubscribe/")
    assert header.endswith(", <mailto:unsubscribe@example.eu?subject=unsubscribe>")


def test_the_html_part_has_inlined_styles_and_no_style_block(
    settings: Settings, reader: User
) -> None:
    _, html = parts(
        parsed(render_digest_email(settings, reader, make_digest(reader), message_id=MESSAGE_ID))
    )

    assert "<style" not in html
    assert 'class="section-title"' in html
    title = re.search(r'<h2 class="section-title" style="([^"]+)"', html)
    assert title is not None and "font-weight: bold" in title.group(1)
    assert links_of(html).styled > 10


def test_every_link_is_absolute_and_the_footer_links_settings_and_unsubscribe(
    settings: Settings, reader: User
) -> None:
    digest = make_digest(reader)
    text, html = parts(parsed(render_digest_email(settings, reader, digest, message_id=MESSAGE_ID)))

    hrefs = links_of(html).hrefs
    assert hrefs and all(h.startswith("http://testserver/") for h in hrefs)
    view = f"http://testserver/digests/{tokens.browser_token(settings.secret_key or '', reader.id, digest.period)}"
    for expected in (
        view,
        "http://testserver/intel/7",
        "http://testserver/intel?country=JP",
        "http://testserver/digests/interest/abc",
        "http://testserver/settings/digest",
    ):
        assert expected in hrefs
        assert expected in text
    assert any(h.startswith("http://testserver/unsubscribe/") for h in hrefs)
    assert "Mute Japan: http://testserver/digests/interest/abc" in text


def test_titles_with_markup_come_out_escaped_in_every_part(
    settings: Settings, reader: User
) -> None:
    digest = make_digest(reader, title=XSS)
    _, html = parts(parsed(render_digest_email(settings, reader, digest, message_id=MESSAGE_ID)))
    page = render_digest_page(settings, reader, digest)

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Inlined styles are expected in mail; nothing else that could run script is.
    assert [r for r in script_risks(html) if "style=" not in r] == []
    assert script_risks(page) == []
    assert "javascript:" not in html.lower() and "<script" not in page


def test_the_browser_page_has_the_sections_and_no_inline_styles(
    settings: Settings, reader: User
) -> None:
    page = render_digest_page(settings, reader, make_digest(reader))

    assert "New intelligence for your follows" in page
    assert 'href="http://testserver/intel/7"' in page
    assert "and 4 more" in page and "Mute Japan" in page
    assert "style=" not in page and "<style" not in page


def test_the_highlights_digest_asks_the_member_to_choose_interests(
    settings: Settings, reader: User
) -> None:
    digest = make_digest(reader)
    digest.highlights = True

    text = digest_text(settings, reader, digest)
    page = render_digest_page(settings, reader, digest)

    assert "Choose what your digest brings you:\nhttp://testserver/settings/digest" in text
    assert "Choose what your digest brings you" in page


def test_a_member_following_japan_and_food_gets_a_new_japanese_food_item_in_both_parts(
    db: Session, settings: Settings, people: People, reader: User, sectors: None
) -> None:
    writer = people.make()
    follow(db, reader.id, "country", "JP")
    follow(db, reader.id, "sector", "food")
    item = intel_writes.create_item(
        db, writer,
        intel_writes.ItemInput(title="Sake <b>exports</b> & more", countries=["JP"],
                        sectors=resolve_sectors(db, ["food"])),
    )  # fmt: skip
    now = utcnow()
    digest = build_digest(
        db, settings, reader, period=now.date(), window_start=now - dt.timedelta(days=7),
        window_end=now + dt.timedelta(minutes=1), now=now,
    )  # fmt: skip

    text, html = parts(parsed(render_digest_email(settings, reader, digest, message_id=MESSAGE_ID)))

    assert "Sake <b>exports</b> & more" in text
    assert "Sake &lt;b&gt;exports&lt;/b&gt; &amp; more" in html
    assert f"http://testserver/intel/{item.id}" in text
    assert f'href="http://testserver/intel/{item.id}"' in html
    assert digest.subject in (
        "1 new on Japan and Food industry",
        "1 new on Food industry and Japan",
    )


def _whole_quoted_printable(body: str) -> bytes:
    """What `quoted_printable` must write: the whole body through b2a_qp at once."""
    crlf = body.replace("\r\n", "\n").replace("\n", "\r\n")
    if not crlf.endswith("\r\n"):
        crlf += "\r\n"
    return binascii.b2a_qp(crlf.encode("utf-8"), istext=True)


def test_quoted_printable_line_by_line_writes_the_wholes_bytes() -> None:
    """Lines encoded one by one (and kept) join into the bytes of encoding the whole:
    soft breaks of long lines, trailing spaces and tabs, a lone dot, "=", bare CR, text
    beyond ASCII, empty bodies and bodies without a final line end."""
    rng = random.Random(26)
    pieces = ["a", " ", "\t", ".", "=", "\n", "\r", "\r\n", "é", "·", "€", "😀", "\x00", "x" * 80]
    bodies = ["", "\n", "\r\n", ".", " ", "a \nb\t\n", "=" * 100, "x" * 300 + "\n" + "x" * 76]
    bodies += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    for body in bodies * 2:  # the second time from the kept lines
        assert quoted_printable(body) == _whole_quoted_printable(body), repr(body)
