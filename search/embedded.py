"""The embedded search engine: tantivy, in a directory of the forum's data dir.

Layout of `path` (the forum passes `<data dir>/search/`):

    CURRENT        {"generation": "gen-000003", "schema": 1}, replaced atomically
    gen-000003/    the live tantivy index
    gen-000004/    a rebuild in progress (start_rebuild), until finish_rebuild
    .lock          serialises creating indexes and switching CURRENT
    .rebuild.lock  held while a rebuild runs

One process writes (the worker, or the web process when no worker runs): tantivy
allows one IndexWriter per index across processes and a second one fails with
SearchError. Every process may read: before each search the engine compares
CURRENT and the index's meta.json with what it last saw (two stat calls) and
reloads or reopens when they changed, so a reader sees a writer's commit on its
next search and a rebuild's switch the same way.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import fcntl
import html
import json
import os
import shutil
import tempfile
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Self

import tantivy
from tantivy import Document, FieldType, Filter, Occur, Order, Query, Tokenizer

from search.engine import (
    FACETS,
    SearchDoc,
    SearchError,
    SearchHit,
    SearchIndexOutdated,
    SearchQuery,
    SearchResults,
    doc_id_from_key,
    doc_key,
)
from search.text import (
    ELLIPSIS,
    MAX_TERMS,
    MAX_TOKEN_CHARS,
    SNIPPET_CHARS,
    leading_excerpt,
    render_marked,
    split_text,
    typo_budget,
    within_typos,
    within_typos_prefix,
)

# Bump when the schema or the analyzers change: an older index then raises
# SearchIndexOutdated until `forum search reindex` has built a new one.
SCHEMA_VERSION = 2
STEMMED = "forum_stemmed"
EXACT = "forum_exact"
TITLE_BOOST = 2.0
# A typo or prefix match counts for less than the word itself.
FUZZY_WEIGHT = 0.5
# Terms aggregations are exact only when every value fits in one bucket list.
FACET_SIZE = 1000
# How much of a body is searched for the snippet's words.
SNIPPET_SCAN_CHARS = 20_000
# A text search matching at least this many documents computes its filters' universe
# (cached per index version) so that the next broad one counts by difference.
UNIVERSE_AFTER_MATCHES = 20_000
# Filter combinations whose facet counts are kept (per index version).
FACET_CACHE_ENTRIES = 128
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


_STEM = _analyzer(stem=True)
_EXACT = _analyzer(stem=False)
# Query words are cut without the length filter, so that a 500-letter word is a
# word that matches nothing rather than no word at all.
_QUERY = _analyzer(stem=False, remove_long=False)


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


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# tantivy stores dates as nanoseconds in a signed 64-bit integer: 1677-09-22 to 2262-04-11.
# Dates past either end, in documents and in filters alike, are clamped to that range
# instead of failing: a document dated 2300 is kept as of 2262-04-11, a filter until 1600
# matches nothing and one from 9999 only such far-future documents.
DATE_MIN = dt.datetime(1677, 9, 22, tzinfo=dt.UTC)
DATE_MAX = dt.datetime(2262, 4, 11, tzinfo=dt.UTC)


def _clamped(value: dt.datetime) -> dt.datetime:
    return min(max(_utc(value), DATE_MIN), DATE_MAX)


def _second(value: dt.datetime) -> dt.datetime:
    return _clamped(value).replace(microsecond=0)


def _stat_signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _writer_lock_free(generation_dir: Path) -> bool:
    """True when no IndexWriter (in any process) holds this index's lock file."""
    lock = generation_dir / ".tantivy-writer.lock"
    if not lock.exists():
        return True
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True


@dataclass(frozen=True)
class _Term:
    """One query word (its folded token and stem) or one quoted phrase."""

    tokens: tuple[str, ...]
    stem: str = ""
    phrase: bool = False
    prefix: bool = False
    budget: int = 0


