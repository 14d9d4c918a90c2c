"""Meilisearch behind the SearchEngine interface, through the official client.

Every request body is built by a pure function below (settings, filter, documents,
deletions, search parameters, index swap) and checked against golden files in
tests/search/golden/. The class only sends them, waits for the tasks they start and
turns answers and failures into our types: a task that fails raises SearchTaskFailed,
an unreachable server SearchError; the outbox retries either.

A document's title and body go to attributes named after its language (`title_fra`,
`body_fra`), which the `localizedAttributes` setting tells Meilisearch to tokenize and
normalize as that language; text in a language Meilisearch has no rules for, or in
none known, stays in `title` and `body`. (Meilisearch does not stem: the embedded
engine does, see docs/search.md.)

Meilisearch does most of the matching rules itself (typo budget from the settings,
prefix on the last word, phrases). Two rules are ours: all words must match
(matchingStrategy "all"), and when nothing does the query is sent again with words
dropped from the end, as the embedded engine does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self, TypeVar

import meilisearch
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)

from search.engine import (
    FACETS,
    SearchDoc,
    SearchError,
    SearchHit,
    SearchQuery,
    SearchResults,
    doc_id_from_key,
    doc_key,
)
from search.text import (
    ELLIPSIS,
    MAX_TERMS,
    ONE_TYPO_FROM,
    TWO_TYPOS_FROM,
    render_marked,
    split_text,
    words,
)

T = TypeVar("T")

DEFAULT_INDEX = "forum"
PRIMARY_KEY = "key"
BATCH_SIZE = 1000
# Totals and page counts are exact up to this many hits (Meilisearch's default is 1000).
MAX_TOTAL_HITS = 1_000_000
MAX_FACET_VALUES = 1000
CROP_WORDS = 30
TASK_TIMEOUT_MS = 120_000
TASK_POLL_MS = 50
# Highlight tags Meilisearch puts around matches; stripped from documents on the way in
# so that they can only come from Meilisearch, then replaced by escaped <mark> HTML.
PRE_TAG = "\x02"
POST_TAG = "\x03"
# FACETS name -> document attribute.
FACET_ATTRIBUTES = {
    "kind": "kind",
    "subkind": "subkind",
    "country": "countries",
    "sector": "sectors",
}
FILTERABLE = [
    "key",
    "kind",
    "subkind",
    "countries",
    "sectors",
    "category",
    "visibility",
    "created_at",
]
# ISO 639-1 code a document carries -> the ISO 639-3 locale Meilisearch tokenizes as
# (its `Locale`s since v1.10), for the languages of the forum's members it knows.
LOCALES = {
    "ar": "ara", "az": "aze", "be": "bel", "bg": "bul", "ca": "cat", "cs": "ces",
    "da": "dan", "de": "deu", "el": "ell", "en": "eng", "es": "spa", "et": "est",
    "fi": "fin", "fr": "fra", "he": "heb", "hr": "hrv", "hu": "hun", "hy": "hye",
    "it": "ita", "ka": "kat", "lt": "lit", "lv": "lav", "mk": "mkd", "nb": "nob",
    "nl": "nld", "no": "nob", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus",
    "sk": "slk", "sl": "slv", "sr": "srp", "sv": "swe", "tr": "tur", "uk": "ukr",
}  # fmt: skip
_SUFFIXES = sorted(set(LOCALES.values()))
TITLE_ATTRIBUTES = ["title", *(f"title_{suffix}" for suffix in _SUFFIXES)]
BODY_ATTRIBUTES = ["body", *(f"body_{suffix}" for suffix in _SUFFIXES)]
RETRIEVED = [
    "key",
    "kind",
    "subkind",
    *TITLE_ATTRIBUTES,
    "url",
    "countries",
    "sectors",
    "created_at",
    "language",
]


def locale(language: str | None) -> str | None:
    """The Meilisearch locale of a document's language ("pt-BR" -> "por"), if it has one."""
    return LOCALES.get((language or "").partition("-")[0].lower())


def text_attribute(name: str, language: str | None) -> str:
    """Where a document in `language` keeps its `name` ("title" or "body")."""
    suffix = locale(language)
    return f"{name}_{suffix}" if suffix else name


