"""Every request body the Meilisearch adapter sends, built by pure functions.

Each is checked against a golden file in tests/search/golden/ (see
tests/search/test_search_meili_requests.py); `search/meili.py` only sends them. The
endpoints and limits are the ones Meilisearch documents: POST /indexes, PATCH
/indexes/{uid}/settings, POST /indexes/{uid}/documents (default payload limit 100 MB,
`--http-payload-size-limit`), POST /indexes/{uid}/documents/delete-batch, POST
/indexes/{uid}/search, POST /swap-indexes, POST /keys; 65,535 positions per attribute
(known limitations).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from search.engine import FACETS, SearchDoc, SearchQuery, doc_key
from search.text import ELLIPSIS, MAX_TERMS, ONE_TYPO_FROM, TWO_TYPOS_FROM, split_text, words

DEFAULT_INDEX = "forum"
PRIMARY_KEY = "key"
# Documents per POST at most; the byte limit below usually decides first.
BATCH_SIZE = 1000
# Bytes per POST at most: well under Meilisearch's default 100 MB payload limit
# (`--http-payload-size-limit`); a 413 `payload_too_large` halves a batch and lowers it.
PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024
# Keys per POST .../documents/delete-batch.
DELETE_BATCH_SIZE = 1000
# `pagination.maxTotalHits`: totals are exact below it, "at least this many" from it on.
# Meilisearch's default is 1,000; its settings reference warns that values over 20,000
# may make queries take seconds. The forum shows 100 pages of 10 at most.
MAX_TOTAL_HITS = 10_000
MAX_FACET_VALUES = 1000
CROP_WORDS = 30
# Meilisearch indexes positions 0 to 65,534 of each attribute and silently ignores words
# past them (known limitations): a word is one position after a soft separator (space,
# hyphen), eight after a hard one (period, comma, newline ...).
MAX_POSITIONS = 65_535
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
# Not the primary key: deletions name keys (delete-batch), never filter on them.
FILTERABLE = [
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


# -- indexes and settings -----------------------------------------------------------------


def index_body(uid: str) -> dict[str, str]:
    """POST /indexes: create `uid` with our primary key (a task; `index_already_exists`
    when it is there already, which is fine)."""
    return {"uid": uid, "primaryKey": PRIMARY_KEY}


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


def swap_body(live: str, target: str) -> list[Mapping[str, list[str] | bool]]:
    """POST /swap-indexes: exchange the live index and the rebuilt one."""
    return [{"indexes": [live, target]}]


@dataclass(frozen=True)
class Request:
    """One request that starts a Meilisearch task, and the error codes its task may end
    with that still mean "done" (creating an index that exists, dropping one that is gone)."""

    what: str
    method: str  # "POST", "PATCH" or "DELETE"
    path: str
    body: Any = None
    tolerated: frozenset[str] = frozenset()

    def as_json(self) -> dict[str, Any]:
        return {"what": self.what, "method": self.method, "path": self.path,
                "body": self.body, "tolerated": sorted(self.tolerated)}  # fmt: skip


EXISTS = frozenset({"index_already_exists"})
NOT_FOUND = frozenset({"index_not_found"})


def create_index_request(uid: str) -> Request:
    """POST /indexes, idempotent: `index_already_exists` counts as done."""
    return Request(f"create index {uid}", "POST", "indexes", index_body(uid), EXISTS)


def rebuild_requests(live: str, target: str, *, max_total_hits: int) -> list[Request]:
    """What `start_rebuild()` sends, in order (Meilisearch runs them in that order): drop a
    leftover rebuild index, create the live index if a new server has none (swap-indexes
    needs both), create the rebuild index with the whole settings."""
    return [
        Request(f"drop a leftover {target}", "DELETE", f"indexes/{target}", None, NOT_FOUND),
        create_index_request(live),
        Request(f"create index {target}", "POST", "indexes", index_body(target)),
        Request(
            f"configure {target}",
            "PATCH",
            f"indexes/{target}/settings",
            settings_body(max_total_hits=max_total_hits),
        ),
    ]


def switch_requests(live: str, target: str) -> tuple[Request, Request]:
    """What `finish_rebuild()` sends: the swap (waited for), then the drop of the
    swapped-out documents, now under the target's uid (not waited for)."""
    return (
        Request("swap indexes", "POST", "swap-indexes", swap_body(live, target)),
        Request(f"drop the swapped-out {target}", "DELETE", f"indexes/{target}", None, NOT_FOUND),
    )


