"""The embedded index's schema and analyzers, and how a SearchDoc becomes a tantivy document
(dates clamped to the range tantivy can store)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import tantivy
from tantivy import Document, Filter, Tokenizer

from search.engine import SearchDoc, doc_key
from search.text import MAX_TOKEN_CHARS

# Bump when the schema or the analyzers change: an older index then raises
# SearchIndexOutdated until `forum search reindex` has built a new one.
SCHEMA_VERSION = 2
STEMMED = "forum_stemmed"
EXACT = "forum_exact"
# Field of each FACETS name in the index.
FACET_FIELDS = {"kind": "kind", "subkind": "subkind", "country": "country", "sector": "sector"}


def _analyzer(*, stem: bool, remove_long: bool = True) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(Tokenizer.simple())
    if remove_long:
        builder = builder.filter(Filter.remove_long(MAX_TOKEN_CHARS + 1))
    builder = builder.filter(Filter.lowercase()).filter(Filter.ascii_fold())
    if stem:
        builder = builder.filter(Filter.stemmer("english"))
    return builder.build()


STEM_ANALYZER = _analyzer(stem=True)
EXACT_ANALYZER = _analyzer(stem=False)
# Query words are cut without the length filter, so that a 500-letter word is a
# word that matches nothing rather than no word at all.
QUERY_ANALYZER = _analyzer(stem=False, remove_long=False)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("key", stored=True, indexed=True, fast=True)
    for name in ("kind", "subkind", "country", "sector", "category", "visibility"):
        builder.add_text_field(
            name, stored=name != "visibility", fast=True, tokenizer_name="raw", index_option="basic"
        )
    builder.add_text_field("url", stored=True, tokenizer_name="raw", index_option="basic")
    # Stemmed copies for recall (no phrases on them, so no positions) ...
    builder.add_text_field("title", stored=True, tokenizer_name=STEMMED, index_option="freq")
    builder.add_text_field("body", stored=True, tokenizer_name=STEMMED, index_option="freq")
    # Words that find a document but are never shown (SearchDoc.keywords): not stored.
    builder.add_text_field("keywords", stored=False, tokenizer_name=STEMMED, index_option="freq")
    # ... and unstemmed ones for typos, prefixes and phrases: title and body together
    # (one automaton per typo'd word instead of two), and the title alone for `in:title`.
    builder.add_text_field("text_exact", tokenizer_name=EXACT)
    builder.add_text_field("title_exact", tokenizer_name=EXACT)
    builder.add_date_field("created_at", stored=True, indexed=True, fast=True)
    return builder.build()


SCHEMA = _schema()


def register_analyzers(index: tantivy.Index) -> None:
    """Give an opened index the analyzers its text fields name."""
    index.register_tokenizer(STEMMED, STEM_ANALYZER)
    index.register_tokenizer(EXACT, EXACT_ANALYZER)


def utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# tantivy stores dates as nanoseconds in a signed 64-bit integer: 1677-09-22 to 2262-04-11.
# Dates past either end, in documents and in filters alike, are clamped to that range
# instead of failing: a document dated 2300 is kept as of 2262-04-11, a filter until 1600
# matches nothing and one from 9999 only such far-future documents.
DATE_MIN = dt.datetime(1677, 9, 22, tzinfo=dt.UTC)
DATE_MAX = dt.datetime(2262, 4, 11, tzinfo=dt.UTC)


def clamped(value: dt.datetime) -> dt.datetime:
    return min(max(utc(value), DATE_MIN), DATE_MAX)


def to_second(value: dt.datetime) -> dt.datetime:
    """The clamped date without its microseconds: what a date filter compares with."""
    return clamped(value).replace(microsecond=0)


def to_document(doc: SearchDoc) -> tuple[int, Document]:
    """The document's integer key and its tantivy document; ValueError when its id and
    kind disagree."""
    key = doc_key(doc.id)
    if doc.id.partition(":")[0] != doc.kind:
        raise ValueError(f"document {doc.id!r} has kind {doc.kind!r}")
    fields: dict[str, Any] = {
        "key": key,
        "kind": doc.kind,
        "url": doc.url,
        "title": doc.title,
        "body": doc.body,
        "text_exact": [doc.title, doc.body, doc.keywords],
        "title_exact": doc.title,
        "visibility": doc.visibility,
        "created_at": clamped(doc.created_at),
    }
    if doc.keywords:
        fields["keywords"] = doc.keywords
    if doc.subkind:
        fields["subkind"] = doc.subkind
    if doc.category:
        fields["category"] = doc.category
    if doc.countries:
        fields["country"] = list(dict.fromkeys(doc.countries))
    if doc.sectors:
        fields["sector"] = list(dict.fromkeys(doc.sectors))
    return key, Document(**fields)
