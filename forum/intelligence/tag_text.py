"""Text as the auto-taggers read it: one normal form for quotes, accents, case and spaces,
whole-word patterns, and the left-to-right scan both the country and sector finders run."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def straight_quotes(text: str) -> str:
    """Typographic apostrophes made straight ("Côte d’Ivoire" as "Côte d'Ivoire")."""
    return text.replace("’", "'")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lookup key for a matched text: accents off, case folded, whitespace collapsed."""
    return " ".join(strip_accents(straight_quotes(text)).casefold().split())


def words_regex(words: Iterable[str], between: str) -> str:
    """The regex for `words` in sequence, each escaped, with the regex `between` them."""
    return between.join(re.escape(word) for word in words)


def whole_words(alternatives: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern for the regexes `alternatives`, each matching only as
    whole words (no word character right before or after); the first listed wins at a
    position, so callers list longer forms first."""
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def scan(
    pattern: re.Pattern[str], text: str, read: Callable[[re.Match[str]], T | None]
) -> Iterator[T]:
    """What `read` makes of each match of `pattern` in `text`, left to right.

    A match `read` refuses (None) is not this form here: the scan goes on from the next
    character, so a shorter form may still start inside it.
    """
    position = 0
    while (match := pattern.search(text, position)) is not None:
        value = read(match)
        if value is None:
            position = match.start() + 1
            continue
        position = match.end()
        yield value


class _FoldTable(dict[int, str]):
    """str.translate table for `fold_in_place`, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        lower = char.lower()
        if len(lower) != 1:
            lower = char
        base = unicodedata.normalize("NFKD", lower)[:1] or lower
        folded = base if not unicodedata.combining(base) else lower
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold_in_place(text: str) -> str:
    """`text` in lower case without accents, each character kept at its place (so that a
    match in the folded text is the same span in the original)."""
    return text.translate(_FOLD_TABLE)
