"""The pseudo-locale `xx`, for tests only: every string that passes through gettext (or
the formatting helpers) comes out accented and in brackets, "[Ĺöĝ îñ]", so a test can
see on a page which text did not pass through them. Placeholders (`%(name)s`, `%s`),
markup inside a message (`<a href="...">`) and entities stay as they are."""

from __future__ import annotations

import re
from functools import lru_cache

from babel.support import NullTranslations

from forum.core import i18n

CODE = "xx"
_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "àƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
ACCENTS = str.maketrans(_PLAIN, _ACCENTED)
# What a translator keeps as it is: placeholders, tags, entities.
_KEPT = re.compile(r"%\([^)]*\)[sdifr]|%[sdifr%]|<[^>]*>|&#?\w+;")
OPEN, CLOSE = "[", "]"


@lru_cache(maxsize=65536)
def pseudo(text: str) -> str:
    """`text` pseudo-translated. Kept per text, as a compiled catalog keeps its
    translations: the benchmarks' pseudo-locale costs what a real language costs."""
    if not text:
        return text
    out, last = [], 0
    for match in _KEPT.finditer(text):
        out.append(text[last : match.start()].translate(ACCENTS))
        out.append(match.group())
        last = match.end()
    out.append(text[last:].translate(ACCENTS))
    return f"{OPEN}{''.join(out)}{CLOSE}"


class PseudoTranslations(NullTranslations):
    """A catalog that "translates" every message it is asked for."""

    def gettext(self, message: str) -> str:
        return pseudo(message) if message else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:  # type: ignore[override]
        return pseudo(singular if n == 1 else plural)

    def pgettext(self, context: str, message: str) -> str:
        return pseudo(message)

    def npgettext(self, context: str, singular: str, plural: str, num: int) -> str:
        return pseudo(singular if num == 1 else plural)

    ugettext = gettext
    ungettext = ngettext
    upgettext = pgettext
    unpgettext = npgettext


def install() -> None:
    i18n.install(CODE, PseudoTranslations(), formats_as="en", decorate=pseudo)


def uninstall() -> None:
    i18n.uninstall(CODE)
