"""Each language's catalog is complete and safe to use: every sentence translated, none
fuzzy, every placeholder and HTML tag of the English kept, and as many plural forms as
the language has (CLDR's, which Babel's `Plural-Forms` header says).

A placeholder lost in a translation raises a KeyError (or shows `%(name)s`) only on the
page that uses it, in that language: these checks find it for every sentence at once.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from forum.core import i18n

LANGUAGES = ("fr", "de", "es", "it", "pl")
# CLDR's plural categories: French, Spanish and Italian have one, many (round millions:
# "1 000 000 de messages") and other; Polish one, few, many; German one and other.
NPLURALS = {"fr": 3, "de": 2, "es": 3, "it": 3, "pl": 3}

_NAMED = re.compile(r"%\((\w+)\)[sdifr]")
_POSITIONAL = re.compile(r"(?<!%)%[sdifr]")
_BRACED = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def po_path(code: str) -> Path:
    return i18n.LOCALES_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


@cache
def catalog(code: str) -> Catalog:
    with po_path(code).open("rb") as po:
        return read_po(po, locale=code)


def entries(code: str) -> list[Message]:
    return [m for m in catalog(code) if m.id]


def placeholders(text: str) -> Counter[str]:
    """`%(name)s`, `%s` (counted, in order of kind) and `{name}` in `text`."""
    text = text.replace("%%", "")
    found: Counter[str] = Counter()
    found.update(f"%({name})" for name in _NAMED.findall(text))
    found.update("%s" for _ in _POSITIONAL.findall(text))
    found.update(f"{{{name}}}" for name in _BRACED.findall(text))
    return found


def tags(text: str) -> Counter[str]:
    return Counter(_TAG.findall(text))


def label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    context = f"[{message.context}] " if message.context else ""
    return f"{context}{msgid[:80]!r}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_pybabel_compiles_the_catalog_fully_translated(code: str, tmp_path: Path) -> None:
    compiled = tmp_path / "messages.mo"
    command = [sys.executable, "-m", "babel.messages.frontend", "compile", "--statistics"]
    result = subprocess.run(
        [*command, "-D", i18n.DOMAIN, "-l", code, "-i", str(po_path(code)), "-o", str(compiled)],
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    counts = re.search(r"(\d+) of (\d+) messages \((\d+)%\) translated", output)
    assert counts is not None, output
    translated, total, _percent = (int(n) for n in counts.groups())
    assert translated == total == len(entries(code)), output
    assert "fuzzy" not in output, output


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_entry_is_fuzzy_or_empty(code: str) -> None:
    assert not catalog(code).fuzzy, "the header is marked fuzzy"
    fuzzy = [label(m) for m in entries(code) if m.fuzzy]
    empty = [
        label(m)
        for m in entries(code)
        if not (all(m.string) if isinstance(m.string, tuple | list) else m.string)
    ]
    assert fuzzy == [], f"{len(fuzzy)} fuzzy entries in {code}"
    assert empty == [], f"{len(empty)} untranslated entries in {code}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_plural_entry_has_the_languages_forms(code: str) -> None:
    header = catalog(code).plural_forms
    assert f"nplurals={NPLURALS[code]};" in header
    assert catalog(code).num_plurals == get_plural(code).num_plurals == NPLURALS[code]
    wrong = [
        f"{label(m)}: {len(m.string)} forms"
        for m in entries(code)
        if m.pluralizable and len(m.string) != NPLURALS[code]
    ]
    assert wrong == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_translation_keeps_the_english_placeholders_and_tags(code: str) -> None:
    wrong = []
    for m in entries(code):
        if not m.pluralizable:
            assert isinstance(m.id, str) and isinstance(m.string, str)
            if placeholders(m.string) != placeholders(m.id):
                wrong.append(f"{label(m)}: placeholders {dict(placeholders(m.string))}")
            if tags(m.string) != tags(m.id):
                wrong.append(f"{label(m)}: tags {sorted(tags(m.string))}")
            continue
        singular, plural = m.id
        english = placeholders(singular) | placeholders(plural)
        for index, form in enumerate(m.string):
            mine = placeholders(form)
            if not set(mine) <= set(english):
                wrong.append(f"{label(m)} form {index}: placeholders {dict(mine)}")
            # Every form but the first ("one") is used for many numbers: it must show the
            # number (and everything else the English plural shows).
            if index > 0 and not set(placeholders(plural)) <= set(mine):
                missing = sorted(set(placeholders(plural)) - set(mine))
                wrong.append(f"{label(m)} form {index}: lacks {missing}")
            if tags(form) not in (tags(singular), tags(plural)):
                wrong.append(f"{label(m)} form {index}: tags {sorted(tags(form))}")
    assert wrong == [], f"{len(wrong)} entries in {code}:\n" + "\n".join(wrong)


def test_the_checks_find_a_lost_placeholder_a_changed_tag_and_a_missing_count() -> None:
    assert placeholders("%(name)s wrote %s {count} 100%%") == Counter(
        {"%(name)": 1, "%s": 1, "{count}": 1}
    )
    assert placeholders("{{ not one }} {{x}}") == Counter()
    assert placeholders("%(name)s a écrit") != placeholders("%(nom)s a écrit")
    assert tags('<a href="%(url)s">x</a>') != tags('<a href="%(url)s">x</b>')
    assert tags('Read <a href="/g">the guide</a>') == tags('Lisez <a href="/g">le guide</a>')
