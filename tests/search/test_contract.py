"""The one suite every search engine passes: the embedded engine always, Meilisearch
when FORUM_MEILI_URL points to a server (skipped otherwise, with the reason).

The documents are made up for the rules under test (typo budgets, phrases, dates
on the boundaries); none of them states anything about a real organisation.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable

import pytest

from forum.taxonomy.regions import expand_codes
from search.engine import FACETS, SearchDoc, SearchEngine, SearchQuery, SearchResults

EngineFactory = Callable[[], SearchEngine]  # the `new_engine` fixture (conftest.py)


def _at(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=dt.UTC)


CORPUS = [
    SearchDoc(
        "intel:1", "intel", "FoodNet mission to Japan",
        "Cluster managers of the FoodNet partnership met importers in Tokyo and Osaka.",
        "/intelligence/1", _at(2019, 3, 1), subkind="funding_call", countries=("JP",),
        sectors=("food",), category="market-intelligence",
    ),
    SearchDoc(
        "intel:2", "intel", "Morocco solar plants",
        "Renewable energy projects in Morocco attract European clusters.",
        "/intelligence/2", _at(2019, 7, 15), subkind="news", countries=("MA",),
        sectors=("renewable-energy",), category="market-intelligence",
    ),
    SearchDoc(
        "thread:3", "thread", "Good practices for Korean cosmetics",
        "Korean buyers expect certified ingredients, says the cluster l'Écluse.",
        "/threads/3", _at(2018, 11, 2), subkind="good_practice", countries=("KR",),
        sectors=("cosmetics",), category="good-practices",
    ),
    SearchDoc(
        "post:4", "post", "Re: Japan tariffs",
        "Tariffs on food exports to Japan fell.",
        "/threads/9#post-4", _at(2019, 5, 20), countries=("JP",), sectors=("food",),
        category="market-intelligence",
    ),
    SearchDoc(
        "post:5", "post", "Members only: internationalisation budget",
        "Confidential internationalisation budget for Indonesia.",
        "/threads/10#post-5", _at(2019, 2, 10), countries=("ID",), visibility="members",
        category="members-lounge",
    ),
    SearchDoc(
        "event:6", "event", "Matchmaking event in Singapore",
        "<script>alert('x')</script> Meet buyers in Singapore & Kuala Lumpur.",
        "/events/6", _at(2020, 1, 10), countries=("SG", "MY"), sectors=("digital",),
    ),
    SearchDoc(
        "partnership:7", "partnership", "Observation partnership",
        "The partnership targets Mexico, Morocco, South Africa, the Emirates and the USA.",
        "/partnerships/7", _at(2019, 9, 9), countries=("MX", "MA", "ZA", "AE", "US"),
        sectors=("environmental-observation",),
    ),
    SearchDoc(
        "intel:8", "intel", "Fruit report",
        "Shipments of kiwi, mango and pineapple exports rose.",
        "/intelligence/8", _at(2019, 7, 1), subkind="report", countries=("NZ",),
        sectors=("food",), category="market-intelligence",
    ),
]  # fmt: skip
BY_ID = {doc.id: doc for doc in CORPUS}
MEMBER = ("public", "members")


@pytest.fixture
def corpus(engine: SearchEngine) -> SearchEngine:
    engine.upsert(CORPUS)
    return engine


def ids(results: SearchResults) -> set[str]:
    return {hit.id for hit in results.hits}


def everything(engine: SearchEngine, **fields: object) -> SearchResults:
    """All matching documents on one page (the corpus is small)."""
    return engine.search(SearchQuery(per_page=100, **fields))  # type: ignore[arg-type]


def found(engine: SearchEngine, text: str, **fields: object) -> set[str]:
    return ids(everything(engine, text=text, **fields))


def expected_facets(doc_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for doc_id in doc_ids:
        doc = BY_ID[doc_id]
        counts["kind"][doc.kind] += 1
        if doc.subkind:
            counts["subkind"][doc.subkind] += 1
        counts["country"].update(set(doc.countries))
        counts["sector"].update(set(doc.sectors))
    return {name: dict(counter) for name, counter in counts.items()}


# -- writes ------------------------------------------------------------------------------


def test_an_upserted_document_is_found_with_its_fields(engine: SearchEngine) -> None:
    engine.upsert([BY_ID["intel:1"]])
    results = engine.search(SearchQuery(text="foodnet"))
    assert results.total == 1
    (hit,) = results.hits
    assert (hit.id, hit.kind, hit.subkind, hit.url) == (
        "intel:1", "intel", "funding_call", "/intelligence/1",
    )  # fmt: skip
    assert hit.title == "FoodNet mission to Japan"
    assert hit.countries == ("JP",) and hit.sectors == ("food",)
    assert engine.stats()["documents"] == 1


def test_upserting_an_existing_id_replaces_the_document(engine: SearchEngine) -> None:
    engine.upsert([BY_ID["intel:1"]])
    changed = SearchDoc(
        "intel:1", "intel", "Dairy mission to Canada", "Cheese importers in Montreal.",
        "/intelligence/1", _at(2019, 3, 1), countries=("CA",),
    )  # fmt: skip
    engine.upsert([changed])
    assert found(engine, "foodnet") == set()
    assert found(engine, "cheese") == {"intel:1"}
    assert everything(engine, countries=["JP"]).total == 0
    assert engine.search(SearchQuery()).total == 1
    assert engine.stats()["documents"] == 1


def test_the_last_of_two_versions_in_one_batch_wins(engine: SearchEngine) -> None:
    first = BY_ID["post:4"]
    second = SearchDoc("post:4", "post", "Re: Canada", "Maple syrup.", "/p/4", _at(2019, 1, 1))
    engine.upsert([first, second])
    assert found(engine, "maple") == {"post:4"}
    assert found(engine, "tariffs") == set()
    assert engine.search(SearchQuery()).total == 1


def test_deleted_documents_are_gone_and_unknown_ids_are_ignored(corpus: SearchEngine) -> None:
    corpus.delete(["intel:1", "post:4", "thread:999"])
    assert found(corpus, "japan") == set()
    assert corpus.search(SearchQuery(visibilities=MEMBER)).total == len(CORPUS) - 2
    assert corpus.stats()["documents"] == len(CORPUS) - 2


def test_clear_empties_the_index(corpus: SearchEngine) -> None:
    corpus.clear()
    assert corpus.search(SearchQuery(visibilities=MEMBER)).total == 0
    assert corpus.stats()["documents"] == 0


def test_a_rebuild_replaces_the_live_index_in_one_switch(corpus: SearchEngine) -> None:
    target = corpus.start_rebuild()
    target.upsert([BY_ID["intel:8"]])
    # Until the switch, searches see the old index.
    assert found(corpus, "japan") == {"intel:1", "post:4"}
    corpus.finish_rebuild(target)
    assert found(corpus, "japan") == set()
    assert corpus.search(SearchQuery(visibilities=MEMBER)).total == 1
    assert found(corpus, "kiwi") == {"intel:8"}


# -- matching ------------------------------------------------------------------------------


def test_all_words_must_match(corpus: SearchEngine) -> None:
    assert found(corpus, "morocco") == {"intel:2", "partnership:7"}
    assert found(corpus, "morocco solar") == {"intel:2"}


def test_when_nothing_matches_words_are_dropped_from_the_end(corpus: SearchEngine) -> None:
    assert found(corpus, "morocco zzqqxx") == {"intel:2", "partnership:7"}
    # What matches the most words comes first: alone with the embedded engine; followed by
    # what matches fewer with Meilisearch's `matchingStrategy: last` (docs/search.md).
    relaxed = everything(corpus, text="morocco solar zzqqxx yyqqww")
    assert relaxed.hits[0].id == "intel:2"
    assert ids(relaxed) <= {"intel:2", "partnership:7"}
    # The first word is never dropped.
    assert found(corpus, "zzqqxx morocco") == set()


def test_words_under_five_letters_allow_no_typo(corpus: SearchEngine) -> None:
    assert found(corpus, "kiwi ") == {"intel:8"}
    assert found(corpus, "kiwu ") == set()


def test_words_of_five_to_eight_letters_allow_one_typo(corpus: SearchEngine) -> None:
    assert found(corpus, "manga ") == {"intel:8"}
    assert found(corpus, "mbngb ") == set()
    assert found(corpus, "exprts ") == {"intel:8", "post:4"}  # a letter left out
    assert found(corpus, "expxrtx ") == set()


def test_words_of_nine_letters_or_more_allow_two_typos(corpus: SearchEngine) -> None:
    assert found(corpus, "pinxapplx ") == {"intel:8"}
    assert found(corpus, "pinxapxlx ") == set()
    assert found(corpus, "foodnet jappan") == {"intel:1"}


def test_the_last_word_also_matches_as_a_prefix(corpus: SearchEngine) -> None:
    assert found(corpus, "pinea") == {"intel:8"}
    assert found(corpus, "fruit pinea") == {"intel:8"}
    # Followed by a space, the word is complete.
    assert found(corpus, "pinea ") == set()
    # Only the last word is a prefix.
    assert found(corpus, "pinea kiwi") == set()


def test_quoted_words_match_as_a_phrase(corpus: SearchEngine) -> None:
    assert found(corpus, '"importers in Tokyo"') == {"intel:1"}
    assert found(corpus, '"Tokyo in importers"') == set()
    assert found(corpus, 'cluster "importers in tokyo"') == {"intel:1"}


def test_accents_and_case_do_not_matter(corpus: SearchEngine) -> None:
    assert found(corpus, "l'ecluse") == {"thread:3"}
    assert found(corpus, "L'ÉCLUSE") == {"thread:3"}
    assert found(corpus, "KOREAN") == {"thread:3"}


def test_in_title_restricts_the_words_to_titles(corpus: SearchEngine) -> None:
    assert found(corpus, "japan") == {"intel:1", "post:4"}
    assert found(corpus, "tokyo", fields=["title"]) == set()
    assert found(corpus, "japan", fields=["title"]) == {"intel:1", "post:4"}
    assert found(corpus, "tariffs", fields=["title"]) == {"post:4"}


# -- filters -------------------------------------------------------------------------------


def test_filters_allow_any_of_their_values_and_combine_with_each_other(
    corpus: SearchEngine,
) -> None:
    assert ids(everything(corpus, countries=["JP"])) == {"intel:1", "post:4"}
    assert ids(everything(corpus, countries=["JP", "MA"])) == {
        "intel:1", "post:4", "intel:2", "partnership:7",
    }  # fmt: skip
    assert ids(everything(corpus, sectors=["food"])) == {"intel:1", "post:4", "intel:8"}
    assert ids(everything(corpus, kinds=["intel"])) == {"intel:1", "intel:2", "intel:8"}
    assert ids(everything(corpus, subkinds=["funding_call", "report"])) == {"intel:1", "intel:8"}
    assert ids(everything(corpus, categories=["good-practices"])) == {"thread:3"}
    assert ids(everything(corpus, countries=["JP"], kinds=["post"])) == {"post:4"}
    assert ids(everything(corpus, text="exports", countries=["NZ"])) == {"intel:8"}


def test_a_region_group_filters_as_its_expanded_countries(corpus: SearchEngine) -> None:
    asean = expand_codes(["g:asean"])
    assert {"SG", "ID", "MY"} <= set(asean)
    assert ids(everything(corpus, countries=asean)) == {"event:6"}
    assert ids(everything(corpus, countries=asean, visibilities=MEMBER)) == {"event:6", "post:5"}


def test_members_only_documents_reach_only_those_allowed(corpus: SearchEngine) -> None:
    assert found(corpus, "internationalisation") == set()
    assert found(corpus, "internationalisation", visibilities=MEMBER) == {"post:5"}
    assert found(corpus, "internationalisation", visibilities=["members"]) == {"post:5"}
    # No visibility allowed: nothing at all, not everything.
    nothing = corpus.search(SearchQuery(visibilities=()))
    assert nothing.total == 0 and nothing.hits == []


def test_dates_filter_on_a_half_open_range(corpus: SearchEngine) -> None:
    first_half = everything(corpus, date_from=_at(2019, 1, 1), date_to=_at(2019, 7, 1))
    assert ids(first_half) == {"intel:1", "post:4"}
    # intel:8 was created at 2019-07-01 00:00:00 exactly: in the next range, not this one.
    second_half = everything(corpus, date_from=_at(2019, 7, 1), date_to=_at(2020, 1, 1))
    assert ids(second_half) == {"intel:8", "intel:2", "partnership:7"}
    assert ids(everything(corpus, date_to=_at(2019, 1, 1))) == {"thread:3"}
    assert ids(everything(corpus, date_from=_at(2020, 1, 1))) == {"event:6"}


def test_dates_far_outside_any_document_s_filter_like_unbounded_ones(
    corpus: SearchEngine,
) -> None:
    # The embedded engine's dates end in 1677 and 2262: filters beyond are clamped.
    everyone = ids(everything(corpus, visibilities=MEMBER))
    year_one = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    year_9999 = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    assert ids(everything(corpus, date_from=year_9999, visibilities=MEMBER)) == set()
    assert ids(everything(corpus, date_to=year_one, visibilities=MEMBER)) == set()
    assert ids(everything(corpus, date_to=year_9999, visibilities=MEMBER)) == everyone
    assert ids(everything(corpus, date_from=year_one, visibilities=MEMBER)) == everyone
    far = SearchDoc(
        "event:99", "event", "Expo 2300 on Mars", "Far ahead.", "/events/99",
        dt.datetime(2300, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    corpus.upsert([far])
    assert found(corpus, "mars") == {"event:99"}
    assert "event:99" in ids(everything(corpus, date_from=_at(2200, 1, 1)))


def test_naive_dates_are_taken_as_utc(corpus: SearchEngine) -> None:
    start, end = dt.datetime(2019, 7, 1), dt.datetime(2019, 7, 2)  # noqa: DTZ001 - naive on purpose
    naive = everything(corpus, date_from=start, date_to=end)
    assert ids(naive) == {"intel:8"}


# -- facets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("", {}),
        ("", {"visibilities": MEMBER}),
        ("japan", {}),
        ("exports", {}),
        ("", {"sectors": ["food"]}),
        ("partnership", {"countries": ["MA", "JP"]}),
        ("morocco zzqqxx", {}),
    ],
)
def test_facet_counts_equal_the_numbers_of_matching_documents(
    corpus: SearchEngine, text: str, filters: dict[str, object]
) -> None:
    results = everything(corpus, text=text, **filters)
    assert results.total == len(results.hits) > 0
    assert results.facets == expected_facets(ids(results))
    # The same counts when the page shows only some of the matches (twice: an engine
    # may count the second time from what it kept of the first).
    for _ in range(2):
        first = corpus.search(SearchQuery(text=text, per_page=1, **filters))  # type: ignore[arg-type]
        assert first.total == results.total
        assert first.facets == results.facets


def test_facets_count_every_match_not_just_the_page(corpus: SearchEngine) -> None:
    page = corpus.search(SearchQuery(per_page=2, sort="newest", visibilities=MEMBER))
    assert len(page.hits) == 2 and page.total == len(CORPUS)
    assert page.facets == expected_facets(BY_ID)


def test_no_match_has_empty_facets(corpus: SearchEngine) -> None:
    results = corpus.search(SearchQuery(text="zzqqxx"))
    assert results.total == 0 and results.hits == []
    assert results.facets == {name: {} for name in FACETS}


# -- results -------------------------------------------------------------------------------


def test_snippets_are_escaped_html_with_marks(corpus: SearchEngine) -> None:
    (hit,) = corpus.search(SearchQuery(text="singapore")).hits
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert "&amp; Kuala" in hit.snippet
    marked = re.findall(r"<mark>(.*?)</mark>", hit.snippet)
    assert marked and {m.lower() for m in marked} == {"singapore"}
    assert re.sub(r"</?mark>", "", hit.snippet).count("<") == 0
    assert hit.title_html == "Matchmaking event in <mark>Singapore</mark>"


def test_typos_and_prefixes_are_highlighted_too(corpus: SearchEngine) -> None:
    (hit,) = corpus.search(SearchQuery(text="pinxapplx ")).hits
    assert "<mark>pineapple</mark>" in hit.snippet
    (hit,) = corpus.search(SearchQuery(text="fruit pinea")).hits
    assert "<mark>pineapple</mark>" in hit.snippet
    assert hit.title_html == "<mark>Fruit</mark> report"


def test_without_words_the_snippet_is_the_beginning_of_the_text(corpus: SearchEngine) -> None:
    (hit,) = corpus.search(SearchQuery(countries=["SG"])).hits
    assert hit.snippet.startswith("&lt;script&gt;alert(")
    assert "<mark>" not in hit.snippet and "<mark>" not in hit.title_html


def test_keywords_find_a_document_and_are_never_shown(engine: SearchEngine) -> None:
    doc = SearchDoc(
        "intel:90", "intel", "Solar tenders", "Ten tenders for solar farms were announced.",
        "/intelligence/90", _at(2020, 1, 1), countries=("MA",),
        keywords="Morocco · Maroc · Marokko · Marocco · Renewable energies",
    )  # fmt: skip
    engine.upsert([doc])
    for text in ("marokko", "Marocco", "maroc", "renewable"):
        (hit,) = engine.search(SearchQuery(text=text)).hits
        assert hit.id == "intel:90"
        assert "Maro" not in hit.snippet and "Renewable" not in hit.snippet
        assert hit.snippet.startswith("Ten tenders")
    assert found(engine, "marokko tenders") == {"intel:90"}
    assert found(engine, "marokko", fields=("title",)) == set()


def test_pages_split_the_results_without_overlap(corpus: SearchEngine) -> None:
    pages = [
        corpus.search(SearchQuery(sort="newest", per_page=3, page=n, visibilities=MEMBER))
        for n in (1, 2, 3, 4)
    ]
    assert [len(p.hits) for p in pages] == [3, 3, 2, 0]
    assert all(p.total == len(CORPUS) for p in pages)
    seen = [hit.id for p in pages for hit in p.hits]
    assert sorted(seen) == sorted(BY_ID)


def test_newest_sorts_by_creation_date(corpus: SearchEngine) -> None:
    results = everything(corpus, sort="newest", visibilities=MEMBER)
    expected = sorted(CORPUS, key=lambda d: d.created_at, reverse=True)
    assert [hit.id for hit in results.hits] == [doc.id for doc in expected]
    assert results.hits[0].created_at == _at(2020, 1, 10)


def test_relevance_puts_title_matches_first(corpus: SearchEngine) -> None:
    results = everything(corpus, text="partnership")
    assert results.hits[0].id == "partnership:7"
    assert {hit.id for hit in results.hits} == {"partnership:7", "intel:1"}


# -- hostile input -------------------------------------------------------------------------

HOSTILE = [
    "l'oréal", '"unbalanced', 'two "unbalanced', "C++", "AND", "OR", "NOT", "*", "a" * 500,
    "japan " + "b" * 500, "title:japan", "(japan", "japan)", "-japan", "--", "\\", "\\\"",
    '""', '"', "''", "\x00", "🙂", "日本語", "ｊａｐａｎ", " ", "\t\n", "%", "?", "japan~2",
    "ja*", "/ja.*/", "<script>alert(1)</script>", "&amp;", "' OR 1=1 --", "a " * 300,
]  # fmt: skip


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        length = rng.randint(1, 60)
        chars = []
        for _ in range(length):
            roll = rng.random()
            if roll < 0.4:
                chars.append(rng.choice("abcdefghij \"'*:-()+~^\\"))
            else:
                code = rng.randint(0x20, 0x2FFFF)
                if 0xD800 <= code <= 0xDFFF:
                    code = 0x20
                chars.append(chr(code))
        texts.append("".join(chars))
    return texts


@pytest.mark.parametrize("text", HOSTILE + _random_texts(40, seed=8))
def test_hostile_input_never_raises(corpus: SearchEngine, text: str) -> None:
    results = corpus.search(SearchQuery(text=text, per_page=5))
    assert results.total >= len(results.hits)
    assert len(results.hits) <= 5
    for hit in results.hits:
        assert "<script>" not in hit.snippet and "<script>" not in hit.title_html


def test_a_page_far_past_the_end_is_empty_with_the_true_total(corpus: SearchEngine) -> None:
    results = corpus.search(SearchQuery(page=1000, per_page=50))
    assert results.hits == [] and results.total == len(CORPUS) - 1


def test_bad_documents_are_refused_before_anything_is_written(
    new_engine: EngineFactory,
) -> None:
    engine = new_engine()
    bad = SearchDoc("intel:x", "intel", "Broken", "", "/", _at(2019, 1, 1))
    with pytest.raises(ValueError, match="intel:x"):
        engine.upsert([BY_ID["intel:1"], bad])
    wrong_kind = SearchDoc("post:3", "intel", "Mislabelled", "", "/", _at(2019, 1, 1))
    with pytest.raises(ValueError, match="kind"):
        engine.upsert([wrong_kind])
    assert engine.search(SearchQuery()).total == 0