class SearchTaskFailed(SearchError):
    """Meilisearch accepted a task and then failed it (bad document, index missing...)."""


# -- pure request builders -----------------------------------------------------------


def settings_body(*, max_total_hits: int = MAX_TOTAL_HITS) -> dict[str, Any]:
    """PATCH /indexes/{uid}/settings: the whole configuration the forum relies on."""
    return {
        # keywords (SearchDoc.keywords) find documents and are never highlighted or shown.
        "searchableAttributes": [*TITLE_ATTRIBUTES, *BODY_ATTRIBUTES, "keywords"],
        "displayedAttributes": ["*"],
        "filterableAttributes": FILTERABLE,
        "sortableAttributes": ["created_at"],
        # "sort" first: sort=newest orders by date alone; without a sort it is skipped.
        "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": ONE_TYPO_FROM, "twoTypos": TWO_TYPOS_FROM},
            "disableOnWords": [],
            "disableOnAttributes": [],
        },
        "faceting": {"maxValuesPerFacet": MAX_FACET_VALUES, "sortFacetValuesBy": {"*": "count"}},
        "pagination": {"maxTotalHits": max_total_hits},
        "stopWords": [],
        "synonyms": {},
        "distinctAttribute": None,
        # Each language's attributes are tokenized by its rules (`title_fra`: French).
        "localizedAttributes": [
            {"attributePatterns": [f"*_{suffix}"], "locales": [suffix]} for suffix in _SUFFIXES
        ],
    }


