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
    delete_filters,
    document_batches,
    filter_expression,
    marked_html,
    query_texts,
    results_from_response,
    search_params,
    settings_body,
    swap_body,
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
    check_golden("meili_settings", settings_body())


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


def test_deletions_in_batches() -> None:
    check_golden(
        "meili_delete",
        delete_filters(["intel:42", "post:7", "thread:1", "event:99999"], batch_size=3),
    )


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
    check_golden(
        "meili_search",
        {
            name: {"q_attempts": query_texts(q.text), "body": search_params(q)}
            for name, q in SEARCHES.items()
        },
    )


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
    results = results_from_response(answer)
    assert results.hits[0].language is None
    assert results.total == 31
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


def test_bad_documents_are_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="kind"):
        document_batches([SearchDoc("post:1", "intel", "t", "b", "/", WHEN)])
    with pytest.raises(ValueError, match="post:x"):
        delete_filters(["post:x"])


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
    (hit,) = results_from_response(answer).hits
    assert (hit.title, hit.language) == ("Re: partenariats", "fr")
    assert hit.title_html == "Re: <mark>partenariats</mark>"
    assert hit.snippet == "Nous cherchons des <mark>partenariats</mark>."
