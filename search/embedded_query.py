"""Building the embedded engine's tantivy queries: the words and phrases of a search, with
their stems, typo budgets and last-word prefix, and the filters as boolean clauses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import tantivy
from tantivy import FieldType, Occur, Query

from search.embedded_schema import (
    PLAIN,
    PREFIX_CHARS,
    QUERY_ANALYZER,
    SCHEMA,
    STEM_ANALYZER,
    STEM_ANALYZERS,
    to_second,
)
from search.engine import SearchQuery
from search.text import MAX_TERMS, MAX_TOKEN_CHARS, split_text, typo_budget

TITLE_BOOST = 2.0
# A typo or prefix match counts for less than the word itself.
FUZZY_WEIGHT = 0.5

Clause = tuple[Occur, Query]


@dataclass(frozen=True)
class Term:
    """One query word (its folded token, its English stem and its stem in each language
    with a stemmer) or one quoted phrase."""

    tokens: tuple[str, ...]
    stem: str = ""
    # (language, stem) for each of STEM_ANALYZERS, in their order.
    stems: tuple[tuple[str, str], ...] = ()
    phrase: bool = False
    prefix: bool = False
    budget: int = 0


def query_terms(text: str) -> list[Term]:
    """The first MAX_TERMS words and phrases of `text`, cut by the index's tokenizer."""
    split = split_text(text)
    terms: list[Term] = []
    for position, chunk in enumerate(split.chunks):
        tokens = QUERY_ANALYZER.analyze(chunk.text)
        if not tokens:
            continue
        if chunk.phrase:
            terms.append(Term(tuple(tokens), phrase=True))
            continue
        last_chunk = position == len(split.chunks) - 1
        for index, token in enumerate(tokens):
            stems = STEM_ANALYZER.analyze(token)
            terms.append(
                Term(
                    (token,),
                    stem=stems[0] if stems else token,
                    stems=stems_of(token),
                    prefix=split.last_is_prefix and last_chunk and index == len(tokens) - 1,
                    budget=typo_budget(token),
                )
            )
    return terms[:MAX_TERMS]


def stems_of(token: str) -> tuple[tuple[str, str], ...]:
    """The token's stem by each language's analyzer."""
    return tuple(
        (code, (analyzer.analyze(token) or [token])[0]) for code, analyzer in STEM_ANALYZERS.items()
    )


def should(queries: Sequence[Query]) -> Query:
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def _term_query(term: Term, *, title_only: bool) -> Query:
    """One word or phrase, matched in the title (or anywhere): its stem in each language's
    stemmed fields, the word itself in the plain ones (text in other languages), the word
    with its typo budget (and as a prefix when it is the last word) in the unstemmed
    exact field; a phrase word for word in the exact field."""
    if any(len(token) > MAX_TOKEN_CHARS for token in term.tokens):
        return Query.empty_query()  # never indexed, so it cannot match
    exact = "title_exact" if title_only else "text_exact"
    if term.phrase:
        if len(term.tokens) == 1:
            return Query.term_query(SCHEMA, exact, term.tokens[0])
        return Query.phrase_query(SCHEMA, exact, list(term.tokens))
    (token,) = term.tokens
    parts = []
    for language, stem in (*term.stems, (PLAIN, token)):
        title = Query.term_query(SCHEMA, f"title_{language}", stem)
        parts.append(Query.boost_query(title, TITLE_BOOST))
        if not title_only:
            parts.append(Query.term_query(SCHEMA, f"body_{language}", stem))
    if not title_only:
        parts.append(Query.term_query(SCHEMA, "keywords", term.stem))
    if term.prefix or term.budget:
        parts.append(_loose_query(token, term, exact, title_only=title_only))
    return should(parts)


def _loose_query(token: str, term: Term, exact: str, *, title_only: bool) -> Query:
    """The word with its typo budget, and as the beginning of a word when it is a prefix,
    in the unstemmed words (`exact`, the title's or all text's); it scores FUZZY_WEIGHT. A prefix with no typo budget (at most
    PREFIX_CHARS characters) is one term of the beginnings' field: the same documents as
    the automaton walk over the exact field (constant-scored alike) without walking."""
    if exact_prefix(term):
        beginning = Query.term_query(SCHEMA, prefix_field(title_only=title_only), token)
        return Query.const_score_query(beginning, FUZZY_WEIGHT)
    fuzzy = Query.fuzzy_term_query(
        SCHEMA, exact, token, term.budget, transposition_cost_one=True, prefix=term.prefix
    )
    return Query.boost_query(fuzzy, FUZZY_WEIGHT)


def prefix_field(*, title_only: bool) -> str:
    return "title_prefix" if title_only else "text_prefix"


def exact_prefix(term: Term) -> bool:
    """Whether the term is a prefix that its beginnings' field answers exactly."""
    return (
        term.prefix and not term.phrase and not term.budget and len(term.tokens[0]) <= PREFIX_CHARS
    )


# The commonest words of `text_exact` kept for prefixes' lower bounds, and for how long.
COMMON_TERMS = 500
COMMON_TERMS_SECONDS = 600.0


