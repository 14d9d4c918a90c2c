"""Finds the text on a page, in an email or a feed that did not pass through gettext or
the formatting helpers, when it was rendered in the pseudo-locale `xx`.

Whatever went through them comes out in brackets, "[Ŝéñţéñçé]", nested when a formatted
date sits inside a sentence. Everything else a person reads must be members' content or
data (titles, bodies, names, sector and partnership names: any string stored in the
database), a code (a country code, a time zone, an address, a URL, a file name, a number),
or no words at all. What is left is reported with where it was found.

Checked: text between tags (not in <script>, <style> or <textarea>), and the attributes
people read: `title`, `alt`, `aria-label`, `placeholder`, and the `value` of buttons.
A language's own name in an element whose `lang` attribute names that language (the
switcher's `<option lang="de">Deutsch</option>`) stays as it is in every language: it is
there so that a reader who does not read the page's language finds their own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser

from babel import Locale, UnknownLocaleError
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Session

from forum.core.db import Base

READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
BUTTON_TYPES = ("submit", "button", "reset")
SKIPPED_ELEMENTS = ("script", "style", "textarea", "template")
_INNERMOST = re.compile(r"\[[^\[\]]*\]")
_WHITESPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]+>")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_EDGES = "\u2060 \t\n\r.,;:!?·•—–-|/()«»\"'“”‘’…→←↑↓›‹»«×+*#@%&=<>$€"
# Codes and identifiers: shown as they are in every language.
_CODES = [
    re.compile(r"^[A-Z]{2,3}$"),  # country and language codes, acronyms written as codes
    re.compile(r"^[A-Za-z]+(/[A-Za-z0-9_+\-]+)+$"),  # time zones: Europe/Brussels
    re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$"),  # email addresses
    re.compile(r"^(https?://|/)\S*$"),  # URLs and paths
    re.compile(r"^[\w.\- ]+\.[A-Za-z0-9]{2,5}$"),  # file names
    re.compile(r"^@[\w.\-]+$"),  # handles
    re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$"),  # slugs
    re.compile(r"^(UTC|GMT)([+-]\d{1,2}(:\d\d)?)?$"),
    re.compile(r"^g:[a-z-]+$"),  # region group codes
]


# Inline elements: their text belongs to the sentence around them ("[Ŕéàđ <a>ţĥé ĝûîđé</a>]"
# is one translated sentence with a link inside), so it is checked as one piece.
INLINE_ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
    ]
)
# Code shown as code (search operators, examples): neither words to translate nor a break.
CODE_ELEMENTS = frozenset({"code", "kbd", "samp", "pre"})
VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._skipping = 0
        self._code = 0
        self._stack: list[str] = []
        self._langs: list[str | None] = []  # each open element's `lang` attribute
        self._buffer: list[str] = []
        self._buffer_where = "text"
        self._buffer_lang: str | None = None

    def _flush(self) -> None:
        text = "".join(self._buffer)
        if text.strip() and not _is_own_name(normalise(text), self._buffer_lang):
            self.found.append((self._buffer_where, text))
        self._buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in READ_ATTRIBUTES:
            if values.get(name, "").strip():
                self.found.append((f"<{tag} {name}>", values[name]))
        if (
            tag == "input"
            and values.get("type", "").lower() in BUTTON_TYPES
            and values.get("value")
        ):
            self.found.append(("<input value>", values["value"]))
        if tag not in INLINE_ELEMENTS:
            self._flush()
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        if tag in CODE_ELEMENTS:
            self._code += 1
        if tag not in VOID_ELEMENTS:
            self._stack.append(tag)
            self._langs.append(values.get("lang"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE_ELEMENTS:
            self._flush()
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1
        if tag in CODE_ELEMENTS and self._code:
            self._code -= 1
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                self._langs.pop()
            self._langs.pop()

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not self._buffer:
            block = next((t for t in reversed(self._stack) if t not in INLINE_ELEMENTS), None)
            self._buffer_where = f"<{block}>" if block else "text"
            self._buffer_lang = next((lang for lang in reversed(self._langs) if lang), None)
        # Code counts as neither words nor a break in the sentence around it.
        self._buffer.append(" \u2060 " if self._code else data)

    def close(self) -> None:
        super().close()
        self._flush()


def normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _is_own_name(text: str, lang: str | None) -> bool:
    """Whether `text` is the name of the language `lang` in that language ("Deutsch")."""
    if not lang:
        return False
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    name = locale.get_display_name(locale) or ""
    return bool(name) and text.casefold() == name.casefold()


class Content:
    """What members and admins wrote (and other data): text allowed to stay as it is."""

    def __init__(self, strings: Iterable[str] = ()) -> None:
        self._strings: set[str] = set()
        self._corpus = ""
        self.add(strings)

    def add(self, strings: Iterable[str]) -> None:
        kept = [s for s in strings if s and s.strip()]
        # Rendered Markdown is stored too: its text as a reader sees it, tags taken out.
        kept += [html.unescape(_TAG.sub("", s)) for s in kept if "<" in s]
        self._strings.update(normalise(s).casefold() for s in kept)
        self._corpus = "\n".join(sorted(self._strings))

    def has(self, piece: str) -> bool:
        folded = piece.casefold()
        return folded in self._strings or folded in self._corpus

    @classmethod
    def of_database(cls, db: Session, *extra: str) -> Content:
        """Every string stored in the database, plus `extra` (the site's name...)."""
        strings: list[str] = list(extra)
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for column in columns:
                rows = db.execute(select(column).where(column.is_not(None)).distinct())
                strings.extend(str(value) for (value,) in rows)
        return cls(strings)


def _without_pseudo(text: str) -> list[str]:
    """The parts of `text` outside pseudo-translated brackets."""
    marked = text
    while True:
        stripped = _INNERMOST.sub("\x00", marked)
        if stripped == marked:
            break
        marked = stripped
    return [part for part in marked.split("\x00")]


def _is_code(piece: str) -> bool:
    return any(pattern.match(piece) for pattern in _CODES)


def leftovers(text: str, content: Content) -> list[str]:
    """The pieces of `text` a person reads that no translation or formatter produced."""
    bad = []
    for part in _without_pseudo(normalise(text)):
        piece = part.strip(_EDGES)
        if len(_LETTERS.findall(piece)) < 2 or _is_code(piece) or content.has(piece):
            continue
        # Content next to punctuation or a code ("Title (FR)"): each word group alone.
        words = [w.strip(_EDGES) for w in re.split(r"\s[·|—–/]\s|\s\(|\)\s|, |: ", piece)]
        if all(len(_LETTERS.findall(w)) < 2 or _is_code(w) or content.has(w) for w in words):
            continue
        bad.append(piece)
    return bad


def untranslated(html: str, content: Content) -> list[str]:
    """Every piece of text on an HTML page (or part) that is neither translated nor
    content, as "where: text"."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    found = []
    for where, text in collector.found:
        found.extend(f"{where}: {piece}" for piece in leftovers(text, content))
    return found


def untranslated_lines(text: str, content: Content) -> list[str]:
    """The same for a plain-text email: line by line."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        found.extend(f"line {number}: {piece}" for piece in leftovers(line, content))
    return found
