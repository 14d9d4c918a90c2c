"""The committed catalog template holds exactly the sentences the code marks: a sentence
added without `make translations` would never reach a translator."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from forum.core import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "_l": None,
    "lazy_gettext": None,
    "lazy_pgettext": ((1, "c"), 2),
}


@cache
def marked_in_code() -> frozenset[tuple[str, str | None]]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((msgid, context))
    return frozenset(found)


def in_the_catalog() -> set[tuple[str, str | None]]:
    with (i18n.LOCALES_DIR / "messages.pot").open("rb") as pot:
        catalog = read_po(pot)
    found = set()
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        found.add((msgid, message.context))
    return found


def test_the_catalog_template_is_current() -> None:
    code, catalog = marked_in_code(), in_the_catalog()
    missing, stale = sorted(code - catalog, key=str), sorted(catalog - code, key=str)
    assert missing == [], "marked but not in messages.pot: run make translations"
    assert stale == [], "in messages.pot but no longer marked: run make translations"


def test_every_marked_sentence_is_a_literal() -> None:
    """`_(variable)` cannot be extracted: the extractor reports it as an empty id."""
    assert ("", None) not in marked_in_code()
