"""What the Meilisearch adapter makes of Meilisearch's answers: pure functions.

Search answers become SearchResults; the settings the server has are compared with the
ones we want; task objects (GET /tasks) and error bodies decide what happens next. Each
is tested with the answers, task objects and error codes Meilisearch documents
(tests/search/test_search_meili_answers.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from search.engine import FACETS, SearchError, SearchHit, SearchResults, doc_id_from_key
from search.meili_requests import (
    FACET_ATTRIBUTES,
    POST_TAG,
    PRE_TAG,
    PRIMARY_KEY,
    Request,
    create_index_request,
    settings_body,
    text_attribute,
)
from search.text import render_marked


class SearchTaskFailed(SearchError):
    """Meilisearch accepted a task and then failed it (bad document, index missing...)."""


# -- search answers -----------------------------------------------------------------------


def marked_html(formatted: str) -> str:
    """Meilisearch's highlighted text (PRE_TAG/POST_TAG around matches) as escaped HTML."""
    text: list[str] = []
    ranges: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for char in formatted:
        if char == PRE_TAG:
            start = length
        elif char == POST_TAG:
            if start is not None:
                ranges.append((start, length))
            start = None
        else:
            text.append(char)
            length += 1
    return render_marked("".join(text), ranges)


def _hit(raw: Mapping[str, Any]) -> SearchHit:
    formatted = raw.get("_formatted") or {}
    created = raw.get("created_at")
    language = raw.get("language")
    title_attribute = text_attribute("title", language)
    body_attribute = text_attribute("body", language)
    title = str(raw.get(title_attribute) or "")
    return SearchHit(
        id=doc_id_from_key(int(raw[PRIMARY_KEY])),
        kind=str(raw.get("kind")),
        subkind=raw.get("subkind"),
        title=title,
        url=str(raw.get("url") or ""),
        snippet=marked_html(str(formatted.get(body_attribute) or "")),
        countries=tuple(raw.get("countries") or ()),
        sectors=tuple(raw.get("sectors") or ()),
        score=float(raw.get("_rankingScore") or 0.0),
        title_html=marked_html(str(formatted.get(title_attribute) or title)),
        created_at=(
            dt.datetime.fromtimestamp(created, tz=dt.UTC)
            if isinstance(created, int | float)
            else None
        ),
        language=str(language) if language else None,
    )


def results_from_response(response: Mapping[str, Any], *, max_total_hits: int) -> SearchResults:
    """A search answer (page mode) as SearchResults.

    In page mode Meilisearch counts `totalHits` exhaustively but never past the index's
    `pagination.maxTotalHits`: below it the total is exact, at it the total means
    "at least this many" (`total_exact` False). Facet counts are exact either way.
    """
    hits = [_hit(raw) for raw in response.get("hits", [])]
    distribution = response.get("facetDistribution") or {}
    facets = {
        name: {str(k): int(v) for k, v in (distribution.get(FACET_ATTRIBUTES[name]) or {}).items()}
        for name in FACETS
    }
    total = int(response.get("totalHits") or 0)
    return SearchResults(hits=hits, total=total, facets=facets, total_exact=total < max_total_hits)


# -- settings -------------------------------------------------------------------------------

# Lists Meilisearch keeps as sets (answered sorted, whatever order they were sent in).
_SETS = frozenset(
    {"filterableAttributes", "sortableAttributes", "stopWords", "disableOnWords",
     "disableOnAttributes"}
)  # fmt: skip
# Objects of named fields where the server answers more fields than we set (its defaults,
# fields of later versions): only the fields we set are compared.
_OBJECTS = frozenset({"typoTolerance", "faceting", "pagination", "minWordSizeForTypos"})


