"""GET /api/v1/search on the report's demo data, indexed by the real embedded engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core.config import Settings
from forum.discovery import service
from forum.discovery.sync import reindex, search_engine
from forum.discussions.models import Category
from search.engine import SearchError, SearchQuery, SearchResults
from tests.conftest import Client, Threads


@pytest.fixture
def indexed(demo_db: Session, session_factory: sessionmaker[Session], settings: Settings) -> None:
    """The demo data, indexed as `forum demo` leaves it."""
    demo_db.commit()
    reindex(session_factory, search_engine(settings), settings)


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="tests")
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


def search(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_marocco_finds_the_items_tagged_morocco(client: Client, indexed: None) -> None:
    body = search(client, q="Marocco")
    assert body["total"] > 0
    intel = [hit for hit in body["hits"] if hit["kind"] == "intel"]
    assert intel and all("MA" in hit["countries"] for hit in intel)
    assert any("Morocco" in hit["title"] for hit in body["hits"])


def test_foodnet_jappan_finds_foodnet_content_about_japan(client: Client, indexed: None) -> None:
    body = search(client, q="foodnet jappan")
    titles = [hit["title"] for hit in body["hits"]]
    assert "FoodNet" in titles
    assert all("JP" in hit["countries"] for hit in body["hits"])


def test_country_and_sector_operators_filter(client: Client, indexed: None) -> None:
    body = search(client, q="country:JP sector:food")
    assert body["total"] > 0
    for hit in body["hits"]:
        assert "JP" in hit["countries"] and "food" in hit["sectors"], hit
    same = search(client, country="JP", sector="food")
    assert same["total"] == body["total"]


def test_facet_counts_equal_the_numbers_of_matching_documents(
    client: Client, indexed: None
) -> None:
    body = search(client, q="cluster")
    assert body["total"] > 10  # more than one page: facets count every page
    for name, param in (("kind", "kind"), ("country", "country"), ("sector", "sector")):
        facet = body["facets"][name]
        assert facet, name
        for value, count in sorted(facet.items(), key=lambda kv: -kv[1])[:4]:
            assert search(client, q="cluster", **{param: value})["total"] == count, (name, value)
    assert sum(body["facets"]["kind"].values()) == body["total"]


def test_hits_have_the_documented_shape_and_absolute_urls(
    client: Client, indexed: None, settings: Settings
) -> None:
    body = search(client, q="good practice")
    assert set(body) >= {"hits", "total", "total_exact", "facets", "page", "pages"}
    assert body["total_exact"] is True  # the embedded engine always counts exactly
    assert set(body["facets"]) == {"kind", "subkind", "country", "sector"}
    hit = body["hits"][0]
    assert set(hit) >= {"id", "kind", "subkind", "title", "url", "snippet", "countries", "sectors"}
    assert hit["url"].startswith(settings.base_url + "/")
    assert "<mark>" in hit["snippet"] or "<mark>" in hit["title_html"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "cluster", "page": "2"},
        {"q": "coopération", "sort": "newest"},
        {"kind": "event", "page": "2"},
        {"q": "zzyzxquux"},
    ],
)
def test_the_answer_is_the_documented_json_byte_for_byte(
    client: Client, indexed: None, demo_db: Session, settings: Settings, params: dict[str, str]
) -> None:
    """The route writes its JSON itself: the bytes are those FastAPI wrote from the
    SearchOut model (keys in the documented order, compact, UTF-8 unescaped, dates in
    UTC with a Z, the four facets in the engine's order)."""
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    query, _ = service.build_query(
        demo_db,
        None,
        service.build_params(
            q=params.get("q"),
            kinds=[params["kind"]] if "kind" in params else [],
            sort=params.get("sort"),
            page=params.get("page"),
        ),
    )
    results = search_engine(settings).search(query)
    expected = {
        "hits": [
            {
                "id": hit.id,
                "kind": hit.kind,
                "subkind": hit.subkind,
                "title": hit.title,
                "url": settings.base_url + hit.url,
                "snippet": hit.snippet,
                "title_html": hit.title_html,
                "countries": list(hit.countries),
                "sectors": list(hit.sectors),
                "date": hit.created_at.isoformat().replace("+00:00", "Z")
                if hit.created_at
                else None,
                "language": hit.language,
            }
            for hit in results.hits
        ],
        "total": results.total,
        "total_exact": True,
        "page": query.page,
        "pages": max(1, min(service.MAX_PAGE, -(-results.total // service.PER_PAGE))),
        "facets": {
            name: results.facets.get(name, {}) for name in ("kind", "subkind", "country", "sector")
        },
    }
    assert bool(results.hits) == (params.get("q") != "zzyzxquux")
    assert (
        response.content == json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode()
    )


def test_pages_are_numbered_and_sort_by_date(client: Client, indexed: None) -> None:
    first = search(client, q="partnership")
    second = search(client, q="partnership", page=2)
    assert first["total"] == second["total"] > 10
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    newest = search(client, q="partnership", sort="newest")["hits"]
    dates = [hit["date"] for hit in newest]
    assert dates == sorted(dates, reverse=True)


def test_date_range_includes_the_whole_last_day(client: Client, indexed: None) -> None:
    everything = search(client, kind="event")
    in_may = search(client, kind="event", **{"from": "2019-05-01", "to": "2019-05-31"})
    assert 0 < in_may["total"] < everything["total"]
    for hit in in_may["hits"]:
        assert "2019-05-01" <= hit["date"][:10] <= "2019-05-31"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"country": "ZZ"}, "unknown country or region group: 'ZZ'"),
        ({"country": "g:atlantis"}, "'g:atlantis'"),
        ({"sector": "whaling"}, "unknown sector: 'whaling'"),
        ({"kind": "gossip"}, "unknown kind 'gossip'"),
        ({"sort": "random"}, "unknown sort 'random'"),
        ({"q": "country:zz cheese"}, "'ZZ'"),
        ({"from": "2019-06-01", "to": "2019-05-01"}, "is after"),
    ],
)
def test_unknown_filters_answer_422_naming_the_value(
    client: Client, indexed: None, params: dict[str, str], message: str
) -> None:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 422
    assert message in str(response.json()["detail"])


