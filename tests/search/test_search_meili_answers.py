"""The Meilisearch adapter's decisions, on the answers, task objects and error bodies
Meilisearch documents (API reference: search, settings, tasks, errors). Pure functions:
no server is needed, and none is faked."""

from __future__ import annotations

import copy
from typing import Any

from search.meili_answers import (
    check_tasks,
    is_available,
    is_payload_too_large,
    lowered_limit,
    results_from_response,
    settings_changes,
)
from search.meili_requests import MAX_TOTAL_HITS, settings_body


def _answer(total_hits: int) -> dict[str, Any]:
    return {"hits": [], "query": "japan", "processingTimeMs": 3, "hitsPerPage": 10,
            "page": 1, "totalPages": -(-total_hits // 10), "totalHits": total_hits}  # fmt: skip


def test_a_total_below_max_total_hits_is_exact_and_at_it_a_floor() -> None:
    """In page mode totalHits is exhaustive but never past pagination.maxTotalHits."""
    below = results_from_response(_answer(9_999), max_total_hits=10_000)
    assert (below.total, below.total_exact) == (9_999, True)
    capped = results_from_response(_answer(10_000), max_total_hits=10_000)
    assert (capped.total, capped.total_exact) == (10_000, False)
    empty = results_from_response(_answer(0), max_total_hits=MAX_TOTAL_HITS)
    assert (empty.total, empty.total_exact) == (0, True)


# GET /indexes/{uid}/settings of a new index: Meilisearch's defaults (settings reference).
NEW_INDEX_SETTINGS: dict[str, Any] = {
    "displayedAttributes": ["*"],
    "searchableAttributes": ["*"],
    "filterableAttributes": [],
    "sortableAttributes": [],
    "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
    "stopWords": [],
    "nonSeparatorTokens": [],
    "separatorTokens": [],
    "dictionary": [],
    "synonyms": {},
    "distinctAttribute": None,
    "proximityPrecision": "byWord",
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        "disableOnWords": [],
        "disableOnAttributes": [],
        "disableOnNumbers": False,
    },
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
    "pagination": {"maxTotalHits": 1000},
    "embedders": {},
    "searchCutoffMs": None,
    "localizedAttributes": None,
    "facetSearch": True,
    "prefixSearch": "indexingTime",
}


def _as_the_server_answers(wanted: dict[str, Any]) -> dict[str, Any]:
    """Our settings as GET answers them once applied: every default field too, sets
    sorted, objects with fields of later versions."""
    answer = copy.deepcopy(NEW_INDEX_SETTINGS)
    answer.update(copy.deepcopy(wanted))
    answer["filterableAttributes"] = sorted(wanted["filterableAttributes"])
    answer["typoTolerance"]["disableOnNumbers"] = False
    return answer


def test_settings_are_sent_only_where_the_server_differs() -> None:
    wanted = settings_body()
    assert settings_changes(_as_the_server_answers(wanted), wanted) == {}
    changes = settings_changes(NEW_INDEX_SETTINGS, wanted)
    # Meilisearch's defaults that are ours too (typo budgets 5 and 9 ...) are not resent.
    assert set(changes) == set(wanted) - {"displayedAttributes", "stopWords", "synonyms",
                                          "distinctAttribute", "typoTolerance"}  # fmt: skip
    older = _as_the_server_answers(settings_body(max_total_hits=1_000_000))
    assert settings_changes(older, wanted) == {"pagination": {"maxTotalHits": 10_000}}
    reordered = _as_the_server_answers(wanted)
    reordered["searchableAttributes"] = list(reversed(wanted["searchableAttributes"]))
    assert list(settings_changes(reordered, wanted)) == ["searchableAttributes"]  # order ranks


# Task objects as GET /tasks answers them (tasks reference; errors as the error codes page).
def _task(uid: int, status: str, kind: str = "documentAdditionOrUpdate", **error: str) -> dict:
    task: dict[str, Any] = {
        "uid": uid, "batchUid": uid, "indexUid": "forum", "status": status, "type": kind,
        "canceledBy": None, "details": {}, "error": None, "duration": "PT0.1S",
        "enqueuedAt": "2026-12-07T12:00:00Z", "startedAt": None, "finishedAt": None,
    }  # fmt: skip
    if error:
        task["error"] = {**error, "type": "invalid_request",
                         "link": f"https://docs.meilisearch.com/errors#{error['code']}"}  # fmt: skip
    return task


def test_task_outcomes_decide_what_the_drainer_queues_again() -> None:
    answer = {
        "results": [
            _task(1, "succeeded"),
            _task(
                2,
                "failed",
                "indexCreation",
                code="index_already_exists",
                message="Index `forum` already exists.",
            ),
            _task(3, "failed", code="invalid_document_id", message="Document identifier ..."),
            _task(4, "enqueued"),
            _task(5, "processing"),
            _task(6, "canceled"),
            _task(
                8,
                "failed",
                "indexDeletion",
                code="index_not_found",
                message="Index `forum_rebuild` not found.",
            ),
        ],
        "total": 7,
        "limit": 8,
        "from": 8,
        "next": None,
    }
    tolerated = {2: frozenset({"index_already_exists"}), 8: frozenset({"index_not_found"})}
    outcome = check_tasks(answer, [1, 2, 3, 4, 5, 6, 7, 8], tolerated=tolerated)
    # Creating an index that exists, dropping one that is gone: done, as wanted.
    assert outcome.succeeded == [1, 2, 8]
    assert outcome.waiting == [4, 5]  # not waited for: looked at again at the next drain
    assert set(outcome.failed) == {3, 6}
    assert "invalid_document_id" in outcome.failed[3] and outcome.failed[6] == "canceled"
    assert outcome.unknown == [7]  # gone from the task history: treated as failed
    # The same failure is not tolerated where it was not expected.
    assert 2 in check_tasks(answer, [2], tolerated={}).failed


def test_a_413_halves_the_byte_limit_and_other_refusals_do_not() -> None:
    # The error body Meilisearch sends with HTTP 413 (error codes: payload_too_large).
    body = {"message": "The provided payload reached the size limit. The maximum accepted "
            "payload size is 100 MiB.", "code": "payload_too_large",
            "type": "invalid_request", "link": "https://docs.meilisearch.com/errors#payload_too_large"}  # fmt: skip
    assert is_payload_too_large(413, body["code"])
    assert is_payload_too_large(413, None)  # a proxy's 413 without Meilisearch's body
    assert not is_payload_too_large(400, "invalid_document_id")
    assert lowered_limit(10_000_000, 8_000_000) == 4_000_000
    assert lowered_limit(1_000_000, 8_000_000) == 1_000_000  # never raised by a 413
    assert lowered_limit(10_000, 1_000) == 1024


def test_health_reads_the_documented_answer() -> None:
    assert is_available({"status": "available"})
    assert not is_available({"status": "unavailable"}) and not is_available({})
