"""Every request the Meilisearch adapter sends, checked against golden files.

The builders are pure functions; the files in tests/search/golden/ hold their
exact output. After a deliberate change, regenerate them with
`FORUM_UPDATE_GOLDEN=1 pytest tests/search/test_search_meili_requests.py` and
read the diff. The contract suite (test_contract.py) runs the adapter against a
real server when FORUM_MEILI_URL is set; no server is faked here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from search.engine import SearchDoc, SearchError, SearchQuery
from search.meili import (
    POST_TAG,
    PRE_TAG,
    MeiliEngine,
    delete_batches,
    document_batches,
    filter_expression,
    key_bodies,
    marked_html,
    query_text,
    results_from_response,
    search_params,
    settings_body,
    swap_body,
)
from search.meili_answers import index_setup
from search.meili_requests import (
    FILTERABLE,
    MAX_POSITIONS,
    MAX_TOTAL_HITS,
    can_relax,
    cut_to_positions,
    document_payload,
    encode_batches,
    encode_document,
    index_body,
    rebuild_requests,
    split_batch,
    switch_requests,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("FORUM_UPDATE_GOLDEN") == "1"
WHEN = dt.datetime(2019, 3, 1, 12, 30, 15, 250000, tzinfo=dt.UTC)


def check_golden(name: str, value: Any) -> None:
    path = GOLDEN / f"{name}.json"
    rendered = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE:
        path.write_text(rendered)
    assert path.exists(), f"{path} is missing: run with FORUM_UPDATE_GOLDEN=1"
    assert json.loads(path.read_text()) == json.loads(rendered), f"{name} differs from {path}"


def test_index_settings() -> None:
    """Point 2: maxTotalHits is 10,000 (not 1,000,000); point 3: the primary key is not
    filterable (deletions name keys)."""
    body = settings_body()
    assert body["pagination"] == {"maxTotalHits": MAX_TOTAL_HITS} == {"maxTotalHits": 10_000}
    assert "key" not in body["filterableAttributes"] and body["filterableAttributes"] == FILTERABLE
    check_golden("meili_settings", body)


def test_index_creation_and_rebuild_requests() -> None:
    """Point 1: on a new server the live index is created (idempotently) before the
    first swap; point 7: settings are sent only where the server differs; point 10: the
    swapped-out index is dropped, not waited for."""
    rebuild = rebuild_requests("forum", "forum_rebuild", max_total_hits=MAX_TOTAL_HITS)
    creations = [r for r in rebuild if r.method == "POST" and r.path == "indexes"]
    assert [r.body["uid"] for r in creations] == ["forum", "forum_rebuild"]
    assert creations[0].tolerated == {"index_already_exists"}  # exists already: fine
    swap, drop = switch_requests("forum", "forum_rebuild")
    new_server = index_setup("forum", None, max_total_hits=MAX_TOTAL_HITS)
    configured = index_setup(
        "forum", settings_body(max_total_hits=1_000_000), max_total_hits=MAX_TOTAL_HITS
    )
    check_golden(
        "meili_index",
        {
            "ensure_index_on_a_new_server": [r.as_json() for r in new_server],
            "ensure_index_on_an_index_set_up_before": [r.as_json() for r in configured],
            "ensure_index_when_nothing_changed": [
                r.as_json()
                for r in index_setup("forum", settings_body(), max_total_hits=MAX_TOTAL_HITS)
            ],
            "start_rebuild": [r.as_json() for r in rebuild],
            "finish_rebuild": [swap.as_json(), drop.as_json()],
        },
    )
    assert index_body("forum") == {"uid": "forum", "primaryKey": "key"}


def test_api_keys_per_role() -> None:
    """Point 6: the web key only searches the live index; the worker's writes, swaps and
    reads tasks on the live and the rebuild index; neither may manage keys."""
    bodies = key_bodies("forum")
    assert bodies["web"]["actions"] == ["search"] and bodies["web"]["indexes"] == ["forum"]
    worker = bodies["worker"]
    assert {"documents.add", "documents.delete", "indexes.create", "indexes.swap",
            "settings.update", "tasks.get"} <= set(worker["actions"])  # fmt: skip
    assert worker["indexes"] == ["forum", "forum_rebuild"]
    assert not any(a.startswith("keys.") or a == "*" for b in bodies.values() for a in b["actions"])
    check_golden("meili_keys", bodies)


QUERIES = {
    "default": SearchQuery(),
    "member": SearchQuery(visibilities=("public", "members")),
    "every_filter": SearchQuery(
        kinds=("intel", "post"),
        subkinds=("funding_call",),
        countries=("JP", "KR", "JP"),
        sectors=("food",),
        categories=("good-practices",),
        date_from=WHEN,
        date_to=dt.datetime(2019, 7, 1, tzinfo=dt.UTC),
    ),
    "hostile_values": SearchQuery(
        countries=('J"P', "K\\R"), sectors=("a OR b", "x) AND (y"), categories=("'",)
    ),
    "naive_dates": SearchQuery(date_from=dt.datetime(2019, 1, 1)),  # noqa: DTZ001 - on purpose
    "nobody": SearchQuery(visibilities=()),
}


def test_filters() -> None:
    check_golden("meili_filters", {name: filter_expression(q) for name, q in QUERIES.items()})


def test_documents_in_batches() -> None:
    docs = [
        SearchDoc(
            "intel:42", "intel", "FoodNet in Japan", f"Body {PRE_TAG}with{POST_TAG} tags",
            "/intelligence/42", WHEN, subkind="news", countries=("JP", "JP", "KR"),
            sectors=("food",), category="market-intelligence",
        ),
        SearchDoc("post:7", "post", "Re: tariffs", "<b>bold</b>", "/threads/1#post-7", WHEN,
                  visibility="members"),
        SearchDoc("partnership:3", "partnership", "ELBE", "", "/partnerships/3",
                  dt.datetime(2020, 1, 1)),  # noqa: DTZ001 - naive is taken as UTC
        # Its language's attributes (French rules); a region does not matter.
        SearchDoc("post:8", "post", "Re: partenariats", "Nous cherchons des partenariats.",
                  "/posts/8", WHEN, language="fr-CA"),
        # Irish: no Meilisearch locale, so the plain attributes, the language kept.
        SearchDoc("thread:9", "thread", "Comhpháirtíochtaí", "Tá muid ag lorg comhpháirtithe.",
                  "/threads/9", WHEN, language="ga"),
    ]  # fmt: skip
    check_golden("meili_documents", document_batches(docs, batch_size=2))
    # Point 4: sized in bytes too; a limit just over two documents makes pairs.
    sizes = [len(encode_document(document_payload(doc))) for doc in docs]
    pairs = document_batches(docs, batch_size=1000, limit_bytes=sizes[0] + sizes[1] + 3)
    assert len(pairs[0]) == 2
    check_golden("meili_documents_by_bytes", pairs)


def _doc(n: int, body: str = "text") -> SearchDoc:
    return SearchDoc(f"post:{n}", "post", f"t{n}", body, f"/posts/{n}", WHEN)


def test_batches_stay_under_the_byte_limit_in_order() -> None:
    docs = [_doc(n, "word " * (n * 40)) for n in range(1, 30)]
    limit = 4000
    batches, oversize = encode_batches(docs, limit_bytes=limit, max_documents=1000)
    assert all(len(batch.body) <= limit for batch in batches)
    assert [i for batch in batches for i in batch.ids] + oversize == [d.id for d in docs][
        : sum(len(b.ids) for b in batches)
    ] + oversize
    # Too large even alone: skipped, never sent (and so never retried forever).
    assert oversize and all(len(encode_document(document_payload(d))) > limit
                            for d in docs if d.id in oversize)  # fmt: skip
    for batch in batches:
        assert json.loads(batch.body) == [document_payload(d) for d in docs if d.id in batch.ids]


def test_a_refused_batch_splits_in_halves_down_to_one_document() -> None:
    (batch,), _ = encode_batches([_doc(n) for n in range(1, 6)])
    halves = split_batch(batch)
    assert halves is not None
    assert [h.ids for h in halves] == [batch.ids[:2], batch.ids[2:]]
    assert json.loads(halves[0].body) + json.loads(halves[1].body) == json.loads(batch.body)
    (single,), _ = encode_batches([_doc(1)])
    assert split_batch(single) is None  # one document: skipped, not retried


def test_deletions_in_batches() -> None:
    """Point 3: POST .../documents/delete-batch with the primary keys, no filter."""
    check_golden(
        "meili_delete",
        delete_batches(["intel:42", "post:7", "thread:1", "event:99999"], batch_size=3),
    )


def test_long_fields_are_cut_where_meilisearch_stops_indexing() -> None:
    """Point 5: words past position 65,535 of an attribute are not indexed by Meilisearch;
    they are not sent either."""
    short = "cheese " * 1000
    assert cut_to_positions(short) == short
    spaced = " ".join(f"w{n}" for n in range(70_000))
    cut = cut_to_positions(spaced)
    assert cut.split() == [f"w{n}" for n in range(MAX_POSITIONS)]
    # After a hard separator a word is 8 positions on: far fewer words fit.
    sentences = ". ".join(f"w{n}" for n in range(20_000))
    kept = cut_to_positions(sentences).split(". ")
    assert len(kept) == (MAX_POSITIONS - 1) // 8 + 1
    # A script without spaces: each character may be a word.
    cjk = "漢" * 70_000
    assert len(cut_to_positions(cjk)) == MAX_POSITIONS
    payload = document_payload(_doc(1, spaced))
    assert payload["body"] == cut


SEARCHES = {
    "typed": SearchQuery(text="foodnet jappan"),
    "complete_words": SearchQuery(text="foodnet japan "),
    "phrase_and_operators_left": SearchQuery(text='"solar plants" Morocco -energy'),
    "unclosed_quote": SearchQuery(text='cheese "unbalanced'),
    "hostile": SearchQuery(text="l'oréal C++ AND * \\\""),
    "eleven_words": SearchQuery(text="a b c d e f g h i j k"),
    "empty": SearchQuery(),
    "newest_title_page_3": SearchQuery(
        text="tariffs", sort="newest", fields=("title",), page=3, per_page=25, countries=("JP",)
    ),
}


def test_searches() -> None:
    """Point 9: one request with every word; when it finds nothing and there is more than
    one word, one retry with matchingStrategy "last" (Meilisearch drops words itself)."""
    check_golden(
        "meili_search",
        {
            name: {
                "q": query_text(q.text),
                "body": search_params(q),
                "retry_body": search_params(q, relaxed=True) if can_relax(q.text) else None,
            }
            for name, q in SEARCHES.items()
        },
    )
    assert search_params(SEARCHES["typed"])["matchingStrategy"] == "all"
    assert search_params(SEARCHES["typed"], relaxed=True)["matchingStrategy"] == "last"
    assert not can_relax("japan") and not can_relax("") and can_relax("foodnet japan")


def test_index_swap() -> None:
    check_golden("meili_swap", swap_body("forum", "forum_rebuild"))


def test_highlight_tags_become_escaped_marks() -> None:
    formatted = f"…<script>x</script> {PRE_TAG}Japan{POST_TAG} & {PRE_TAG}Osaka{POST_TAG}…"
    assert marked_html(formatted) == (
        "…&lt;script&gt;x&lt;/script&gt; <mark>Japan</mark> &amp; <mark>Osaka</mark>…"
    )
    assert marked_html(f"{POST_TAG}stray{PRE_TAG}") == "stray"


def test_a_search_answer_becomes_search_results() -> None:
    """The answer's shape is the one Meilisearch documents for page-mode searches
    (hits with _formatted and _rankingScore, totalHits, facetDistribution)."""
    answer = {
        "hits": [
            {
                "key": (2 << 40) | 42,
                "kind": "intel",
                "subkind": "news",
                "title": "FoodNet <in> Japan",
                "url": "/intelligence/42",
                "countries": ["JP"],
                "sectors": ["food"],
                "created_at": 1551443415,
                "_formatted": {
                    "title": f"FoodNet <in> {PRE_TAG}Japan{POST_TAG}",
                    "body": f"Importers in {PRE_TAG}Japan{POST_TAG}…",
                },
                "_rankingScore": 0.75,
            }
        ],
        "totalHits": 31,
        "totalPages": 4,
        "facetDistribution": {"kind": {"intel": 31}, "countries": {"JP": 31, "KR": 2}},
    }
    results = results_from_response(answer, max_total_hits=MAX_TOTAL_HITS)
    assert results.hits[0].language is None
    assert results.total == 31 and results.total_exact
    (hit,) = results.hits
    assert hit.id == "intel:42" and hit.kind == "intel" and hit.subkind == "news"
    assert hit.title == "FoodNet <in> Japan"
    assert hit.title_html == "FoodNet &lt;in&gt; <mark>Japan</mark>"
    assert hit.snippet == "Importers in <mark>Japan</mark>…"
    assert hit.created_at == dt.datetime(2019, 3, 1, 12, 30, 15, tzinfo=dt.UTC)
    assert hit.score == 0.75
    assert results.facets == {
        "kind": {"intel": 31},
        "subkind": {},
        "country": {"JP": 31, "KR": 2},
        "sector": {},
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_server_is_a_search_error() -> None:
    engine = MeiliEngine(f"http://127.0.0.1:{_closed_port()}", timeout_seconds=2)
    with pytest.raises(SearchError, match="unavailable"):
        engine.search(SearchQuery(text="japan"))
    with pytest.raises(SearchError, match="unavailable"):
        engine.ensure_index()
    with pytest.raises(SearchError, match="unavailable"):
        engine.upsert([SearchDoc("post:1", "post", "t", "b", "/", WHEN)])
    with pytest.raises(SearchError, match="unavailable"):
        engine.delete(["post:1"])
    with pytest.raises(SearchError, match="unavailable"):
        engine.health()
    assert engine.check_writes() == []  # nothing was accepted, nothing to look at


def test_bad_documents_are_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="kind"):
        document_batches([SearchDoc("post:1", "intel", "t", "b", "/", WHEN)])
    with pytest.raises(ValueError, match="post:x"):
        delete_batches(["post:x"])


def test_a_hit_in_a_language_reads_its_languages_attributes() -> None:
    answer = {
        "hits": [
            {
                "key": (1 << 40) | 8,
                "kind": "post",
                "title_fra": "Re: partenariats",
                "url": "/posts/8",
                "language": "fr",
                "_formatted": {
                    "title_fra": f"Re: {PRE_TAG}partenariats{POST_TAG}",
                    "body_fra": f"Nous cherchons des {PRE_TAG}partenariats{POST_TAG}.",
                },
            }
        ],
        "totalHits": 1,
    }
    (hit,) = results_from_response(answer, max_total_hits=MAX_TOTAL_HITS).hits
    assert (hit.title, hit.language) == ("Re: partenariats", "fr")
    assert hit.title_html == "Re: <mark>partenariats</mark>"
    assert hit.snippet == "Nous cherchons des <mark>partenariats</mark>."