def _terms(text: str) -> list[_Term]:
    """The first MAX_TERMS words and phrases of `text`, cut by the index's tokenizer."""
    split = split_text(text)
    terms: list[_Term] = []
    for position, chunk in enumerate(split.chunks):
        tokens = _QUERY.analyze(chunk.text)
        if not tokens:
            continue
        if chunk.phrase:
            terms.append(_Term(tuple(tokens), phrase=True))
            continue
        last_chunk = position == len(split.chunks) - 1
        for index, token in enumerate(tokens):
            stems = _STEM.analyze(token)
            terms.append(
                _Term(
                    (token,),
                    stem=stems[0] if stems else token,
                    prefix=split.last_is_prefix and last_chunk and index == len(tokens) - 1,
                    budget=typo_budget(token),
                )
            )
    return terms[:MAX_TERMS]


def _should(queries: Sequence[Query]) -> Query:
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def _term_query(term: _Term, *, title_only: bool) -> Query:
    """One word or phrase, matched in the title (or anywhere): its stem in the
    stemmed fields, the word with its typo budget (and as a prefix when it is the
    last word) in the unstemmed one; a phrase word for word in the unstemmed one."""
    if any(len(token) > MAX_TOKEN_CHARS for token in term.tokens):
        return Query.empty_query()  # never indexed, so it cannot match
    exact = "title_exact" if title_only else "text_exact"
    if term.phrase:
        if len(term.tokens) == 1:
            return Query.term_query(SCHEMA, exact, term.tokens[0])
        return Query.phrase_query(SCHEMA, exact, list(term.tokens))
    (token,) = term.tokens
    parts = [Query.boost_query(Query.term_query(SCHEMA, "title", term.stem), TITLE_BOOST)]
    if not title_only:
        parts.append(Query.term_query(SCHEMA, "body", term.stem))
        parts.append(Query.term_query(SCHEMA, "keywords", term.stem))
    if term.prefix or term.budget:
        fuzzy = Query.fuzzy_term_query(
            SCHEMA, exact, token, term.budget, transposition_cost_one=True, prefix=term.prefix
        )
        parts.append(Query.boost_query(fuzzy, FUZZY_WEIGHT))
    return parts[0] if len(parts) == 1 else _should(parts)


def _any_of(field: str, values: Sequence[str]) -> Query:
    # A union of term queries: cheaper than a term-set query inside a conjunction.
    unique = list(dict.fromkeys(values))
    if len(unique) == 1:
        return Query.term_query(SCHEMA, field, unique[0])
    return _should([Query.term_query(SCHEMA, field, value) for value in unique])


Clause = tuple[Occur, Query]


def _filters(query: SearchQuery, visibilities_present: Iterable[str]) -> list[Clause]:
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
                    _second(query.date_from) if query.date_from else None,
                    _second(query.date_to) if query.date_to else None,
                    include_lower=True,
                    # An open side must be inclusive; a closed upper side is exclusive.
                    include_upper=query.date_to is None,
                ),
            )
        )
    return clauses


def _combine(text_query: Query | None, filters: Sequence[Clause]) -> Query:
    return Query.boolean_query([(Occur.Must, text_query or Query.all_query()), *filters])


def _matching_tokens(terms: Sequence[_Term], texts: Sequence[str]) -> set[str]:
    """The distinct index tokens of `texts` that some query term matched.

    The engine knows that a document matched, not through which of its words: a
    typo or prefix match has no concrete term. Highlighting therefore re-applies
    the matching rules to the words of the page's documents. A page has about a
    thousand distinct words, so each rule first narrows them with comprehensions
    and set operations (C speed) before the edit distance, in Python, decides.
    """
    unique = list(set().union(*(_EXACT.analyze(text) for text in texts)))
    # Stemming keeps a word's first letter: only tokens sharing it with a query
    # word's stem can share the stem, so only those are stemmed.
    initials = {term.stem[:1] for term in terms if not term.phrase}
    to_stem = [token for token in unique if token[:1] in initials]
    stems = _STEM.analyze(" ".join(to_stem))
    if len(stems) != len(to_stem):  # folding produced a separator: stem one by one
        stems = [(_STEM.analyze(token) or [token])[0] for token in to_stem]
    by_stem: dict[str, list[str]] = {}
    for token, stem in zip(to_stem, stems, strict=True):
        by_stem.setdefault(stem, []).append(token)
    present = set(unique)
    # Sorted by length, each rule reads only the slice of lengths it can match.
    unique.sort(key=len)
    lengths = list(map(len, unique))
    matched: set[str] = set()
    for term in terms:
        if term.phrase:
            matched.update(present.intersection(term.tokens))
            continue
        word, budget = term.tokens[0], term.budget
        matched.update(by_stem.get(term.stem, ()))
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
    tokens = _EXACT.pre_tokenize(title).tokens
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


