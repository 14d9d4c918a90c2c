"""The embedded index's schema and analyzers, and how a SearchDoc becomes a tantivy document
(dates clamped to the range tantivy can store, title and body in the fields of the
document's language)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import tantivy
from tantivy import Document, Filter, Tokenizer

from search.engine import SearchDoc, doc_key
from search.text import MAX_TOKEN_CHARS

# Bump when the schema or the analyzers change: an older index then raises
# SearchIndexOutdated until `forum search reindex` has built a new one.
# 3: stemmed fields per language (issue 19), the plain fields, `language`.
# 4: the words' beginnings (`text_prefix`, `title_prefix`, issue 26).
SCHEMA_VERSION = 4
EXACT = "forum_exact"
BEGINNINGS = "forum_beginnings"
NOTHING = "forum_nothing"
# The languages with a stemmer, by the ISO 639-1 code documents carry: each has its
# own stemmed title and body fields (`title_fr`, `body_fr`). Text in any other language,
# or in none known, is indexed word for word in `title_plain` and `body_plain`.
STEMMERS = {
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "it": "italian",
}
PLAIN = "plain"
# The suffixes of the per-language title and body fields, stemmed languages first.
LANGUAGE_FIELDS = (*STEMMERS, PLAIN)
# Field of each FACETS name in the index.
FACET_FIELDS = {"kind": "kind", "subkind": "subkind", "country": "country", "sector": "sector"}


def _analyzer(*, stemmer: str | None, remove_long: bool = True) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(Tokenizer.simple())
    if remove_long:
        builder = builder.filter(Filter.remove_long(MAX_TOKEN_CHARS + 1))
    builder = builder.filter(Filter.lowercase()).filter(Filter.ascii_fold())
    if stemmer:
        builder = builder.filter(Filter.stemmer(stemmer))
    return builder.build()


def stemmed_analyzer_name(language: str) -> str:
    return f"forum_stem_{language}"


# Language code -> the analyzer of its stemmed fields.
STEM_ANALYZERS = {code: _analyzer(stemmer=name) for code, name in STEMMERS.items()}
# Country and sector names (SearchDoc.keywords) are stemmed in English, as before.
STEM_ANALYZER = STEM_ANALYZERS["en"]
EXACT_ANALYZER = _analyzer(stemmer=None)
# Query words are cut without the length filter, so that a 500-letter word is a
# word that matches nothing rather than no word at all.
QUERY_ANALYZER = _analyzer(stemmer=None, remove_long=False)
# The longest word beginning indexed: a query word of at most this many characters has
# no typo budget (search.text.typo_budget), so as a prefix it is exactly a beginning.
PREFIX_CHARS = 4
# One word (already cut and folded by EXACT_ANALYZER) -> its first 1..PREFIX_CHARS
# characters, in Rust.
BEGINNINGS_ANALYZER = tantivy.TextAnalyzerBuilder(
    Tokenizer.ngram(1, PREFIX_CHARS, prefix_only=True)
).build()
# Stored-only text (the title and body shown in hits): nothing is indexed.
NOTHING_ANALYZER = (
    tantivy.TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.remove_long(0)).build()
)


def language_fields(language: str | None) -> str:
    """The suffix of the fields a document's title and body go to: its language when it
    has a stemmer ("pt-BR" -> no, "fr-CA" -> "fr"), else PLAIN."""
    primary = (language or "").partition("-")[0].lower()
    return primary if primary in STEMMERS else PLAIN


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("key", stored=True, indexed=True, fast=True)
    for name in ("kind", "subkind", "country", "sector", "category", "visibility"):
        builder.add_text_field(
            name, stored=name != "visibility", fast=True, tokenizer_name="raw", index_option="basic"
        )
    builder.add_text_field("url", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("language", stored=True, tokenizer_name="raw", index_option="basic")
    # The title and body as written, for hits and snippets; searched through the fields below.
    builder.add_text_field("title", stored=True, tokenizer_name=NOTHING, index_option="basic")
    builder.add_text_field("body", stored=True, tokenizer_name=NOTHING, index_option="basic")
    # The title and body once more, in the fields of the document's language: stemmed
    # for recall (no phrases on them, so no positions), or word for word (PLAIN) ...
    for suffix in LANGUAGE_FIELDS:
        analyzer = EXACT if suffix == PLAIN else stemmed_analyzer_name(suffix)
        for field in ("title", "body"):
            builder.add_text_field(
                f"{field}_{suffix}", tokenizer_name=analyzer, index_option="freq"
            )
    # Words that find a document but are never shown (SearchDoc.keywords): not stored.
    builder.add_text_field(
        "keywords", stored=False, tokenizer_name=stemmed_analyzer_name("en"), index_option="freq"
    )
    # ... and unstemmed ones for typos, prefixes and phrases: title and body together
    # (one automaton per typo'd word instead of two), and the title alone for `in:title`.
    builder.add_text_field("text_exact", tokenizer_name=EXACT)
    builder.add_text_field("title_exact", tokenizer_name=EXACT)
    # The first 1 to PREFIX_CHARS characters of each word of text_exact and title_exact
    # (`beginnings`): a last word too short for a typo is then one term to look up
    # instead of an automaton walk over the term dictionary and a union of the postings
    # of every word it begins. Documents only (no frequencies): it scores as a constant.
    for name in ("text_prefix", "title_prefix"):
        builder.add_text_field(name, tokenizer_name=BEGINNINGS, index_option="basic")
    builder.add_date_field("created_at", stored=True, indexed=True, fast=True)
    return builder.build()


SCHEMA = _schema()


def words(*texts: str) -> list[str]:
    """The distinct words EXACT_ANALYZER makes of `texts` (what text_exact indexes): the
    values of text_prefix, whose analyzer cuts each into its beginnings."""
    found: set[str] = set()
    for text in texts:
        if text:
            found.update(EXACT_ANALYZER.analyze(text))
    return list(found)


def beginnings(*texts: str) -> list[str]:
    """The terms text_prefix indexes for `texts`: the first 1..PREFIX_CHARS characters of
    each word (a word of fewer characters is its own longest beginning)."""
    return sorted({part for word in words(*texts) for part in BEGINNINGS_ANALYZER.analyze(word)})


def register_analyzers(index: tantivy.Index) -> None:
    """Give an opened index the analyzers its text fields name."""
    for code, analyzer in STEM_ANALYZERS.items():
        index.register_tokenizer(stemmed_analyzer_name(code), analyzer)
    index.register_tokenizer(EXACT, EXACT_ANALYZER)
    index.register_tokenizer(BEGINNINGS, BEGINNINGS_ANALYZER)
    index.register_tokenizer(NOTHING, NOTHING_ANALYZER)


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
    suffix = language_fields(doc.language)
    fields: dict[str, Any] = {
        "key": key,
        "kind": doc.kind,
        "url": doc.url,
        "title": doc.title,
        "body": doc.body,
        f"title_{suffix}": doc.title,
        f"body_{suffix}": doc.body,
        "text_exact": [doc.title, doc.body, doc.keywords],
        "title_exact": doc.title,
        "text_prefix": words(doc.title, doc.body, doc.keywords),
        "title_prefix": words(doc.title),
        "visibility": doc.visibility,
        "created_at": clamped(doc.created_at),
    }
    if doc.language:
        fields["language"] = doc.language
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
