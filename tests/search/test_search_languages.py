"""The embedded engine analyses each document in its language (issue 19): stemmed in
English, French, German, Spanish and Italian, word for word in any other.

Each pair below is out of reach of typo tolerance (more edits than the query word's
budget, or a word too short for any) and of the last-word prefix (the queries end with
a space), so only the right stemmer can join them. Meilisearch does not stem; these
rules are the embedded engine's, not the contract's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.embedded import EmbeddedEngine
from search.embedded_schema import language_fields
from search.engine import SearchDoc, SearchQuery

WHEN = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def doc(number: int, title: str, body: str, language: str | None) -> SearchDoc:
    return SearchDoc(
        f"post:{number}", "post", title, body, f"/posts/{number}", WHEN, language=language
    )


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(tmp_path / "search")
    engine.ensure_index()
    yield engine
    engine.close()


def found(engine: EmbeddedEngine, text: str) -> set[str]:
    return {hit.id for hit in engine.search(SearchQuery(text=text, per_page=50)).hits}


@pytest.mark.parametrize(
    ("language", "text", "query"),
    [
        ("fr", "Les pôles régionaux se rencontrent à Lyon.", "régional "),
        ("de", "Der Zugang zu neuen Märkten ist schwer.", "Markt "),
        ("es", "Buscamos socios en otros países.", "país "),
        ("es", "Las regiones del sur exportan aceite.", "región "),
        ("it", "I vini della Toscana cercano importatori.", "vino "),
        ("en", "Clusters exporting machinery to Japan.", "exports "),
    ],
)
def test_a_word_finds_its_other_forms_in_the_documents_language(
    embedded: EmbeddedEngine, language: str, text: str, query: str
) -> None:
    embedded.upsert([doc(1, "Post", text, language), doc(2, "Post", text, None)])
    assert found(embedded, query) == {"post:1"}


def test_a_french_post_about_partenariats_is_found_by_partenariat(
    embedded: EmbeddedEngine,
) -> None:
    embedded.upsert([doc(1, "Post", "Nous cherchons des partenariats en Bretagne.", "fr")])
    (hit,) = embedded.search(SearchQuery(text="partenariat ")).hits
    assert hit.id == "post:1"
    assert "<mark>partenariats</mark>" in hit.snippet


def test_the_title_is_stemmed_in_the_documents_language_too(embedded: EmbeddedEngine) -> None:
    embedded.upsert([doc(1, "Les pôles régionaux", "Rencontre à Lyon.", "fr")])
    results = embedded.search(SearchQuery(text="régional ", fields=("title",)))
    assert [hit.id for hit in results.hits] == ["post:1"]
    assert results.hits[0].title_html == "Les pôles <mark>régionaux</mark>"
    assert results.hits[0].language == "fr"


def test_another_stemmer_does_not_join_the_forms(embedded: EmbeddedEngine) -> None:
    """The Italian text filed as English (or French) is not found by the other form."""
    text = "I vini della Toscana cercano importatori."
    embedded.upsert([doc(1, "Post", text, "en"), doc(2, "Post", text, "fr")])
    assert found(embedded, "vino ") == set()
    assert found(embedded, "vini ") == {"post:1", "post:2"}


def test_text_in_a_language_without_stemmer_is_found_by_its_exact_words_only(
    embedded: EmbeddedEngine,
) -> None:
    polish = doc(1, "Targi w Poznaniu", "Spotkamy się na targach spożywczych w Poznaniu.", "pl")
    embedded.upsert([polish])
    assert found(embedded, "targach ") == {"post:1"}
    assert found(embedded, "spożywczych ") == {"post:1"}
    assert found(embedded, "Poznaniu") == {"post:1"}
    # Other forms of the words are not joined: nothing stems Polish.
    assert found(embedded, "targ ") == set()
    assert found(embedded, "spożywcze ") == set()
    # Typos and prefixes still work on the unstemmed words.
    assert found(embedded, "spozywczyh ") == {"post:1"}
    assert found(embedded, "Pozna") == {"post:1"}
    (hit,) = embedded.search(SearchQuery(text="targach ")).hits
    assert "<mark>targach</mark>" in hit.snippet
    assert hit.language == "pl"


def test_a_document_without_a_language_is_found_word_for_word(embedded: EmbeddedEngine) -> None:
    embedded.upsert([doc(1, "ok", "Partnerships wanted.", None)])
    assert found(embedded, "partnerships ") == {"post:1"}
    assert found(embedded, "partnership") == {"post:1"}  # as a prefix of the last word
    assert found(embedded, "partnership ") == {"post:1"}  # one typo away
    assert embedded.search(SearchQuery(text="partnerships")).hits[0].language is None


def test_the_snippet_marks_the_stemmed_words_in_the_documents_language(
    embedded: EmbeddedEngine,
) -> None:
    embedded.upsert(
        [
            doc(1, "Salon", "Les pôles régionaux exposent au salon.", "fr"),
            doc(2, "Salon", "The regionaux word in an English text.", "en"),
        ]
    )
    hits = {hit.id: hit for hit in embedded.search(SearchQuery(text="régional ")).hits}
    assert set(hits) == {"post:1"}
    assert "<mark>régionaux</mark>" in hits["post:1"].snippet


def test_a_region_or_unknown_code_picks_the_fields() -> None:
    assert language_fields("fr-CA") == "fr"
    assert language_fields("DE") == "de"
    assert language_fields("pt-BR") == "plain"
    assert language_fields("pl") == "plain"
    assert language_fields(None) == "plain"


def test_a_changed_language_moves_the_document(embedded: EmbeddedEngine) -> None:
    text = "Les pôles régionaux se rencontrent."
    embedded.upsert([doc(1, "Post", text, None)])
    assert found(embedded, "régional ") == set()
    embedded.upsert([doc(1, "Post", text, "fr")])
    assert found(embedded, "régional ") == {"post:1"}
    assert embedded.stats()["documents"] == 1