def key_bodies(index_uid: str = DEFAULT_INDEX) -> dict[str, dict[str, Any]]:
    """POST /keys (with the master key), one per role: what each process may do.

    `web` only searches the live index (FORUM_MEILI_SEARCH_KEY). `worker` (and the
    `forum search reindex` run beside it) writes documents, creates, configures, swaps
    and drops the live and the rebuild index, and reads tasks and stats (FORUM_MEILI_KEY).
    /health needs no key.
    """
    indexes = [index_uid, f"{index_uid}_rebuild"]
    return {
        "web": {
            "name": f"{index_uid}-web",
            "description": "Cluster Forum web processes: search only",
            "actions": ["search"],
            "indexes": [index_uid],
            "expiresAt": None,
        },
        "worker": {
            "name": f"{index_uid}-worker",
            "description": "Cluster Forum workers and reindex: documents, settings, swaps",
            "actions": [
                "search",
                "documents.add",
                "documents.delete",
                "indexes.create",
                "indexes.get",
                "indexes.delete",
                "indexes.swap",
                "settings.get",
                "settings.update",
                "tasks.get",
                "stats.get",
            ],
            "indexes": indexes,
            "expiresAt": None,
        },
    }


# -- documents ----------------------------------------------------------------------------

# Scripts written without spaces, where Meilisearch's segmenter may make every character
# a word: each character is a word here (never fewer positions than Meilisearch counts).
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f"
_TOKENS = re.compile(rf"[{_UNSPACED}]|(?:(?![{_UNSPACED}])\w)+|\W+")
_SOFT = frozenset(" -'’\u00a0")


def cut_to_positions(text: str, limit: int = MAX_POSITIONS) -> str:
    """`text` up to the last word Meilisearch indexes in one attribute (position < limit).

    Positions are counted as Meilisearch documents them, rounding up where its tokenizer
    might count more (a word after anything but spaces, hyphens and apostrophes is 8 on),
    so nothing kept is ignored by it.
    """
    if len(text) * 8 < limit:  # cannot reach the limit: every position costs a character
        return text
    position = -1
    hard = False
    end = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token[0].isalnum() or token[0] == "_":
            position += 1 if position < 0 or not hard else 8
            if position >= limit:
                break
            end = match.end()
            hard = False
        elif not set(token) <= _SOFT:
            hard = True
    return text[:end].rstrip()


def _clean(text: str) -> str:
    return text.replace(PRE_TAG, "").replace(POST_TAG, "")


