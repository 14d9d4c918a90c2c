"""Every page in French, German, Spanish, Italian and Polish: no English left.

Each GET route is rendered once in English and once in each language (the first URL the
pseudo-locale walker has for it), by an admin who reads that language; the anonymous
visitor's pages are sampled, each route in one of the five languages. Each piece of text
a person reads (tests/i18n/untranslated.py's reading of the page) that is identical in
the English page and in the language's page fails, naming the page, unless it is stored
content, a code, a name (countries, languages, region groups), a number or a date, or a
word the language writes as English does (ALLOWED, with why).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from babel import Locale
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.taxonomy.regions import load_region_groups
from tests.conftest import Backend, Client, sign_in
from tests.i18n.conftest import Demo
from tests.i18n.test_catalogs import LANGUAGES
from tests.i18n.test_pseudo_locale_pages import TYPED, page_urls
from tests.i18n.untranslated import Content, is_code, leftovers, normalise, read_texts

pytestmark = pytest.mark.slow

# Words each language writes as English does, on a page, alone: the same word, or a
# loanword its readers use (checked with the catalogs' translators' choices).
_EVERYWHERE = {"PDF", "CSV", "API", "RSS", "Atom", "iCalendar", "Markdown", "OK", "E-mail"}
ALLOWED: dict[str, set[str]] = {
    "fr": _EVERYWHERE
    | {"Description", "Discussions", "Message", "Notifications", "Original", "Pagination"}
    | {"Sessions"},
    "de": _EVERYWHERE | {"Moderation", "Original", "Permalink", "Status", "Text"},
    "es": _EVERYWHERE | {"Error 404", "Original"},
    # Italian writes these English words: "la password", "la privacy", "lo slug".
    "it": _EVERYWHERE | {"Password", "Privacy", "Slug"},
    "pl": _EVERYWHERE | {"Status"},
}


def without_codes(text: str) -> str:
    """`text` without its codes (file names, addresses, handles): "report.pdf Text" is
    a file name and a word."""
    return " ".join(word for word in text.split() if not is_code(word.strip(",;:()")))


def _names(code: str) -> list[str]:
    """Names that stay names: countries and languages in English and in `code`."""
    names: list[str] = []
    for locale in (Locale.parse("en"), Locale.parse(code)):
        names.extend(locale.territories.values())
        names.extend(locale.languages.values())
    for language in ("en", *LANGUAGES):
        names.append(Locale.parse(language).get_display_name(Locale.parse(language)) or "")
    return names


def _content(db: Session, settings: Settings, code: str) -> Content:
    content = Content.of_database(db, "Cluster Forum", settings.demo_notice or "", *TYPED)
    groups = load_region_groups()
    content.add(
        text
        for group in groups.values()
        for text in (group.name, group.source, group.definition, group.note)
        if text
    )
    content.add(f"{group.name} {key}" for key, group in groups.items())  # "ASEAN g:asean"
    content.add(_names(code))
    content.add(ALLOWED[code])
    return content


def _texts(client: Client, url: str) -> tuple[int, list[tuple[str, str]]] | None:
    response = client.get(url, follow_redirects=True)
    if not response.headers.get("content-type", "").startswith("text/html"):
        return None
    return response.status_code, [(w, normalise(t)) for w, t in read_texts(response.text)]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_page_in_the_language_leaves_no_english_sentence(
    client: Client,
    demo_db: Session,
    demo: Demo,
    settings: Settings,
    backend: Backend,
    code: str,
) -> None:
    if backend.name != "sqlite":
        pytest.skip("the language of a page does not depend on the database")
    db = demo_db
    content = _content(db, settings, code)
    urls = {route: targets[0] for route, targets in sorted(page_urls(demo, settings).items())}
    # The anonymous visitor's pages: each route in one of the five languages.
    mine = LANGUAGES.index(code)
    anonymous = [url for i, url in enumerate(urls.values()) if i % len(LANGUAGES) == mine]
    problems: dict[str, list[str]] = {}
    seen = 0

    def english_and_translated(who: str, url: str, in_language: Callable[[bool], None]) -> None:
        nonlocal seen
        english = _texts(client, url)
        if english is None:
            return
        in_language(True)
        translated = _texts(client, url)
        in_language(False)
        assert translated is not None, url
        seen += 1
        status, pieces = translated
        english_texts = {text for _where, text in english[1]}
        for where, text in pieces:
            if text not in english_texts:
                continue
            for piece in leftovers(text, content):
                if leftovers(without_codes(piece), content):
                    problems.setdefault(f"{where}: {piece}", []).append(f"{who} {url} ({status})")

    def cookie(on: bool) -> None:
        if on:
            client.cookies.set("forum_lang", code)
        else:
            client.cookies.delete("forum_lang")

    for url in anonymous:
        english_and_translated("anonymous", url, cookie)

    def profile(on: bool) -> None:
        demo.admin.language = code if on else "en"
        db.flush()

    sign_in(client, db, demo.admin)
    for url in urls.values():
        english_and_translated("admin", url, profile)
    print(f"{seen} pages compared in {code}")
    assert seen > 80
    report = [
        f"{text}  [{len(pages)} page(s): {', '.join(pages[:3])}]"
        for text, pages in sorted(problems.items())
    ]
    assert report == [], f"{len(report)} English pieces left in {code}:\n" + "\n".join(report)


def test_the_comparison_finds_english_left_in_a_translated_page() -> None:
    content = Content(["LASER-GO GLOBAL", "Total"])
    same = "<p>Read the guide</p><p>LASER-GO GLOBAL</p><p>Total</p><p>7</p></main>"
    english = "<main><h1>Partnerships</h1>" + same
    french = "<main><h1>Partenariats</h1>" + same
    english_texts = {normalise(t) for _w, t in read_texts(english)}
    left = [
        piece
        for _where, text in read_texts(french)
        if normalise(text) in english_texts
        for piece in leftovers(normalise(text), content)
    ]
    assert left == ["Read the guide"]
