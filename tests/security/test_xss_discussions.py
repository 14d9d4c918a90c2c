"""An XSS corpus through titles, bodies, good-practice fields and display names: inert."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from forum.core.text import render_markdown
from forum.discussions import listing, writes
from forum.discussions.models import Category
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, People, Threads, sign_in
from tests.security.htmlcheck import script_risks

PAYLOADS = [
    line for line in (Path(__file__).parent / "xss_payloads.txt").read_text().split("\n") if line
]


def test_the_corpus_has_at_least_150_distinct_payloads() -> None:
    assert len(set(PAYLOADS)) >= 150


def test_the_checker_catches_what_it_must() -> None:
    assert script_risks('<img src=x onerror="alert(1)">')
    assert script_risks('<a href=" JavaScript:alert(1)">x</a>')
    assert script_risks("<script>alert(1)</script>")
    assert not script_risks('<a href="https://example.eu" rel="nofollow">x</a>')


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_rendering_makes_each_payload_inert(payload: str) -> None:
    assert script_risks(render_markdown(payload)) == []
    assert script_risks(render_markdown(f"text before\n\n{payload}\n\nafter")) == []


def test_payloads_everywhere_on_the_pages_render_inert(
    client: Client, db: Session, people: People, threads: Threads,
    categories: dict[str, Category],
) -> None:  # fmt: skip
    viewers = []
    for i, payload in enumerate(PAYLOADS[:60]):
        author = people.make(name=f"{payload[:100]} {i}")
        viewers.append(author)
        thread = threads.start(author, title=payload[:200] or "x", body=payload)
        threads.reply(author, thread, payload)
    food = resolve_sectors(db, ["food"])
    gp = writes.create_thread(
        db, viewers[0],
        writes.ThreadInput(
            title=PAYLOADS[7], body=PAYLOADS[8], category=categories["good-practices"],
            kind="good_practice", countries=["JP"], sectors=food,
            good_practice=writes.GoodPracticeInput(
                approach=PAYLOADS[9], results=PAYLOADS[10], challenge=PAYLOADS[11],
                lessons=PAYLOADS[12], contact=PAYLOADS[13],
            ),
        ),
        check_limits=False,
    )  # fmt: skip
    db.flush()
    sign_in(client, db, viewers[1])
    pages = ["/discussions", "/discussions?page=2", "/discussions/c/market-intelligence",
             f"/threads/{gp.id}", f"/threads/{gp.id}?view=flat"]  # fmt: skip
    pages += [
        f"/threads/{t.id}"
        for t in listing.page_threads(db, viewers[1], listing.ThreadFilter(), page=1).items
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert script_risks(response.text) == [], url