def test_malformed_parameters_answer_422(client: Client, indexed: None) -> None:
    assert client.get("/api/v1/search", params={"from": "soon"}).status_code == 422
    assert client.get("/api/v1/search", params={"page": 0}).status_code == 422
    assert client.get("/api/v1/search", params={"page": 101}).status_code == 422
    assert client.get("/api/v1/search", params={"q": "x" * 501}).status_code == 422


def test_hostile_text_never_breaks_the_search(client: Client, indexed: None) -> None:
    for text in ("l'oréal", '"unbalanced', "C++", "AND", "*", "a" * 500, "<script>", "in:"):
        response = client.get("/api/v1/search", params={"q": text})
        assert response.status_code == 200, (text, response.text)
        assert "<script>" not in response.text


def test_members_only_discussions_need_a_members_token(
    client: Client,
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    threads: Threads,
    member: User,
    members_only: Category,
) -> None:
    thread = threads.start(member, title="Staff-only pangolin planning", category=members_only)
    headers = bearer(db, member)
    reindex(session_factory, search_engine(settings), settings)
    assert search(client, q="pangolin")["total"] == 0
    response = client.get("/api/v1/search", params={"q": "pangolin"}, headers=headers)
    assert [hit["id"] for hit in response.json()["hits"]] == [f"thread:{thread.id}"]


def test_an_engine_that_cannot_answer_gives_503_with_a_json_error(
    client: Client, indexed: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = search_engine(settings)

    def broken(query: SearchQuery) -> SearchResults:
        raise SearchError("connection refused (injected)")

    monkeypatch.setattr(engine, "search", broken)
    response = client.get("/api/v1/search", params={"q": "Japan"})
    assert response.status_code == 503
    assert "unavailable" in response.json()["detail"]