def _same(name: str, have: Any, want: Any) -> bool:
    if name in _SETS and isinstance(have, list) and isinstance(want, list):
        return sorted(map(str, have)) == sorted(map(str, want))
    if name in _OBJECTS and isinstance(have, Mapping) and isinstance(want, Mapping):
        return all(key in have and _same(key, have[key], value) for key, value in want.items())
    return bool(have == want)


def settings_changes(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The part of `wanted` the server's settings (GET /indexes/{uid}/settings) lack:
    empty when nothing needs sending, so a worker's start queues no settings task."""
    return {
        name: value for name, value in wanted.items() if not _same(name, current.get(name), value)
    }


def index_setup(
    uid: str, current: Mapping[str, Any] | None, *, max_total_hits: int
) -> list[Request]:
    """What `ensure_index()` sends after GET /indexes/{uid}/settings answered `current`
    (None: `index_not_found`, a new server): the index and all settings, or only the
    settings that differ, or nothing."""
    wanted = settings_body(max_total_hits=max_total_hits)
    path = f"indexes/{uid}/settings"
    if current is None:
        return [create_index_request(uid), Request(f"configure {uid}", "PATCH", path, wanted)]
    changes = settings_changes(current, wanted)
    return [Request(f"configure {uid}", "PATCH", path, changes)] if changes else []


# -- tasks and errors -------------------------------------------------------------------------

FINISHED = frozenset({"succeeded", "failed", "canceled"})


@dataclass(frozen=True)
class TaskCheck:
    """GET /tasks?uids=... read against the tasks we wait for."""

    succeeded: list[int]
    # uid -> "failed: <code>: <message>" or "canceled"
    failed: dict[int, str]
    waiting: list[int]  # enqueued or processing
    # Asked for but not in the answer: deleted from the task history (Meilisearch drops
    # the oldest finished tasks when the queue fills), so their outcome is unknown.
    unknown: list[int]


def task_error(task: Mapping[str, Any]) -> str | None:
    """None for a task that succeeded (or is not finished), else why it did not."""
    status = task.get("status")
    if status == "failed":
        error = task.get("error") or {}
        return f"failed: {error.get('code')}: {error.get('message')}"
    if status == "canceled":
        return "canceled"
    return None


def task_error_code(task: Mapping[str, Any]) -> str | None:
    error = task.get("error") or {}
    code = error.get("code")
    return str(code) if code else None


def check_tasks(
    answer: Mapping[str, Any], uids: Sequence[int], *, tolerated: Mapping[int, frozenset[str]]
) -> TaskCheck:
    """Sort `uids` by what the task list says of them. A task that failed with an error
    code `tolerated` for it (creating an index that exists, dropping one that does not)
    counts as succeeded."""
    by_uid = {int(task["uid"]): task for task in answer.get("results") or () if "uid" in task}
    succeeded: list[int] = []
    failed: dict[int, str] = {}
    waiting: list[int] = []
    unknown: list[int] = []
    for uid in uids:
        task = by_uid.get(uid)
        if task is None:
            unknown.append(uid)
        elif task.get("status") not in FINISHED:
            waiting.append(uid)
        elif task.get("status") == "succeeded" or task_error_code(task) in tolerated.get(
            uid, frozenset()
        ):
            succeeded.append(uid)
        else:
            failed[uid] = task_error(task) or str(task.get("status"))
    return TaskCheck(succeeded, failed, waiting, unknown)


def is_payload_too_large(status_code: int | None, code: str | None) -> bool:
    """The server refused a request body over its `--http-payload-size-limit`."""
    return status_code == 413 or code == "payload_too_large"


def lowered_limit(limit_bytes: int, refused_bytes: int) -> int:
    """The byte limit to use after a body of `refused_bytes` was refused with 413: half
    of it (and never above the limit we had), so later batches do not hit it again."""
    return max(1024, min(limit_bytes, refused_bytes // 2))


def is_available(answer: Mapping[str, Any]) -> bool:
    """GET /health: `{"status": "available"}` when the server can take requests."""
    return answer.get("status") == "available"
