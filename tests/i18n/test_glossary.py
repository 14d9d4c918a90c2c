"""One word for one thing: for each term of the glossary (docs/translation.md) and each
language, every sentence whose English uses the term is translated with that language's
word for it (the pattern in the glossary's table), or is listed in EXCEPTIONS with why.

What does not count as the English term: text inside placeholders (`%(partnership)s`),
addresses (`/settings/digest`), HTML tags and their attributes (`rel="nofollow"`), code
(`<code>email,name,partnership</code>`), and the product's name "Cluster Forum".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Message

from tests.i18n.test_catalogs import LANGUAGES, entries

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "translation.md"
COLUMNS = {"French": "fr", "German": "de", "Spanish": "es", "Italian": "it", "Polish": "pl"}
ALL = frozenset(LANGUAGES)

# How the English term may be inflected and still be the term: nouns take a plural, the
# verbs their forms. "call" stops at its plural: "called", "calling" are other words.
ENGLISH_ENDINGS = {
    "follow": "(s|ed|ing)?",
    "mute": "(s|d)?",
    "who is going": "",
}
NOUN_ENDINGS = "(s|es)?"

# (term, English sentence) -> why the sentence does not use the term in the glossary's
# sense, so that its translations need not use the term's word. Few, each with its reason;
# a translation that is wrong is fixed in its catalog, not listed here.
_SEQUENCE = "'follow' here is 'come after' in a search query, not following a topic"
_CONFORM = "'follow' here is 'be decided by', not following a topic"
EXCEPTIONS: dict[tuple[str, str], str] = {
    (
        "follow",
        "'%(operator)s:' must be followed by a date as YYYY-MM-DD, got %(value)r",
    ): _SEQUENCE,
    (
        "follow",
        "%(value)r cannot follow '%(operator)s:'; use letters, digits and hyphens, such as "
        "%(operator)s:%(example)s",
    ): _SEQUENCE,
    (
        "follow",
        "It is now in %(category)s. Its visibility follows the category it moves to.",
    ): _CONFORM,
    (
        "follow",
        "It is now in %(category)s (members only). Its visibility follows the category it "
        "moves to.",
    ): _CONFORM,
    ("follow", "Removed (posts it made follow your choice for what you wrote)"): _CONFORM,
    (
        "tender",
        "good_practice, funding_call, tender, market_study …",
    ): "the intelligence types' codes, as typed in the API and in search queries",
}


@dataclass(frozen=True)
class Term:
    english: str
    patterns: dict[str, re.Pattern[str]]  # language code -> what a translation must contain

    def english_pattern(self) -> re.Pattern[str]:
        words = r"\s+".join(re.escape(w) for w in self.english.split())
        ending = ENGLISH_ENDINGS.get(self.english, NOUN_ENDINGS)
        # "follow-up" is a word of its own, not "follow".
        return re.compile(rf"(?<![\w-]){words}{ending}(?![\w-])", re.IGNORECASE)


def _pattern(glob: str) -> re.Pattern[str]:
    """A glossary pattern (`*` any letters, `|` alternatives) as a whole-word regex."""
    alternatives = []
    for alternative in glob.split("|"):
        words = [re.escape(w).replace(r"\*", r"\w*") for w in alternative.split()]
        alternatives.append(r"\s+".join(words))
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


@cache
def glossary() -> tuple[Term, ...]:
    """The terms of the table under "## Glossary"."""
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split("## Glossary", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    terms = []
    for row in rows[2:]:
        cells = [c.strip().replace("\0", "|") for c in row.replace(r"\|", "\0").split(" | ")]
        cells = [c.strip("| ").strip() for c in cells]
        english = re.sub(r"\s*\(.*\)", "", cells[0])  # "call (for proposals)" -> "call"
        patterns = {}
        for name, cell in zip(header[1:], cells[1:], strict=True):
            found = re.search(r"`([^`]+)`", cell)
            assert found, f"no pattern for {english!r} in {name}: {cell!r}"
            patterns[COLUMNS[name]] = _pattern(found.group(1))
        terms.append(Term(english, patterns))
    return tuple(terms)


# What is not read as words: placeholders, tags with their attributes, code, addresses.
_NOT_WORDS = [
    re.compile(r"<code>.*?</code>", re.S),
    re.compile(r"`[^`]*`"),
    re.compile(r"<[^>]*>"),
    re.compile(r"%\(\w+\)[sdifr]|\{\w+\}"),
    re.compile(r"https?://\S+|(?<![\w.])/[\w/.?=&%-]+"),
    re.compile(r"\b\w+(?:,\w+)+\b"),  # a CSV header: email,name,partnership
    re.compile(r"\bCluster Forum\b"),
]


def words(text: str) -> str:
    for pattern in _NOT_WORDS:
        text = pattern.sub(" ", text)
    return text.replace("\u2019", "'")


def forms(message: Message) -> tuple[list[str], list[str]]:
    english = list(message.id) if isinstance(message.id, tuple) else [message.id]
    translated = list(message.string) if isinstance(message.string, tuple) else [message.string]
    return english, translated


def msgid(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def test_the_glossary_table_has_every_term_of_the_issue() -> None:
    english = [t.english for t in glossary()]
    assert english[:3] == ["cluster", "cluster manager", "partnership"]
    for term in ("strand", "good practice", "market intelligence", "digest", "follow", "mute"):
        assert term in english
    for term in ("region group", "sector", "call", "tender", "event", "who is going"):
        assert term in english
    assert all(set(t.patterns) == ALL for t in glossary())


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_sentence_with_a_glossary_term_uses_the_languages_word(code: str) -> None:
    wrong = []
    for term in glossary():
        english_term = term.english_pattern()
        for message in entries(code):
            english, translated = forms(message)
            if not any(english_term.search(words(e)) for e in english):
                continue
            if (term.english, msgid(message)) in EXCEPTIONS:
                continue
            if not all(term.patterns[code].search(words(t)) for t in translated):
                wrong.append(f"{term.english}: {msgid(message)!r}\n    -> {translated[-1]!r}")
    assert wrong == [], f"{len(wrong)} sentences in {code}:\n" + "\n".join(wrong)


def test_every_exception_is_still_needed() -> None:
    """An exception for a sentence that is gone, or no longer has the term, goes."""
    stale = []
    for (english, sentence), reason in EXCEPTIONS.items():
        assert reason.strip()
        [term] = [t for t in glossary() if t.english == english]
        found = [m for m in entries(LANGUAGES[0]) if msgid(m) == sentence]
        if not found:
            stale.append(f"{english}: no sentence {sentence!r}")
        elif not any(term.english_pattern().search(words(e)) for e in forms(found[0])[0]):
            stale.append(f"{english}: {sentence!r} does not use the term")
    assert stale == []


def test_the_term_finder_skips_what_is_not_the_term() -> None:
    [cluster] = [t for t in glossary() if t.english == "cluster"]
    [call] = [t for t in glossary() if t.english == "call"]
    [follow] = [t for t in glossary() if t.english == "follow"]
    [partnership] = [t for t in glossary() if t.english == "partnership"]
    assert cluster.english_pattern().search(words("Clusters of Europe"))
    assert not cluster.english_pattern().search(words("Welcome to Cluster Forum"))
    assert not call.english_pattern().search(words("A partnership called %(name)s"))
    assert call.english_pattern().search(words("Open calls"))
    assert not follow.english_pattern().search(words('A <a rel="nofollow" href="/x">follow-up</a>'))
    assert follow.english_pattern().search(words("Countries you follow"))
    header = "The header <code>email,name,partnership</code> and %(partnership)s at /partnerships"
    assert not partnership.english_pattern().search(words(header))
    assert not partnership.english_pattern().search(words("Its first row: email,name,partnership"))
    assert cluster.patterns["de"].search("Die Clustermanagerin")
    assert not cluster.patterns["fr"].search("un groupement")
    assert partnership.patterns["pl"].search("Partnerstwa")
