"""Free text as both engines read it, and the snippet HTML both engines return.

Splitting follows Meilisearch's query parser so the two engines agree: words are
separated by whitespace, double quotes make phrases (an unclosed quote runs to the
end), and the last word is a prefix unless the text ends with whitespace or a quote.
Each engine then cuts words into tokens with its own tokenizer.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Meilisearch reads at most 10 query words; the embedded engine does the same.
MAX_TERMS = 10
# Typo budget by word length in characters (Meilisearch's minWordSizeForTypos defaults).
ONE_TYPO_FROM = 5
TWO_TYPOS_FROM = 9
# Words longer than this are not indexed (the tokenizers' remove_long filter).
MAX_TOKEN_CHARS = 40
SNIPPET_CHARS = 200
ELLIPSIS = "…"


def typo_budget(word: str) -> int:
    """How many typos a query word may carry: none below 5 letters, one from 5, two from 9."""
    length = len(word)
    if length >= TWO_TYPOS_FROM:
        return 2
    if length >= ONE_TYPO_FROM:
        return 1
    return 0


@dataclass(frozen=True)
class Chunk:
    """A whitespace-separated word as typed (may hold punctuation), or a quoted phrase."""

    text: str
    phrase: bool = False


@dataclass(frozen=True)
class SplitText:
    chunks: tuple[Chunk, ...]
    # The last chunk is a word typed without anything after it: match it as a prefix.
    last_is_prefix: bool


def split_text(text: str) -> SplitText:
    """Cut free text into words and phrases; never raises."""
    chunks: list[Chunk] = []
    current: list[str] = []
    in_phrase = False
    for char in text:
        if char == '"':
            word = "".join(current).strip()
            if word:
                chunks.append(Chunk(word, phrase=in_phrase))
            current = []
            in_phrase = not in_phrase
        elif char.isspace() and not in_phrase:
            if current:
                chunks.append(Chunk("".join(current)))
                current = []
        else:
            current.append(char)
    tail = "".join(current).strip()
    if tail:
        chunks.append(Chunk(tail, phrase=in_phrase))
    # `current` still holds the last word only when nothing (space, quote) followed it.
    last_is_prefix = bool(tail) and not in_phrase
    return SplitText(tuple(chunks), last_is_prefix)


def fold(text: str) -> str:
    """Lower case without diacritics, as both engines compare words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded alphanumeric runs: a pure-Python stand-in for the engines' tokenizers,
    used where a query must be rebuilt (the Meilisearch drop-words fallback)."""
    out: list[str] = []
    current: list[str] = []
    for char in fold(text):
        if char.isalnum():
            current.append(char)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def _osa_row(word: str, text: str) -> list[int]:
    """Distances from `word` to each beginning of `text` (text[:1], text[:2], ...).

    Optimal string alignment (a swap of neighbours counts one), computed with the
    bit-parallel algorithm of Myers as extended by Hyyrö (2003): one integer holds a
    whole column of the alignment table, so each letter of `text` costs a dozen
    integer operations instead of a row of the table.
    """
    size = len(word)
    full = (1 << size) - 1
    last = 1 << (size - 1)
    masks: dict[str, int] = {}
    for position, letter in enumerate(word):
        masks[letter] = masks.get(letter, 0) | (1 << position)
    vp, vn, d0, previous, distance = full, 0, 0, 0, size
    row = []
    for letter in text:
        pm = masks.get(letter, 0)
        swap = ((~d0 & pm) << 1) & previous
        d0 = ((((pm & vp) + vp) ^ vp) | pm | vn | swap) & full
        hp = (vn | ~(d0 | vp)) & full
        hn = d0 & vp
        if hp & last:
            distance += 1
        elif hn & last:
            distance -= 1
        hp = ((hp << 1) | 1) & full
        hn = (hn << 1) & full
        vp = (hn | ~(d0 | hp)) & full
        vn = hp & d0
        previous = pm
        row.append(distance)
    return row


def within_typos(candidate: str, word: str, budget: int) -> bool:
    """True when `candidate` is at most `budget` edits from `word` (insertions,
    deletions, substitutions and swaps of neighbours, each counting one)."""
    if candidate == word:
        return True
    if budget <= 0 or abs(len(candidate) - len(word)) > budget:
        return False
    # Each edit adds at most one letter the other word lacks, and removes at most one:
    # two set differences (in C) reject most candidates before the alignment.
    if len(set(word).difference(candidate)) > budget:
        return False
    if len(set(candidate).difference(word)) > budget:
        return False
    if not word or not candidate:
        return max(len(word), len(candidate)) <= budget
    return _osa_row(word, candidate)[-1] <= budget


def within_typos_prefix(candidate: str, word: str, budget: int) -> bool:
    """True when some beginning of `candidate` is within `budget` typos of `word`."""
    if candidate.startswith(word):
        return True
    if budget <= 0 or len(candidate) < len(word) - budget:
        return False
    head = candidate[: len(word) + budget]
    if len(set(word).difference(head)) > budget:
        return False
    if len(word) <= budget:
        return True  # the empty beginning is close enough
    return min(_osa_row(word, head)) <= budget


def render_marked(text: str, ranges: Iterable[tuple[int, int]]) -> str:
    """`text` as escaped HTML with <mark> around the (start, end) character ranges.

    Ranges may overlap or come unsorted; anything outside the text is clipped.
    """
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in ranges):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    position = 0
    for start, end in merged:
        parts.append(html.escape(text[position:start]))
        parts.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def leading_excerpt(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The beginning of `text`, cut at a word boundary, with an ellipsis when cut."""
    head = " ".join(text[: limit * 4].split())  # long texts: only their head is read
    if len(head) <= limit:
        return head if len(text) <= limit * 4 else head + ELLIPSIS
    cut = head.rfind(" ", 0, limit)
    return head[: cut if cut > limit // 2 else limit] + ELLIPSIS
