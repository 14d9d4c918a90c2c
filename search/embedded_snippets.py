"""Highlighting for the embedded engine: which of a page's words the query matched, the
marked title, and the snippet framed between ellipses, turned into SearchHits."""

from __future__ import annotations

import bisect
import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

import tantivy
from tantivy import Document, Query

from search.embedded_query import Term, should
from search.embedded_schema import EXACT_ANALYZER, SCHEMA, STEM_ANALYZERS, language_fields, utc
from search.engine import SearchHit, doc_id_from_key
from search.text import (
    ELLIPSIS,
    SNIPPET_CHARS,
    leading_excerpt,
    render_marked,
    within_typos,
    within_typos_prefix,
)

# How much of a body is searched for the snippet's words.
SNIPPET_SCAN_CHARS = 20_000


def _stem_matches(terms: Sequence[Term], language: str, tokens: Sequence[str]) -> set[str]:
    """The tokens (of documents in `language`) whose stem in it is a query word's stem."""
    analyzer = STEM_ANALYZERS[language]
    wanted = {dict(term.stems).get(language, term.stem) for term in terms if not term.phrase}
    # Stemming keeps a word's first letter: only tokens sharing it with a query
    # word's stem can share the stem, so only those are stemmed.
    initials = {stem[:1] for stem in wanted}
    to_stem = [token for token in tokens if token[:1] in initials]
    stems = analyzer.analyze(" ".join(to_stem))
    if len(stems) != len(to_stem):  # folding produced a separator: stem one by one
        stems = [(analyzer.analyze(token) or [token])[0] for token in to_stem]
    return {token for token, stem in zip(to_stem, stems, strict=True) if stem in wanted}


def _matching_tokens(terms: Sequence[Term], texts: Sequence[tuple[str, str]]) -> set[str]:
    """The distinct index tokens of `texts` ((language fields, text) pairs) that some
    query term matched.

    The engine knows that a document matched, not through which of its words: a
    typo or prefix match has no concrete term. Highlighting therefore re-applies
    the matching rules to the words of the page's documents, stems in each document's
    language. A page has about a thousand distinct words, so each rule first narrows
    them with comprehensions and set operations (C speed) before the edit distance,
    in Python, decides.
    """
    by_language: dict[str, set[str]] = {}
    for language, text in texts:
        by_language.setdefault(language, set()).update(EXACT_ANALYZER.analyze(text))
    unique = list(set().union(*by_language.values()))
    matched: set[str] = set()
    for language, tokens in by_language.items():
        if language in STEM_ANALYZERS:
            matched |= _stem_matches(terms, language, list(tokens))
    present = set(unique)
    # Sorted by length, each rule reads only the slice of lengths it can match.
    unique.sort(key=len)
    lengths = list(map(len, unique))
    for term in terms:
        if term.phrase:
            matched.update(present.intersection(term.tokens))
            continue
        word, budget = term.tokens[0], term.budget
        if word in present:
            matched.add(word)
        letters = set(word)
        if term.prefix:
            longer = unique[bisect.bisect_left(lengths, len(word)) :]
            matched.update(t for t in longer if t.startswith(word))
            if budget:
                head = len(word) + budget
                start = bisect.bisect_left(lengths, len(word) - budget)
                candidates = [
                    t for t in unique[start:] if len(letters.difference(t[:head])) <= budget
                ]
                matched.update(t for t in candidates if within_typos_prefix(t, word, budget))
        elif budget:
            start = bisect.bisect_left(lengths, len(word) - budget)
            end = bisect.bisect_right(lengths, len(word) + budget)
            candidates = [t for t in unique[start:end] if len(letters.difference(t)) <= budget]
            matched.update(t for t in candidates if within_typos(t, word, budget))
    return matched


def _marked_title(title: str, matched: set[str]) -> str:
    if not matched:
        return render_marked(title, [])
    tokens = EXACT_ANALYZER.pre_tokenize(title).tokens
    ranges = [(t.char_offset_from, t.char_offset_to) for t in tokens if t.text in matched]
    return render_marked(title, ranges)


def _char_ranges(fragment: str, byte_ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    encoded = fragment.encode()
    return [
        (len(encoded[:start].decode(errors="ignore")), len(encoded[:end].decode(errors="ignore")))
        for start, end in byte_ranges
    ]


def _framed(body: str, start: int, end: int, marked: str) -> str:
    """A fragment's HTML between ellipses where words were cut off on either side
    (`start`, `end`: the fragment's byte offsets in `body`); bare punctuation
    before or after it is kept rather than replaced by an ellipsis."""
    encoded = body.encode()
    before = encoded[:start].decode(errors="ignore")
    after = encoded[end:].decode(errors="ignore")
    if any(c.isalnum() for c in before):
        marked = ELLIPSIS + marked
    else:
        marked = html.escape(before.lstrip()) + marked
    if any(c.isalnum() for c in after):
        return marked + ELLIPSIS
    return marked + html.escape(after.rstrip())


def build_hits(
    searcher: tantivy.Searcher,
    terms: Sequence[Term],
    documents: Sequence[tuple[Any, Document]],
    *,
    relevance: bool,
) -> list[SearchHit]:
    titles = [str(doc.get_first("title") or "") for _, doc in documents]
    bodies = [str(doc.get_first("body") or "") for _, doc in documents]
    languages = [doc.get_first("language") for _, doc in documents]
    # Snippets come from the beginning of long bodies (attachment text can run to
    # megabytes): what is scanned costs time on every search.
    scanned = [body[:SNIPPET_SCAN_CHARS] for body in bodies]
    fields = [language_fields(language) for language in languages]
    texts = [*zip(fields, titles, strict=True), *zip(fields, scanned, strict=True)]
    matched = _matching_tokens(terms, texts) if terms else set()
    generator = None
    if matched:
        highlight = should([Query.term_query(SCHEMA, "text_exact", t) for t in matched])
        generator = tantivy.SnippetGenerator.create(searcher, highlight, SCHEMA, "text_exact")
        generator.set_max_num_chars(SNIPPET_CHARS)
    hits = []
    for (score, doc), title, body, scan, language in zip(
        documents, titles, bodies, scanned, languages, strict=True
    ):
        snippet = ""
        if generator is not None:
            found = generator.snippet_from_doc(Document(text_exact=scan))
            ranges = [(r.start, r.end) for r in found.highlighted()]
            if ranges:
                fragment = found.fragment()
                span = found.fragment_range()
                snippet = _framed(
                    body,
                    span.start,
                    span.end,
                    render_marked(fragment, _char_ranges(fragment, ranges)),
                )
        if not snippet:
            snippet = render_marked(leading_excerpt(body), [])
        key = int(doc.get_first("key") or 0)
        created = doc.get_first("created_at")
        hits.append(
            SearchHit(
                id=doc_id_from_key(key),
                kind=str(doc.get_first("kind")),
                subkind=doc.get_first("subkind"),
                title=title,
                url=str(doc.get_first("url") or ""),
                snippet=snippet,
                countries=tuple(doc.get_all("country")),
                sectors=tuple(doc.get_all("sector")),
                score=float(score) if relevance else 0.0,
                title_html=_marked_title(title, matched),
                created_at=utc(created) if isinstance(created, dt.datetime) else None,
                language=str(language) if language else None,
            )
        )
    return hits