def _aggregate(searcher: tantivy.Searcher, query: Query) -> dict[str, dict[str, int]]:
    request = {
        name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}} for name in FACETS
    }
    try:
        answer = searcher.aggregate(query, request)
    except ValueError as exc:
        raise SearchError(f"facet counts failed: {exc}") from exc
    return {
        name: {
            str(bucket["key"]): int(bucket["doc_count"])
            for bucket in answer.get(name, {}).get("buckets", [])
        }
        for name in FACETS
    }


def _count_documents(documents: Iterable[Document]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for doc in documents:
        for name in FACETS:
            counts[name].update(set(doc.get_all(FACET_FIELDS[name])))
    return {name: dict(counter) for name, counter in counts.items()}


def _subtract(
    whole: dict[str, dict[str, int]], part: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    result = {}
    for name, counts in whole.items():
        missed = part.get(name, {})
        left = {value: count - missed.get(value, 0) for value, count in counts.items()}
        result[name] = {value: count for value, count in left.items() if count > 0}
    return result


class EmbeddedEngine:
    """SearchEngine over a tantivy index in `path`; see the module docstring."""

    def __init__(
        self,
        path: Path | str,
        *,
        writer_heap_bytes: int = 128_000_000,
        writer_threads: int = 0,
        rebuild_heap_bytes: int = 1_000_000_000,
        _generation: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._writer_heap = writer_heap_bytes
        self._writer_threads = writer_threads
        self._rebuild_heap = rebuild_heap_bytes
        # A rebuild target is pinned to its generation; the live engine follows CURRENT.
        self._pinned = _generation
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._generation: str | None = None
        self._current_signature: tuple[int, int, int] | None = None
        self._meta_signature: tuple[int, int, int] | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._writer_generation: str | None = None
        self._rebuild_lock: IO[str] | None = None
        self._facet_cache: OrderedDict[tuple[object, ...], tuple[int, dict[str, dict[str, int]]]]
        self._facet_cache = OrderedDict()

    # -- where the index lives ---------------------------------------------------

    @property
    def _current_file(self) -> Path:
        return self.path / "CURRENT"

    def _read_current(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._current_file.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SearchError(f"unreadable {self._current_file}: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("generation"), str):
            raise SearchError(f"unreadable {self._current_file}: {data!r}")
        return data

    def _write_current(self, generation: str) -> None:
        payload = json.dumps({"generation": generation, "schema": SCHEMA_VERSION})
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".CURRENT.")
        with os.fdopen(fd, "w") as fh:
            fh.write(payload + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._current_file)

    def _generations(self) -> list[str]:
        return sorted(p.name for p in self.path.glob("gen-*") if p.is_dir())

    def _new_generation(self, after: int = 0) -> str:
        numbers = [int(name.removeprefix("gen-")) for name in self._generations()]
        # Names are never reused, so no reader can mistake a new index for an old one.
        name = f"gen-{max([after, *numbers]) + 1:06d}"
        index = tantivy.Index(SCHEMA, path=str(self._make_dir(name)), reuse=False)
        del index
        return name

    def _make_dir(self, name: str) -> Path:
        directory = self.path / name
        directory.mkdir(parents=True)
        return directory

    def _remove_stale_generations(self, keep: set[str]) -> None:
        """Delete other generations once no writer uses them. Readers that still map
        their files are unaffected (Linux keeps unlinked files until unmapped)."""
        for name in self._generations():
            directory = self.path / name
            if name not in keep and _writer_lock_free(directory):
                shutil.rmtree(directory, ignore_errors=True)

    # -- opening and reloading ---------------------------------------------------

    def _open(self) -> tantivy.Index:
        if self._pinned is not None:
            generation = self._pinned
        else:
            self._current_signature = _stat_signature(self._current_file)
            current = self._read_current()
            if current is None:
                raise SearchError(f"no search index in {self.path}: call ensure_index() first")
            if current.get("schema") != SCHEMA_VERSION:
                raise SearchIndexOutdated(
                    f"the search index in {self.path} has schema {current.get('schema')}, "
                    f"this code needs {SCHEMA_VERSION}: run `forum search reindex`"
                )
            generation = current["generation"]
        directory = self.path / generation
        try:
            index = tantivy.Index.open(str(directory))
        except ValueError as exc:
            raise SearchError(f"cannot open the search index {directory}: {exc}") from exc
        index.register_tokenizer(STEMMED, _STEM)
        index.register_tokenizer(EXACT, _EXACT)
        index.config_reader("manual")
        self._index = index
        self._generation = generation
        self._meta_signature = _stat_signature(directory / "meta.json")
        return index

    def _fresh_index(self) -> tantivy.Index:
        """The index as last committed by any process (reopened after a switch)."""
        with self._lock:
            index = self._index
            if index is None or (
                self._pinned is None
                and _stat_signature(self._current_file) != self._current_signature
            ):
                index = self._open()
            meta = _stat_signature(self.path / str(self._generation) / "meta.json")
            if meta != self._meta_signature:
                try:
                    index.reload()
                except ValueError as exc:
                    raise SearchError(f"cannot reload the search index: {exc}") from exc
                self._meta_signature = meta
            return index

    # -- writing -----------------------------------------------------------------

    def _get_writer(self) -> tantivy.IndexWriter:
        index = self._fresh_index()
        if self._writer is not None and self._writer_generation != self._generation:
            self._drop_writer()  # a rebuild switched generations under us
        if self._writer is None:
            # A rebuild writes with one thread and a large budget: fewer, bigger segments.
            heap, threads = (
                (self._writer_heap, self._writer_threads)
                if self._pinned is None
                else (self._rebuild_heap, 1)
            )
            try:
                self._writer = index.writer(heap, threads)
            except ValueError as exc:
                raise SearchError(
                    f"cannot write to the search index in {self.path}: {exc} "
                    "(only one process may write: the worker, or the web process without one)"
                ) from exc
            self._writer_generation = self._generation
        return self._writer

    def _drop_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(ValueError, RuntimeError):
                writer.wait_merging_threads()

    def _commit(self, apply: Any) -> None:
        """Run `apply(writer)` and commit, all or nothing.

        A rebuild target does not commit here: its documents are committed once, by
        finish_rebuild(), which gives one large segment instead of one per batch (a
        typo query costs an automaton walk per segment). A failure during a rebuild
        therefore loses the rebuild, never the live index.
        """
        with self._lock:
            writer = self._get_writer()
            try:
                apply(writer)
                if self._pinned is None:
                    writer.commit()
            except (ValueError, RuntimeError, OSError) as exc:
                with contextlib.suppress(ValueError, RuntimeError):
                    writer.rollback()
                raise SearchError(f"search index write failed: {exc}") from exc
            if self._pinned is not None:
                return
            index = self._index
            assert index is not None
            index.reload()
            self._meta_signature = _stat_signature(self.path / str(self._generation) / "meta.json")

    @staticmethod
    def _document(doc: SearchDoc) -> tuple[int, Document]:
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
            "created_at": _clamped(doc.created_at),
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

    # -- the protocol --------------------------------------------------------------

    def ensure_index(self) -> None:
        """Create the index when there is none; raises SearchIndexOutdated for an old one."""
        with self._lock:
            if self._pinned is not None:
                self._fresh_index()
                return
            self.path.mkdir(parents=True, exist_ok=True)
            with _file_lock(self.path / ".lock"):
                if self._read_current() is None:
                    self._write_current(self._new_generation())
            self._fresh_index()

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        prepared = [self._document(doc) for doc in docs]  # bad input fails before writing
        if not prepared:
            return

        def apply(writer: tantivy.IndexWriter) -> None:
            for key, document in prepared:
                # A delete affects only documents added before it: this replaces.
                writer.delete_documents_by_term("key", key)
                writer.add_document(document)

        self._commit(apply)

    def delete(self, ids: Sequence[str]) -> None:
        keys = [doc_key(doc_id) for doc_id in ids]
        if not keys:
            return

        def apply(writer: tantivy.IndexWriter) -> None:
            for key in keys:
                writer.delete_documents_by_term("key", key)

        self._commit(apply)

    def clear(self) -> None:
        self._commit(lambda writer: writer.delete_all_documents())

    def search(self, query: SearchQuery) -> SearchResults:
        empty = SearchResults(hits=[], total=0, facets={name: {} for name in FACETS})
        if not query.visibilities:
            return empty
        with self._lock:
            index = self._fresh_index()
            searcher = index.searcher()
            version = (self._generation, self._meta_signature)
        title_only = "title" in query.fields
        present = [term for term, _ in searcher.terms_with_prefix("visibility", "")]
        filters = _filters(query, present)
        terms = _terms(query.text)
        offset = (query.page - 1) * query.per_page
        # All words must match; when nothing does, drop words from the end.
        kept = len(terms)
        while True:
            # Only the original last word is a prefix, and it is the first to go.
            active = terms[:kept]
            text_query = (
                Query.boolean_query(
                    [(Occur.Must, _term_query(t, title_only=title_only)) for t in active]
                )
                if active
                else None
            )
            full = _combine(text_query, filters)
            try:
                if query.sort == "newest":
                    result = searcher.search(
                        full,
                        query.per_page,
                        count=True,
                        order_by_field="created_at",
                        offset=offset,
                        order=Order.Desc,
                    )
                else:
                    result = searcher.search(full, query.per_page, count=True, offset=offset)
            except ValueError as exc:
                raise SearchError(f"search failed: {exc}") from exc
            total = int(getattr(result, "count", 0) or 0)
            if total or kept <= 1:
                break
            kept -= 1
        if not total:
            return empty
        documents = [(score, searcher.doc(address)) for score, address in result.hits]
        if offset == 0 and total <= len(documents):
            # Every match is on this page: count from the documents themselves.
            facets = _count_documents(doc for _, doc in documents)
        else:
            facets = self._facets(searcher, version, query, filters, text_query, total)
        hits = self._hits(searcher, active, documents, relevance=query.sort != "newest")
        return SearchResults(hits=hits, total=total, facets=facets)

    def _facets(
        self,
        searcher: tantivy.Searcher,
        version: tuple[object, ...],
        query: SearchQuery,
        filters: Sequence[Clause],
        text_query: Query | None,
        total: int,
    ) -> dict[str, dict[str, int]]:
        """Facet counts over every matching document.

        Counting is the costly part of a broad search (tantivy's terms aggregation
        visits each matching document's values), so the counts of the filters alone
        are kept per index version, and a text matching more than half of them is
        counted as "all of the filters' documents minus those the text misses".
        """
        if text_query is None:
            return self._universe(searcher, version, query, filters)[1]
        with self._lock:
            cached = self._facet_cache.get(self._filter_key(version, query))
        if cached is not None and total * 2 > cached[0]:
            missed = Query.boolean_query(
                [(Occur.Must, Query.all_query()), *filters, (Occur.MustNot, text_query)]
            )
            return _subtract(cached[1], _aggregate(searcher, missed))
        facets = _aggregate(searcher, _combine(text_query, filters))
        if cached is None and total >= UNIVERSE_AFTER_MATCHES:
            # A broad search: remember the universe for the next one with these filters.
            # Narrow ones never pay for it (at 1M documents it costs ~100 ms, and every
            # commit clears it).
            self._universe(searcher, version, query, filters)
        return facets

    @staticmethod
    def _filter_key(version: tuple[object, ...], query: SearchQuery) -> tuple[object, ...]:
        return (
            version,
            *(
                tuple(sorted(set(values)))
                for values in (
                    query.kinds,
                    query.subkinds,
                    query.countries,
                    query.sectors,
                    query.categories,
                    query.visibilities,
                )
            ),
            _second(query.date_from) if query.date_from else None,
            _second(query.date_to) if query.date_to else None,
        )

    def _universe(
        self,
        searcher: tantivy.Searcher,
        version: tuple[object, ...],
        query: SearchQuery,
        filters: Sequence[Clause],
    ) -> tuple[int, dict[str, dict[str, int]]]:
        """(documents, facet counts) of the filters alone, cached for this index version."""
        key = self._filter_key(version, query)
        with self._lock:
            cached = self._facet_cache.get(key)
            if cached is not None:
                self._facet_cache.move_to_end(key)
                return cached
        universe = _combine(None, filters)
        count = int(getattr(searcher.search(universe, 1, count=True), "count", 0) or 0)
        entry = (count, _aggregate(searcher, universe))
        with self._lock:
            if self._facet_cache and next(iter(self._facet_cache))[0] != version:
                self._facet_cache.clear()  # a commit made every entry stale
            self._facet_cache[key] = entry
            while len(self._facet_cache) > FACET_CACHE_ENTRIES:
                self._facet_cache.popitem(last=False)
        return entry

    def _hits(
        self,
        searcher: tantivy.Searcher,
        terms: Sequence[_Term],
        documents: Sequence[tuple[Any, Document]],
        *,
        relevance: bool,
    ) -> list[SearchHit]:
        titles = [str(doc.get_first("title") or "") for _, doc in documents]
        bodies = [str(doc.get_first("body") or "") for _, doc in documents]
        # Snippets come from the beginning of long bodies (attachment text can run to
        # megabytes): what is scanned costs time on every search.
        scanned = [body[:SNIPPET_SCAN_CHARS] for body in bodies]
        matched = _matching_tokens(terms, titles + scanned) if terms else set()
        generator = None
        if matched:
            highlight = _should([Query.term_query(SCHEMA, "text_exact", t) for t in matched])
            generator = tantivy.SnippetGenerator.create(searcher, highlight, SCHEMA, "text_exact")
            generator.set_max_num_chars(SNIPPET_CHARS)
        hits = []
        for (score, doc), title, body, scan in zip(documents, titles, bodies, scanned, strict=True):
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
                    created_at=_utc(created) if isinstance(created, dt.datetime) else None,
                )
            )
        return hits

    def stats(self) -> dict[str, object]:
        index = self._fresh_index()
        searcher = index.searcher()
        directory = self.path / str(self._generation)
        size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
        return {
            "engine": "embedded",
            "path": str(self.path),
            "generation": self._generation,
            "documents": searcher.num_docs,
            "segments": searcher.num_segments,
            "size_bytes": size,
        }

    # -- rebuilds ------------------------------------------------------------------

    def start_rebuild(self) -> Self:
        self.path.mkdir(parents=True, exist_ok=True)
        lock = (self.path / ".rebuild.lock").open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.close()
            raise SearchError(f"a rebuild of {self.path} is already running") from exc
        try:
            with _file_lock(self.path / ".lock"):
                current = self._read_current()
                keep = {current["generation"]} if current else set()
                last = max((int(n.removeprefix("gen-")) for n in self._generations()), default=0)
                self._remove_stale_generations(keep)
                generation = self._new_generation(after=last)
        except BaseException:
            lock.close()
            raise
        target = type(self)(
            self.path,
            writer_heap_bytes=self._writer_heap,
            writer_threads=self._writer_threads,
            rebuild_heap_bytes=self._rebuild_heap,
            _generation=generation,
        )
        target._rebuild_lock = lock
        target.ensure_index()
        return target

    def finish_rebuild(self, target: Self) -> None:
        if target.path != self.path or target._pinned is None:
            raise ValueError("finish_rebuild() takes the engine start_rebuild() returned")
        generation = target._pinned
        with target._lock:
            if target._writer is not None:
                try:
                    target._writer.commit()
                except (ValueError, RuntimeError, OSError) as exc:
                    raise SearchError(f"committing the rebuilt index failed: {exc}") from exc
            target._drop_writer()  # waits for its merges
        with self._lock:
            with _file_lock(self.path / ".lock"):
                self._write_current(generation)
            self._drop_writer()
            self._index = None
            self._open()
            self._remove_stale_generations({generation})
        target.close()

    def close(self) -> None:
        with self._lock:
            self._drop_writer()
            self._index = None
            if self._rebuild_lock is not None:
                self._rebuild_lock.close()  # closing the file releases its flock
                self._rebuild_lock = None
