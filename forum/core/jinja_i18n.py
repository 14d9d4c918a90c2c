"""The Jinja2 side of the reader's language: the i18n extension with its callables
(`{% trans %}`, `_()`, `ngettext()`, `pgettext()`), the current language for
`<html lang>`, and the formatting filters (`|date`, `|datetime`, `|timeago`, `|number`,
`|country_name`...), `|collate` (a list sorted by its items' names as the reader's
language sorts them: sector chips) and `|in_feed_language` (a feed's address with the
reader's `?lang=`). Every environment that renders text for people installs it: the
pages', the emails' and the digests'."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment

from forum.core import formats, i18n
from forum.core.collation import collated


def install_jinja(env: Environment) -> None:
    """Give a Jinja2 environment `{% trans %}`, `_()`, `ngettext()` and `pgettext()`
    (new style: placeholders are escaped like any other value), and the formatting
    filters of `forum.core.formats`."""
    env.add_extension("jinja2.ext.i18n")
    # `{% trans %}` blocks written over several lines are one line in the catalog.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _jinja_gettext, _jinja_ngettext, newstyle=True, pgettext=_jinja_pgettext
    )
    env.globals["current_language"] = i18n.language
    env.globals["available_languages"] = i18n.available
    env.filters.update(formats.JINJA_FILTERS)
    env.filters["collate"] = _collate
    env.filters["in_feed_language"] = _in_feed_language
    env.globals.update(formats.JINJA_GLOBALS)


# Jinja's newstyle callables fill the placeholders themselves (escaping the values).
def _jinja_gettext(message: str) -> str:
    return i18n.gettext(message)  # no variables: nothing is formatted here


def _jinja_ngettext(singular: str, plural: str, n: int) -> str:
    code = i18n.language()
    if code == i18n.DEFAULT_LANGUAGE and not i18n.has_installed():
        return singular if n == 1 else plural  # English's rule, without a catalog
    return i18n.translations(code).ungettext(singular, plural, n)


def _jinja_pgettext(context: str, message: str) -> str:
    return i18n.translations(i18n.language()).upgettext(context, message)


def _collate(items: Iterable[Any], attribute: str = "label") -> list[Any]:
    """`items` (objects or dicts) sorted by their `attribute` in the order of the reader's
    language."""

    def name(item: Any) -> str:
        return str(item[attribute] if isinstance(item, Mapping) else getattr(item, attribute))

    return collated(items, key=name)


def _in_feed_language(url: str) -> str:
    """A feed's address as a page offers it: with `lang=` of the reader's language, so
    that the feed reader, which sends no cookie, gets the feed in it (English: as is)."""
    code = i18n.language()
    if code == i18n.DEFAULT_LANGUAGE:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'lang': code})}"
