"""Meilisearch behind the SearchEngine interface.

Every request body is built by a pure function in `search/meili_requests.py` and checked
against golden files; every answer, task object and error is read by a pure function in
`search/meili_answers.py`. This class only sends the requests (raw HTTP through the
official client's transport) and keeps the tasks it started.

Writes do not wait: a write returns once Meilisearch accepted its task (HTTP 202), and
the task's uid is kept. `check_writes()` (the drainer calls it on each pass) reads the
pending tasks in one GET /tasks and answers the ids of documents whose task failed, for
the outbox to queue again; `settle()` waits for them all (a rebuild before its swap).

A document's title and body go to attributes named after its language (`title_fra`,
`body_fra`), which the `localizedAttributes` setting tells Meilisearch to tokenize and
normalize as that language. Meilisearch does most of the matching rules itself (typo
budget from the settings, prefix on the last word, phrases). Ours: all words must match
(`matchingStrategy: all`); when nothing does, one retry with `matchingStrategy: last`,
where Meilisearch drops words from the end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Self, TypeVar

import meilisearch
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)

from search.engine import FACETS, SearchDoc, SearchError, SearchQuery, SearchResults
from search.meili_answers import (
    SearchTaskFailed,
    check_tasks,
    index_setup,
    is_available,
    is_payload_too_large,
    lowered_limit,
    marked_html,
    results_from_response,
)
from search.meili_requests import (
    BATCH_SIZE,
    DEFAULT_INDEX,
    DELETE_BATCH_SIZE,
    MAX_TOTAL_HITS,
    PAYLOAD_LIMIT_BYTES,
    POST_TAG,
    PRE_TAG,
    PRIMARY_KEY,
    DocumentBatch,
    Request,
    can_relax,
    delete_batches,
    document_batches,
    encode_batches,
    filter_expression,
    key_bodies,
    query_text,
    rebuild_requests,
    search_params,
    settings_body,
    split_batch,
    swap_body,
    switch_requests,
)

__all__ = [
    "POST_TAG",
    "PRE_TAG",
    "MeiliEngine",
    "SearchTaskFailed",
    "delete_batches",
    "document_batches",
    "filter_expression",
    "key_bodies",
    "marked_html",
    "query_text",
    "results_from_response",
    "search_params",
    "settings_body",
    "swap_body",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

TASK_TIMEOUT_MS = 120_000
TASK_POLL_MS = 50
SWAP_TIMEOUT_SECONDS = 600
# Task uids per GET /tasks.
TASKS_PER_CHECK = 1000


class MeiliEngine:
    """SearchEngine over one Meilisearch index (`index_uid`, "forum" by default).

    `api_key` writes (the worker's key); `search_key`, when given, is the one searches
    use (a web process's search-only key). `settle_writes` makes every write wait for
    its tasks (the contract tests, which read their writes at once).
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        search_key: str | None = None,
        index_uid: str = DEFAULT_INDEX,
        timeout_seconds: int = 10,
        batch_size: int = BATCH_SIZE,
        payload_limit_bytes: int = PAYLOAD_LIMIT_BYTES,
        task_timeout_ms: int = TASK_TIMEOUT_MS,
        max_total_hits: int = MAX_TOTAL_HITS,
        settle_writes: bool = False,
    ) -> None:
        self.url = url
        self.index_uid = index_uid
        self._api_key = api_key
        self._search_key = search_key
        self._timeout = timeout_seconds
        self._batch_size = batch_size
        self._payload_limit = payload_limit_bytes
        self._task_timeout = task_timeout_ms
        self._max_total_hits = max_total_hits
        self._settle_writes = settle_writes
        self._client = meilisearch.Client(url, api_key, timeout=timeout_seconds)
        # Its own client (the transport keeps per-request headers): searches from request
        # threads never share one with the drainer's writes.
        self._searcher = meilisearch.Client(url, search_key or api_key, timeout=timeout_seconds)
        # Tasks started and not yet seen finished: uid -> (what, document ids, error
        # codes that count as success).
        self._pending: dict[int, tuple[str, tuple[str, ...], frozenset[str]]] = {}
        self._pending_lock = threading.Lock()

    # -- transport ---------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise SearchError(f"Meilisearch at {self.url} unavailable ({what}): {exc}") from exc
        except MeilisearchError as exc:
            raise SearchError(f"Meilisearch refused {what}: {exc}") from exc

    def _path(self, rest: str = "") -> str:
        return f"indexes/{self.index_uid}{rest}"

    def _enqueue(
        self,
        what: str,
        send: Callable[[], Any],
        ids: Sequence[str] = (),
        tolerated: frozenset[str] = frozenset(),
    ) -> int:
        """Send a request that starts a task; keep its uid until it is seen finished."""
        answer = send()
        uid = int(answer["taskUid"])
        with self._pending_lock:
            self._pending[uid] = (what, tuple(ids), tolerated)
        return uid

    # -- tasks ---------------------------------------------------------------------------

    def _read_tasks(self, uids: Sequence[int]) -> Any:
        listed = ",".join(str(uid) for uid in uids)
        return self._call(
            "get tasks",
            lambda: self._client.http.get(f"tasks?uids={listed}&limit={len(uids)}"),
        )

    def _check(self) -> tuple[list[str], list[str], int]:
        """One look at the pending tasks: (failed documents, failures, still waiting)."""
        with self._pending_lock:
            uids = sorted(self._pending)[:TASKS_PER_CHECK]
            tolerated = {uid: self._pending[uid][2] for uid in uids}
        if not uids:
            return [], [], 0
        outcome = check_tasks(self._read_tasks(uids), uids, tolerated=tolerated)
        failed_ids: list[str] = []
        failures: list[str] = []
        with self._pending_lock:
            for uid in outcome.succeeded:
                self._pending.pop(uid, None)
            for uid in outcome.unknown:
                what, ids, _ = self._pending.pop(uid, ("", (), frozenset()))
                log.warning("Meilisearch task %d (%s) is gone from the task list", uid, what)
                failed_ids.extend(ids)
            for uid, error in outcome.failed.items():
                what, ids, _ = self._pending.pop(uid, ("", (), frozenset()))
                log.warning("Meilisearch task %d (%s) %s", uid, what, error)
                failures.append(f"task {uid} ({what}) {error}")
                failed_ids.extend(ids)
            waiting = len(self._pending)
        return failed_ids, failures, waiting

    def check_writes(self) -> list[str]:
        return self._check()[0]

    def settle(self) -> None:
        """Wait while the tasks keep finishing (a rebuild's million documents take long);
        give up only when none finished for `task_timeout_ms`."""
        failures: list[str] = []
        left = -1
        deadline = 0.0
        while True:
            _, failed, waiting = self._check()
            failures.extend(failed)
            if not waiting:
                break
            if waiting != left:
                left, deadline = waiting, time.monotonic() + self._task_timeout / 1000
            elif time.monotonic() > deadline:
                raise SearchError(
                    f"Meilisearch: {waiting} tasks on {self.index_uid} still not done, none "
                    f"finished in {self._task_timeout} ms"
                )
            time.sleep(TASK_POLL_MS / 1000)
        if failures:
            raise SearchTaskFailed("; ".join(failures))

    def _wait_for(self, what: str, uid: int) -> None:
        """Wait for one task (an index swap: the switch must be known done). It may queue
        behind the drainers' writes: up to ten minutes, or the task timeout if longer."""
        deadline = time.monotonic() + max(self._task_timeout / 1000, SWAP_TIMEOUT_SECONDS)
        while True:
            outcome = check_tasks(self._read_tasks([uid]), [uid], tolerated={})
            if outcome.succeeded:
                break
            if outcome.failed or outcome.unknown:
                raise SearchTaskFailed(f"Meilisearch task {uid} ({what}) {outcome.failed}")
            if time.monotonic() > deadline:
                raise SearchError(f"Meilisearch task {uid} ({what}) not done in time")
            time.sleep(TASK_POLL_MS / 1000)
        with self._pending_lock:
            self._pending.pop(uid, None)

    def _after_write(self) -> None:
        if self._settle_writes:
            self.settle()

    # -- indexes and settings --------------------------------------------------------------

    def _send(self, request: Request) -> Any:
        http = self._client.http
        if request.method == "POST":
            return http.post(request.path, request.body)
        if request.method == "PATCH":
            return http.patch(request.path, request.body)
        return http.delete(request.path)

    def _start(self, request: Request) -> int:
        """Send a request that starts a task; its uid is kept (see check_writes)."""
        return self._call(
            request.what,
            lambda: self._enqueue(
                request.what, lambda: self._send(request), tolerated=request.tolerated
            ),
        )

    def ensure_index(self) -> None:
        """Create the index if the server lacks it and send the settings that differ
        from the server's (index_setup); nothing waits (the tasks run before any later
        write to the index)."""
        try:
            current = self._client.http.get(self._path("/settings"))
        except MeilisearchApiError as exc:
            if exc.code != "index_not_found":
                raise SearchError(f"Meilisearch refused get settings: {exc}") from exc
            current = None
        except MeilisearchError as exc:
            raise SearchError(f"Meilisearch at {self.url} unavailable: {exc}") from exc
        for request in index_setup(self.index_uid, current, max_total_hits=self._max_total_hits):
            self._start(request)
        self._after_write()

    # -- writes ------------------------------------------------------------------------------

    def _post_documents(self, batch: DocumentBatch) -> list[DocumentBatch]:
        """Send one batch; after a 413, answer its halves to send instead."""
        path = self._path(f"/documents?primaryKey={PRIMARY_KEY}")
        try:
            self._enqueue(
                "add documents", lambda: self._client.http.post(path, batch.body), batch.ids
            )
        except MeilisearchApiError as exc:
            if not is_payload_too_large(exc.status_code, exc.code):
                raise SearchError(f"Meilisearch refused add documents: {exc}") from exc
            self._payload_limit = lowered_limit(self._payload_limit, len(batch.body))
            halves = split_batch(batch)
            if halves is None:
                log.warning(
                    "search: document %s (%d bytes) refused as too large; skipped",
                    batch.ids[0],
                    len(batch.body),
                )
                return []
            return halves
        except MeilisearchError as exc:
            raise SearchError(f"Meilisearch at {self.url} unavailable: {exc}") from exc
        return []

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        batches, oversize = encode_batches(
            docs, limit_bytes=self._payload_limit, max_documents=self._batch_size
        )
        for doc_id in oversize:
            log.warning(
                "search: document %s is over %d bytes even alone; skipped",
                doc_id,
                self._payload_limit,
            )
        queue = list(batches)
        while queue:
            queue[0:1] = self._post_documents(queue[0])
        self._after_write()

    def delete(self, ids: Sequence[str]) -> None:
        path = self._path("/documents/delete-batch")
        for start, keys in zip(
            range(0, len(ids), DELETE_BATCH_SIZE),
            delete_batches(ids, DELETE_BATCH_SIZE),
            strict=True,
        ):
            chunk = ids[start : start + DELETE_BATCH_SIZE]
            self._call(
                "delete documents",
                lambda keys=keys, chunk=chunk: self._enqueue(  # type: ignore[misc]
                    "delete documents", lambda: self._client.http.post(path, keys), chunk
                ),
            )
        self._after_write()

    def clear(self) -> None:
        self._call(
            "delete all documents",
            lambda: self._enqueue(
                "delete all documents", lambda: self._client.http.delete(self._path("/documents"))
            ),
        )
        self._after_write()

    # -- reads ---------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        if not query.visibilities:
            return SearchResults(hits=[], total=0, facets={name: {} for name in FACETS})
        q = query_text(query.text)
        path = self._path("/search")

        def send(relaxed: bool) -> SearchResults:
            body = {"q": q, **search_params(query, relaxed=relaxed)}
            answer = self._call("search", lambda: self._searcher.http.post(path, body))
            return results_from_response(answer, max_total_hits=self._max_total_hits)

        results = send(relaxed=False)
        if not results.total and can_relax(query.text):
            results = send(relaxed=True)
        return results

    def stats(self) -> dict[str, object]:
        stats = self._call("stats", lambda: self._client.http.get(self._path("/stats")))
        with self._pending_lock:
            pending = len(self._pending)
        return {
            "engine": "meilisearch",
            "url": self.url,
            "index": self.index_uid,
            "documents": stats.get("numberOfDocuments"),
            "indexing": stats.get("isIndexing"),
            "size_bytes": stats.get("rawDocumentDbSize"),
            "pending_tasks": pending,
        }

    def health(self) -> dict[str, object]:
        """GET /health: one request, no key needed, no index listed."""
        answer = self._call("health", lambda: self._searcher.http.get("health"))
        return {"engine": "meilisearch", "ok": is_available(answer)}

    # -- rebuilds ---------------------------------------------------------------------------------

    def start_rebuild(self) -> Self:
        target = type(self)(
            self.url,
            self._api_key,
            search_key=self._search_key,
            index_uid=f"{self.index_uid}_rebuild",
            timeout_seconds=self._timeout,
            batch_size=self._batch_size,
            payload_limit_bytes=self._payload_limit,
            task_timeout_ms=self._task_timeout,
            max_total_hits=self._max_total_hits,
        )
        # The target keeps every task of the plan, so its settle() before the swap also
        # sees the live index created.
        for request in rebuild_requests(
            self.index_uid, target.index_uid, max_total_hits=self._max_total_hits
        ):
            target._start(request)
        return target

    def finish_rebuild(self, target: Self) -> None:
        """Wait for the rebuild's writes, swap, and drop the old documents without
        waiting: a clean-up that fails or lags is logged, and the next rebuild's start
        drops whatever it left."""
        target.settle()
        swap, drop = switch_requests(self.index_uid, target.index_uid)
        self._wait_for(swap.what, self._start(swap))
        try:
            target._start(drop)
        except SearchError as exc:
            log.warning(
                "search: the old index %s stays until the next reindex: %s",
                target.index_uid,
                exc,
            )

    def close(self) -> None:
        """Nothing to release: every request is its own HTTP call."""