class CommonTerms:
    """The COMMON_TERMS commonest words of `text_exact` with their document frequencies,
    read at most every COMMON_TERMS_SECONDS or when the generation changes (a walk of the
    whole term dictionary: tens of milliseconds at a million documents). A prefix matches
    at least the documents of its commonest word. Only a guide for choosing how to count
    facets, so a table a few commits old does no harm."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: tuple[object, float, list[tuple[str, int]]] | None = None

    def _table(self, searcher: tantivy.Searcher, generation: object) -> list[tuple[str, int]]:
        now = time.monotonic()
        with self._lock:
            read = self._read
        if read is None or read[0] != generation or now - read[1] > COMMON_TERMS_SECONDS:
            terms = [
                (str(term), int(count))
                for term, count in searcher.terms_with_prefix("text_exact", "", limit=COMMON_TERMS)
            ]
            read = (generation, now, terms)
            with self._lock:
                self._read = read
        return read[2]

    def floor(self, searcher: tantivy.Searcher, generation: object, prefix: str) -> int:
        """The documents of the commonest word beginning with `prefix`: a prefix matches
        at least those."""
        table = self._table(searcher, generation)
        return max((count for term, count in table if term.startswith(prefix)), default=0)

    def spread(self, searcher: tantivy.Searcher, generation: object, prefix: str) -> int:
        """The documents of the common words beginning with `prefix`, added up: a guess at
        how many a prefix matches (documents holding several count several times, rarer
        words not at all)."""
        table = self._table(searcher, generation)
        return sum(count for term, count in table if term.startswith(prefix))


def matches_at_least(
    searcher: tantivy.Searcher,
    terms: Sequence[Term],
    *,
    title_only: bool,
    prefix_floor: Callable[[str], int] = lambda prefix: 0,
) -> int:
    """A lower bound of the documents text_query(terms) matches, from document frequencies
    alone: each word matches at least as many as its commonest field holds it (a prefix,
    `prefix_floor(word)` too), and all of them at least the sum of those less the
    documents each can miss. Only a guide (the facet counter's choice of method):
    frequencies still count deleted documents."""
    total = searcher.num_docs
    bounds = []
    exact = "title_exact" if title_only else "text_exact"
    for term in terms:
        if term.phrase:
            bounds.append(searcher.doc_freq(exact, term.tokens[0]) if len(term.tokens) == 1 else 0)
            continue
        (token,) = term.tokens
        if len(token) > MAX_TOKEN_CHARS:
            return 0
        spelled = (*term.stems, (PLAIN, token))
        fields = [(f"title_{language}", stem) for language, stem in spelled]
        if not title_only:
            fields += [(f"body_{language}", stem) for language, stem in spelled]
            fields.append(("keywords", term.stem))
        if term.prefix or term.budget:
            fields.append((exact, token))
        if exact_prefix(term):
            # Every document holding a word that begins so, exactly (deleted ones too).
            fields.append((prefix_field(title_only=title_only), token))
        bound = max(searcher.doc_freq(field, value) for field, value in fields)
        if term.prefix and not title_only:
            bound = max(bound, prefix_floor(token))
        bounds.append(bound)
    return max(0, sum(bounds) - (len(bounds) - 1) * total)


# A word with a typo budget matches its misspellings too: guessed as this many times its
# commonest spelling's documents.
TYPO_SPREAD = 2.0


def matches_about(
    searcher: tantivy.Searcher,
    terms: Sequence[Term],
    *,
    title_only: bool,
    prefix_spread: Callable[[str], int] = lambda prefix: 0,
) -> int:
    """A guess (not a bound) at the documents text_query(terms) matches, from document
    frequencies alone: each word its commonest field's documents (TYPO_SPREAD times
    that with a typo budget; a prefix, at least `prefix_spread(word)`), the words as if
    independent. Only a guide for the facet counter's choice of method."""
    total = searcher.num_docs
    if not total:
        return 0
    share = 1.0
    for term in terms:
        bound = matches_at_least(searcher, [term], title_only=title_only)
        if term.budget:
            bound = int(bound * TYPO_SPREAD)
        if term.prefix and not term.phrase and not exact_prefix(term):
            bound = max(bound, prefix_spread(term.tokens[0]))
        share *= min(1.0, bound / total)
    return int(share * total)


def text_query(terms: Sequence[Term], *, title_only: bool) -> Query | None:
    """Every term must match; None when there is no term (the filters alone decide)."""
    if not terms:
        return None
    return Query.boolean_query([(Occur.Must, _term_query(t, title_only=title_only)) for t in terms])


def _any_of(field: str, values: Sequence[str]) -> Query:
    # A union of term queries: cheaper than a term-set query inside a conjunction.
    unique = list(dict.fromkeys(values))
    if len(unique) == 1:
        return Query.term_query(SCHEMA, field, unique[0])
    return should([Query.term_query(SCHEMA, field, value) for value in unique])


def filter_clauses(query: SearchQuery, visibilities_present: Iterable[str]) -> list[Clause]:
    """The query's filters as boolean clauses.

    Visibility is an allow-list, but almost every document passes it; excluding the
    values that are present and not allowed (usually none or one) costs far less
    than intersecting with the union of the allowed ones.
    """
    clauses: list[Clause] = []
    for field, values in (
        ("kind", query.kinds),
        ("subkind", query.subkinds),
        ("country", query.countries),
        ("sector", query.sectors),
        ("category", query.categories),
    ):
        if values:
            clauses.append((Occur.Must, _any_of(field, values)))
    allowed = set(query.visibilities)
    for value in sorted(set(visibilities_present) - allowed):
        clauses.append((Occur.MustNot, Query.term_query(SCHEMA, "visibility", value)))
    if query.date_from is not None or query.date_to is not None:
        clauses.append(
            (
                Occur.Must,
                Query.range_query(
                    SCHEMA,
                    "created_at",
                    FieldType.Date,
                    to_second(query.date_from) if query.date_from else None,
                    to_second(query.date_to) if query.date_to else None,
                    include_lower=True,
                    # An open side must be inclusive; a closed upper side is exclusive.
                    include_upper=query.date_to is None,
                ),
            )
        )
    return clauses


def combine(text: Query | None, filters: Sequence[Clause]) -> Query:
    return Query.boolean_query([(Occur.Must, text or Query.all_query()), *filters])
