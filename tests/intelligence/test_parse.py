"""parse_feed on hand-written fixtures: every feed dialect, bad encodings, dates, HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from forum.intelligence.parse import MAX_SUMMARY, MAX_TITLE, FeedError, parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://base.example.eu/feeds/feed.xml"


def parse(name: str) -> tuple[str | None, list]:
    return parse_feed((FIXTURES / name).read_bytes(), base_url=BASE)


def test_rss_091_without_dates() -> None:
    title, entries = parse("rss091.xml")
    assert title == "Cluster Bulletin (0.91)"
    assert [e.title for e in entries] == ["Batteries cluster opens office in Graz", "Second item"]
    first = entries[0]
    assert first.link == "https://bulletin.example.eu/news/graz"
    assert first.entry_id == first.link  # no guid: the link stands in
    assert first.summary == "The cluster opens an office."
    assert first.published is None
    assert first.language == "de"


def test_rss_20_html_entities_relative_links_and_dates() -> None:
    title, entries = parse("rss20.xml")
    assert title == "Market News & Views"
    by_title = {e.title: e for e in entries}
    first = entries[0]
    assert first.title == "Tom & Jerry: bold move into hydrogen"
    assert first.entry_id == "urn:news:1"
    assert first.link == "https://base.example.eu/articles/hydrogen?id=1&x=2"
    assert first.summary == "First paragraph été. Second."
    assert "alert" not in first.summary
    assert first.published == datetime(2025, 6, 3, 7, 39, 21, tzinfo=UTC)
    assert first.published.tzinfo is UTC
    assert first.language == "en-gb"

    cdata = by_title["CDATA title with é"]
    assert cdata.summary == "Only content here"  # content:encoded when no description

    js = by_title["Undated item with a javascript link"]
    assert js.link is None
    assert js.published is None
    assert js.entry_id.startswith("sha256:")

    no_link = by_title["Undated item without id or link"]
    assert no_link.entry_id.startswith("sha256:")
    assert no_link.entry_id != js.entry_id

    assert by_title["Bad date"].published is None
    # the item with neither title nor link is dropped
    assert not any("skipped" in e.summary for e in entries)
    assert len(entries) == 5


def test_hash_ids_are_stable() -> None:
    _, once = parse("rss20.xml")
    _, again = parse("rss20.xml")
    assert [e.entry_id for e in once] == [e.entry_id for e in again]


def test_rdf_rss_10() -> None:
    title, entries = parse("rdf.xml")
    assert title == "RDF Cluster Feed"
    (entry,) = entries
    assert entry.title == "Appel à projets textile"
    assert entry.link == "https://rdf.example.eu/item/1"
    assert entry.published == datetime(2025, 5, 1, 10, 30, tzinfo=UTC)
    assert entry.language == "fr"


def test_atom_10() -> None:
    title, entries = parse("atom.xml")
    assert title == "Atom Cluster Blog"
    first, second = entries
    assert first.title == "XHTML title"
    assert first.link == "https://atom.example.eu/blog/posts/1"  # xml:base
    assert first.entry_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert first.summary == "Summary & more"
    assert first.published == datetime(2025, 6, 1, 4, 0, tzinfo=UTC)
    assert first.language == "nl"
    assert second.published == datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # from <updated>
    assert second.summary == "Content body"


def test_latin1_declared_as_such() -> None:
    title, entries = parse("latin1-declared.xml")
    assert title == "Café à Paris"
    assert entries[0].title == "Crème brûlée cluster"


def test_declared_utf8_but_latin1_bytes() -> None:
    title, entries = parse("utf8-declared-latin1.xml")
    assert title == "Wrong encoding"
    assert entries[0].title == "München und Köln"


def test_long_titles_and_summaries_are_capped() -> None:
    words = " ".join(["word"] * 1500)
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{words}</title><link>https://x.example.eu/1</link>"
        f"<description>{words}</description></item></channel></rss>"
    ).encode()
    _, (entry,) = parse_feed(body, base_url=BASE)
    assert len(entry.title) <= MAX_TITLE
    assert len(entry.summary) <= MAX_SUMMARY
    assert entry.title.endswith("…")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage that is no XML",
        b"<rss><channel><title>x",
        (FIXTURES / "not-a-feed.html").read_bytes(),
    ],
)
def test_nothing_usable_raises(body: bytes) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(body, base_url=BASE)
    assert str(info.value)


def test_broken_xml_with_entries_is_still_used() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Half</title>'
        b"<item><title>Kept &nbsp; despite</title><link>https://x.example.eu/1</link></item>"
        b"<item><title>unclosed"
    )
    title, entries = parse_feed(body, base_url=BASE)
    assert title == "Half"
    assert entries[0].link == "https://x.example.eu/1"