def _epoch(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() // 1)


def document_payload(doc: SearchDoc) -> dict[str, Any]:
    """One document as Meilisearch stores it: the integer key is the primary key; each
    text cut where Meilisearch stops indexing (cut_to_positions)."""
    if doc.id.partition(":")[0] != doc.kind:
        raise ValueError(f"document {doc.id!r} has kind {doc.kind!r}")
    return {
        PRIMARY_KEY: doc_key(doc.id),
        "kind": doc.kind,
        "subkind": doc.subkind,
        text_attribute("title", doc.language): cut_to_positions(_clean(doc.title)),
        text_attribute("body", doc.language): cut_to_positions(_clean(doc.body)),
        "language": doc.language,
        "keywords": cut_to_positions(_clean(doc.keywords)),
        "url": doc.url,
        "countries": list(dict.fromkeys(doc.countries)),
        "sectors": list(dict.fromkeys(doc.sectors)),
        "category": doc.category,
        "visibility": doc.visibility,
        "created_at": _epoch(doc.created_at),
    }


def encode_document(payload: Mapping[str, Any]) -> bytes:
    """A document as it travels: compact UTF-8 JSON (what the byte limit counts)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class DocumentBatch:
    """One POST /indexes/{uid}/documents: its JSON array body and the ids it carries."""

    ids: tuple[str, ...]
    body: bytes


def _array(items: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


def byte_batches(
    sizes: Sequence[int], *, limit_bytes: int, max_documents: int = BATCH_SIZE
) -> tuple[list[list[int]], list[int]]:
    """Group items of `sizes` bytes, in order, into JSON arrays of at most `limit_bytes`
    (brackets and commas counted) and `max_documents`. Answers (batches of indexes,
    indexes of items too large to travel even alone)."""
    batches: list[list[int]] = []
    oversize: list[int] = []
    current: list[int] = []
    used = 2  # "[" and "]"
    for index, size in enumerate(sizes):
        if size + 2 > limit_bytes:
            oversize.append(index)
            continue
        extra = size + (1 if current else 0)
        if current and (used + extra > limit_bytes or len(current) >= max_documents):
            batches.append(current)
            current, used, extra = [], 2, size
        current.append(index)
        used += extra
    if current:
        batches.append(current)
    return batches, oversize


def encode_batches(
    docs: Sequence[SearchDoc],
    *,
    limit_bytes: int = PAYLOAD_LIMIT_BYTES,
    max_documents: int = BATCH_SIZE,
) -> tuple[list[DocumentBatch], list[str]]:
    """The document POSTs for `docs`, in order, each under `limit_bytes`; and the ids of
    documents too large to send at all (logged and skipped by the caller). Raises
    ValueError for a bad document before anything is built: all or nothing."""
    encoded = [encode_document(document_payload(doc)) for doc in docs]
    groups, oversize = byte_batches(
        [len(item) for item in encoded], limit_bytes=limit_bytes, max_documents=max_documents
    )
    batches = [
        DocumentBatch(tuple(docs[i].id for i in group), _array([encoded[i] for i in group]))
        for group in groups
    ]
    return batches, [docs[i].id for i in oversize]


def split_batch(batch: DocumentBatch) -> list[DocumentBatch] | None:
    """After a 413: the batch in two halves, or None for a single document (skip it)."""
    if len(batch.ids) < 2:
        return None
    items: list[bytes] = []
    for payload in json.loads(batch.body):
        items.append(encode_document(payload))
    half = len(items) // 2
    return [
        DocumentBatch(batch.ids[:half], _array(items[:half])),
        DocumentBatch(batch.ids[half:], _array(items[half:])),
    ]


def document_batches(
    docs: Sequence[SearchDoc],
    batch_size: int = BATCH_SIZE,
    *,
    limit_bytes: int = PAYLOAD_LIMIT_BYTES,
) -> list[list[dict[str, Any]]]:
    """The documents of each POST, as JSON values (what the golden files hold)."""
    batches, _ = encode_batches(docs, limit_bytes=limit_bytes, max_documents=batch_size)
    return [json.loads(batch.body) for batch in batches]


def delete_batches(ids: Sequence[str], batch_size: int = DELETE_BATCH_SIZE) -> list[list[int]]:
    """POST /indexes/{uid}/documents/delete-batch bodies: the documents' primary keys."""
    keys = [doc_key(doc_id) for doc_id in ids]
    return [keys[i : i + batch_size] for i in range(0, len(keys), batch_size)]


# -- searches -------------------------------------------------------------------------------


def quote(value: str) -> str:
    """A string literal for a Meilisearch filter: double quotes, backslash escapes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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


def _terms(text: str) -> tuple[list[str], bool]:
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
    # The typed last word is a prefix, unless the word limit cut it off.
    prefix = bool(terms) and split.last_is_prefix and len(terms) <= MAX_TERMS
    prefix = prefix and not terms[-1].startswith('"')
    return terms[:MAX_TERMS], prefix


def query_text(text: str) -> str:
    """The `q`: our reading of the words (so `-word` is no negation to Meilisearch); a
    trailing space when the last word was typed in full (no prefix)."""
    terms, prefix = _terms(text)
    if not terms:
        return ""
    return " ".join(terms) + ("" if prefix else " ")


def can_relax(text: str) -> bool:
    """Whether a search that found nothing is worth one retry with words dropped."""
    return len(_terms(text)[0]) > 1


_ATTRIBUTES = {"title": TITLE_ATTRIBUTES, "body": BODY_ATTRIBUTES}


def search_params(query: SearchQuery, *, relaxed: bool = False) -> dict[str, Any]:
    """POST /indexes/{uid}/search body, without `q` (see query_text).

    Every word must match (`matchingStrategy: all`). `relaxed` is the one retry after
    nothing matched: `last`, with which Meilisearch itself drops words from the end.
    """
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
        "matchingStrategy": "last" if relaxed else "all",
        "showRankingScore": True,
    }
    if query.sort == "newest":
        params["sort"] = ["created_at:desc"]
    if query.fields:
        params["attributesToSearchOn"] = [
            attribute for name in query.fields for attribute in _ATTRIBUTES[name]
        ]
    return params