def quote(value: str) -> str:
    """A string literal for a Meilisearch filter: double quotes, backslash escapes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _epoch(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() // 1)


def filter_expression(query: SearchQuery) -> str:
    """The `filter` of a search: every SearchQuery filter, ANDed; values escaped."""
    parts = []
    for attribute, values in (
        ("kind", query.kinds),
        ("subkind", query.subkinds),
        ("countries", query.countries),
        ("sectors", query.sectors),
        ("category", query.categories),
        ("visibility", query.visibilities),
    ):
        if values or attribute == "visibility":
            listed = ", ".join(quote(v) for v in dict.fromkeys(values))
            parts.append(f"{attribute} IN [{listed}]")
    if query.date_from is not None:
        parts.append(f"created_at >= {_epoch(query.date_from)}")
    if query.date_to is not None:
        parts.append(f"created_at < {_epoch(query.date_to)}")
    return " AND ".join(parts)


def _clean(text: str) -> str:
    return text.replace(PRE_TAG, "").replace(POST_TAG, "")


def document_payload(doc: SearchDoc) -> dict[str, Any]:
    """One document as Meilisearch stores it: the integer key is the primary key."""
    if doc.id.partition(":")[0] != doc.kind:
        raise ValueError(f"document {doc.id!r} has kind {doc.kind!r}")
    return {
        PRIMARY_KEY: doc_key(doc.id),
        "kind": doc.kind,
        "subkind": doc.subkind,
        text_attribute("title", doc.language): _clean(doc.title),
        text_attribute("body", doc.language): _clean(doc.body),
        "language": doc.language,
        "keywords": _clean(doc.keywords),
        "url": doc.url,
        "countries": list(dict.fromkeys(doc.countries)),
        "sectors": list(dict.fromkeys(doc.sectors)),
        "category": doc.category,
        "visibility": doc.visibility,
        "created_at": _epoch(doc.created_at),
    }


def document_batches(
    docs: Sequence[SearchDoc], batch_size: int = BATCH_SIZE
) -> list[list[dict[str, Any]]]:
    """POST /indexes/{uid}/documents bodies, `batch_size` documents each."""
    payload = [document_payload(doc) for doc in docs]
    return [payload[i : i + batch_size] for i in range(0, len(payload), batch_size)]


def delete_filters(ids: Sequence[str], batch_size: int = BATCH_SIZE) -> list[str]:
    """POST /indexes/{uid}/documents/delete filters, `batch_size` ids each."""
    keys = [doc_key(doc_id) for doc_id in ids]
    return [
        f"{PRIMARY_KEY} IN [{', '.join(str(k) for k in keys[i : i + batch_size])}]"
        for i in range(0, len(keys), batch_size)
    ]


def query_texts(text: str) -> list[str]:
    """The `q` of each attempt: all words first, then one word fewer from the end,
    down to one word. The last word stays a prefix only in the first attempt (a
    trailing space tells Meilisearch it is complete)."""
    split = split_text(text)
    terms: list[str] = []
    for chunk in split.chunks:
        tokens = words(chunk.text)
        if not tokens:
            continue
        if chunk.phrase:
            terms.append('"' + " ".join(tokens) + '"')
        else:
            terms.extend(tokens)
    if not terms:
        return [""]
    # The typed last word is a prefix, unless the word limit cut it off.
    prefix = split.last_is_prefix and len(terms) <= MAX_TERMS and not terms[-1].startswith('"')
    terms = terms[:MAX_TERMS]
    attempts = [" ".join(terms) + ("" if prefix else " ")]
    attempts.extend(" ".join(terms[:n]) + " " for n in range(len(terms) - 1, 0, -1))
    return attempts


def search_params(query: SearchQuery) -> dict[str, Any]:
    """POST /indexes/{uid}/search body, without `q` (see query_texts)."""
    params: dict[str, Any] = {
        "filter": filter_expression(query),
        "facets": [FACET_ATTRIBUTES[name] for name in FACETS],
        "page": query.page,
        "hitsPerPage": query.per_page,
        "attributesToRetrieve": RETRIEVED,
        "attributesToHighlight": [*TITLE_ATTRIBUTES, *BODY_ATTRIBUTES],
        "attributesToCrop": BODY_ATTRIBUTES,
        "cropLength": CROP_WORDS,
        "cropMarker": ELLIPSIS,
        "highlightPreTag": PRE_TAG,
        "highlightPostTag": POST_TAG,
        "matchingStrategy": "all",
        "showRankingScore": True,
    }
    if query.sort == "newest":
        params["sort"] = ["created_at:desc"]
    if query.fields:
        params["attributesToSearchOn"] = [
            attribute for name in query.fields for attribute in _ATTRIBUTES[name]
        ]
    return params


_ATTRIBUTES = {"title": TITLE_ATTRIBUTES, "body": BODY_ATTRIBUTES}


def swap_body(live: str, target: str) -> list[Mapping[str, list[str] | bool]]:
    """POST /swap-indexes: exchange the live index and the rebuilt one."""
    return [{"indexes": [live, target]}]


# -- pure answer readers ---------------------------------------------------------------


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


def results_from_response(response: dict[str, Any]) -> SearchResults:
    """A search answer (page mode) as SearchResults."""
    hits = []
    for raw in response.get("hits", []):
        formatted = raw.get("_formatted") or {}
        created = raw.get("created_at")
        language = raw.get("language")
        title_attribute = text_attribute("title", language)
        body_attribute = text_attribute("body", language)
        title = str(raw.get(title_attribute) or "")
        hits.append(
            SearchHit(
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
        )
    distribution = response.get("facetDistribution") or {}
    facets = {
        name: {str(k): int(v) for k, v in (distribution.get(FACET_ATTRIBUTES[name]) or {}).items()}
        for name in FACETS
    }
    return SearchResults(hits=hits, total=int(response.get("totalHits") or 0), facets=facets)


# -- the engine ------------------------------------------------------------------------


class MeiliEngine:
    """SearchEngine over one Meilisearch index (`index_uid`, "forum" by default)."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        index_uid: str = DEFAULT_INDEX,
        timeout_seconds: int = 10,
        batch_size: int = BATCH_SIZE,
        task_timeout_ms: int = TASK_TIMEOUT_MS,
        max_total_hits: int = MAX_TOTAL_HITS,
    ) -> None:
        self.url = url
        self.index_uid = index_uid
        self._api_key = api_key
        self._timeout = timeout_seconds
        self._batch_size = batch_size
        self._task_timeout = task_timeout_ms
        self._max_total_hits = max_total_hits
        self._client = meilisearch.Client(url, api_key, timeout=timeout_seconds)
        self._index = self._client.index(index_uid)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise SearchError(f"Meilisearch at {self.url} unavailable ({what}): {exc}") from exc
        except MeilisearchError as exc:
            raise SearchError(f"Meilisearch refused {what}: {exc}") from exc

    def _wait(self, what: str, task_uids: Sequence[int]) -> None:
        """Poll each task until it is done; a failed or cancelled one raises."""
        for uid in task_uids:
            task = self._call(
                what,
                lambda uid=uid: self._client.wait_for_task(  # type: ignore[misc]
                    uid, timeout_in_ms=self._task_timeout, interval_in_ms=TASK_POLL_MS
                ),
            )
            if task.status != "succeeded":
                raise SearchTaskFailed(
                    f"Meilisearch task {uid} ({what}) {task.status}: {task.error}"
                )

    def ensure_index(self) -> None:
        try:
            self._client.get_index(self.index_uid)
        except MeilisearchApiError as exc:
            if exc.code != "index_not_found":
                raise SearchError(f"Meilisearch refused get index: {exc}") from exc
            created = self._call(
                "create index",
                lambda: self._client.create_index(self.index_uid, {"primaryKey": PRIMARY_KEY}),
            )
            self._wait("create index", [created.task_uid])
        except MeilisearchError as exc:
            raise SearchError(f"Meilisearch at {self.url} unavailable: {exc}") from exc
        body = settings_body(max_total_hits=self._max_total_hits)
        task = self._call("update settings", lambda: self._index.update_settings(body))
        self._wait("update settings", [task.task_uid])

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        batches = document_batches(docs, self._batch_size)
        uids = [
            self._call(
                "add documents",
                lambda batch=batch: self._index.add_documents(batch, primary_key=PRIMARY_KEY),  # type: ignore[misc]
            ).task_uid
            for batch in batches
        ]
        self._wait("add documents", uids)

    def delete(self, ids: Sequence[str]) -> None:
        uids = [
            self._call(
                "delete documents",
                lambda expression=expression: self._index.delete_documents(filter=expression),  # type: ignore[misc]
            ).task_uid
            for expression in delete_filters(ids, self._batch_size)
        ]
        self._wait("delete documents", uids)

    def search(self, query: SearchQuery) -> SearchResults:
        if not query.visibilities:
            return SearchResults(hits=[], total=0, facets={name: {} for name in FACETS})
        params = search_params(query)
        results = SearchResults(hits=[], total=0, facets={name: {} for name in FACETS})
        for text in query_texts(query.text):
            response = self._call("search", lambda text=text: self._index.search(text, params))  # type: ignore[misc]
            results = results_from_response(response)
            if results.total:
                break
        return results

    def clear(self) -> None:
        task = self._call("delete all documents", lambda: self._index.delete_all_documents())
        self._wait("delete all documents", [task.task_uid])

    def stats(self) -> dict[str, object]:
        stats = self._call("stats", lambda: self._index.get_stats())
        everything = self._call("stats", lambda: self._client.get_all_stats())
        return {
            "engine": "meilisearch",
            "url": self.url,
            "index": self.index_uid,
            "documents": stats.number_of_documents,
            "indexing": stats.is_indexing,
            "size_bytes": everything.get("databaseSize"),
        }

    def start_rebuild(self) -> Self:
        target = type(self)(
            self.url,
            self._api_key,
            index_uid=f"{self.index_uid}_rebuild",
            timeout_seconds=self._timeout,
            batch_size=self._batch_size,
            task_timeout_ms=self._task_timeout,
            max_total_hits=self._max_total_hits,
        )
        # Left over from an interrupted rebuild: start from nothing.
        task = self._call("delete index", lambda: self._client.delete_index(target.index_uid))
        with contextlib.suppress(SearchTaskFailed):  # there was none
            self._wait("delete index", [task.task_uid])
        target.ensure_index()
        return target

    def finish_rebuild(self, target: Self) -> None:
        body = swap_body(self.index_uid, target.index_uid)
        task = self._call("swap indexes", lambda: self._client.swap_indexes(body))
        self._wait("swap indexes", [task.task_uid])
        # After the swap the target's uid names the old documents.
        dropped = self._call("delete index", lambda: self._client.delete_index(target.index_uid))
        self._wait("delete index", [dropped.task_uid])

    def close(self) -> None:
        """Nothing to release: every request is its own HTTP call."""
