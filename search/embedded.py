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

This module opens, writes and searches; the schema, the directory, query building,
facet counting and highlighting are in the `search/embedded_*.py` modules beside it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any, Self

import tantivy
from tantivy import Order

from search.embedded_facets import FacetCounter, Facets, count_documents
from search.embedded_files import IndexDirectory, file_lock, stat_signature
from search.embedded_query import (
    CommonTerms,
    combine,
    exact_prefix,
    filter_clauses,
    matches_about,
    matches_at_least,
    query_terms,
    text_query,
)
from search.embedded_schema import SCHEMA_VERSION, register_analyzers, to_document
from search.embedded_snippets import build_hits
from search.engine import (
    FACETS,
    SearchDoc,
    SearchError,
    SearchIndexOutdated,
    SearchQuery,
    SearchResults,
    doc_key,
)


def _total(facets: Facets) -> int:
    """The documents the facets were counted over: every document has exactly one kind."""
    return sum(facets["kind"].values())


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
        self._files = IndexDirectory(self.path)
        self._facets = FacetCounter()
        self._common = CommonTerms()

    # -- opening and reloading ---------------------------------------------------

    def _open(self) -> tantivy.Index:
        if self._pinned is not None:
            generation = self._pinned
        else:
            self._current_signature = stat_signature(self._files.current_file)
            current = self._files.read_current()
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
        register_analyzers(index)
        index.config_reader("manual")
        self._index = index
        self._generation = generation
        self._meta_signature = stat_signature(directory / "meta.json")
        return index

    def _fresh_index(self) -> tantivy.Index:
        """The index as last committed by any process (reopened after a switch)."""
        with self._lock:
            index = self._index
            if index is None or (
                self._pinned is None
                and stat_signature(self._files.current_file) != self._current_signature
            ):
                index = self._open()
            meta = stat_signature(self.path / str(self._generation) / "meta.json")
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
            self._meta_signature = stat_signature(self.path / str(self._generation) / "meta.json")

    # -- the protocol --------------------------------------------------------------

    def ensure_index(self) -> None:
        """Create the index when there is none; raises SearchIndexOutdated for an old one."""
        with self._lock:
            if self._pinned is not None:
                self._fresh_index()
                return
            self.path.mkdir(parents=True, exist_ok=True)
            with file_lock(self.path / ".lock"):
                if self._files.read_current() is None:
                    self._files.write_current(self._files.new_generation())
            self._fresh_index()

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        prepared = [to_document(doc) for doc in docs]  # bad input fails before writing
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
        filters = filter_clauses(query, present)
        terms = query_terms(query.text)
        offset = (query.page - 1) * query.per_page
        # All words must match; when nothing does, drop words from the end.
        kept = len(terms)
        total = 0
        counting: Future[Facets] | None = None
        while True:
            # Only the original last word is a prefix, and it is the first to go.
            active = terms[:kept]
            text = text_query(active, title_only=title_only)
            full = combine(text, filters)
            if text is not None and kept == len(terms):
                # The facets are counted on another thread while this one searches and
                # builds the page (tantivy lets go of the GIL in both).
                at_least = functools.partial(
                    matches_at_least,
                    searcher,
                    active,
                    title_only=title_only,
                    prefix_floor=functools.partial(self._common.floor, searcher, version[0]),
                )
                about = functools.partial(
                    matches_about,
                    searcher,
                    active,
                    title_only=title_only,
                    prefix_spread=functools.partial(self._common.spread, searcher, version[0]),
                )
                counting = self._facets.start(
                    searcher, version, query, filters, text, at_least,
                    # A prefix's words are unknown, except a beginning's (indexed).
                    may_be_broad=any(t.prefix and not exact_prefix(t) for t in active),
                    text_matches_about=about,
                )  # fmt: skip
            # When the facets are being counted, they give the total too (every document
            # has one kind): the search then only ranks, which lets tantivy skip the
            # documents that cannot reach the page instead of counting every match.
            count = counting is None
            try:
                if query.sort == "newest":
                    result = searcher.search(
                        full,
                        query.per_page,
                        count=count,
                        order_by_field="created_at",
                        offset=offset,
                        order=Order.Desc,
                    )
                else:
                    result = searcher.search(full, query.per_page, count=count, offset=offset)
            except ValueError as exc:
                raise SearchError(f"search failed: {exc}") from exc
            page = result.hits
            if counting is not None and page:
                break  # it matches: the total comes with the facets, once the page is built
            total = (
                _total(counting.result())
                if counting is not None
                else int(getattr(result, "count", 0) or 0)
            )
            if total or kept <= 1:
                break
            kept -= 1
            counting = None  # it counts the words that matched nothing
        if counting is None and not total:
            return empty
        documents = [(score, searcher.doc(address)) for score, address in page]
        hits = build_hits(searcher, active, documents, relevance=query.sort != "newest")
        if counting is not None:
            facets = counting.result()
            total = _total(facets)
            if not total:
                return empty
            self._facets.remember(searcher, version, query, filters, total)
        elif offset == 0 and total <= len(documents):
            # Every match is on this page: count from the documents themselves.
            facets = count_documents(doc for _, doc in documents)
        else:
            facets = self._facets.counts(searcher, version, query, filters, text, total)
        return SearchResults(hits=hits, total=total, facets=facets)

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

    def health(self) -> dict[str, object]:
        """Local and cheap: the document count of the live generation."""
        documents = self._fresh_index().searcher().num_docs
        return {"engine": "embedded", "ok": True, "documents": documents}

    def check_writes(self) -> list[str]:
        """Writes fail when they are made (SearchError): nothing fails later."""
        return []

    def settle(self) -> None:
        """Writes are applied when they return (a rebuild's at finish_rebuild)."""

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
            with file_lock(self.path / ".lock"):
                current = self._files.read_current()
                keep = {current["generation"]} if current else set()
                last = max(
                    (int(n.removeprefix("gen-")) for n in self._files.generations()), default=0
                )
                self._files.remove_stale_generations(keep)
                generation = self._files.new_generation(after=last)
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
            with file_lock(self.path / ".lock"):
                self._files.write_current(generation)
            self._drop_writer()
            self._index = None
            self._open()
            self._files.remove_stale_generations({generation})
        target.close()

    def close(self) -> None:
        self._facets.close()
        with self._lock:
            self._drop_writer()
            self._index = None
            if self._rebuild_lock is not None:
                self._rebuild_lock.close()  # closing the file releases its flock
                self._rebuild_lock = None
